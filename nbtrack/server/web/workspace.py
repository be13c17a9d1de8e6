"""The project workspace page: pick runs from the table, compare them in a grid of panels.

The page carries the project's newest runs (config and summary only: no git state, paths or
machine details, so public projects show it to anyone) as a JSON data block; ``workspace.js``
draws the panels from one ``series`` query (and incremental polls while runs run), and keeps the
view (selected runs, panels, smoothing, x-axis, scatter and parallel-coordinate keys) in the URL.
"""

from __future__ import annotations

from typing import Annotated, Any
from urllib.parse import quote

from fastapi import APIRouter, Depends
from sqlalchemy import Connection, bindparam, text
from starlette.requests import Request
from starlette.responses import HTMLResponse, Response

from nbtrack import series
from nbtrack.server.accounts import access
from nbtrack.server.accounts.access import Project
from nbtrack.server.context import Context, context_of
from nbtrack.server.runs import store as runs
from nbtrack.server.values import stored_object
from nbtrack.server.web import pages
from nbtrack.server.web.ui import PageViewer, render
from nbtrack.server.wire import dumps, finite

MAX_RUNS = 1000  # the table holds the newest runs; a series query takes at most this many
router = APIRouter(include_in_schema=False)
Ctx = Annotated[Context, Depends(context_of)]


@router.get("/{entity}/{project}/workspace", response_class=HTMLResponse)
def workspace_page(
    request: Request, entity: str, project: str, ctx: Ctx, viewer: PageViewer
) -> Response:
    timeout = ctx.config.heartbeat_timeout
    with ctx.db.read() as conn:
        proj = access.readable(conn, viewer, entity, project)
        found, total = runs.listing(conn, proj, runs.Listing(limit=MAX_RUNS), timeout)
        keys = metric_keys(conn, [r["pk"] for r in found])
    data = {
        "series_url": f"/api/v1/projects/{quote(entity, safe='')}/{quote(project, safe='')}/series",
        "run_base": f"/{quote(entity, safe='')}/{quote(project, safe='')}/runs/",
        "runs": [run_entry(r, timeout) for r in found],
        "total": total,
        "metrics": keys,
        "palette": list(series.PALETTE),
    }
    return render(
        request,
        "workspace.html",
        viewer=viewer,
        project=proj,
        total=total,
        shown=len(found),
        data=json_block(data),
        colours=pages.STATE_COLOURS,
    )


def run_entry(row: dict[str, Any], timeout: float) -> dict[str, Any]:
    """What the workspace knows of a run: no git state, metadata or paths."""
    return {
        "id": row["run_id"],
        "name": row["name"] or row["run_id"],
        "slot": series.slot(row["run_id"]),  # the browser applies series.colours' rule
        "state": runs.shown_state(row, timeout),
        "created_at": row["created_at"],
        "config": flat(stored_object(row["config"])),
        "summary": flat(stored_object(row["summary"])),
    }


def flat(value: dict[str, Any], prefix: str = "") -> dict[str, Any]:
    """Nested dicts as dotted keys (``{"opt": {"lr": 1}}`` -> ``{"opt.lr": 1}``)."""
    out: dict[str, Any] = {}
    for key, item in value.items():
        if isinstance(item, dict) and item:
            out.update(flat(item, f"{prefix}{key}."))
        elif not key.startswith("_"):
            out[f"{prefix}{key}"] = item
    return out


def metric_keys(conn: Connection, run_pks: list[int]) -> list[str]:
    if not run_pks:
        return []
    sql = text("SELECT DISTINCT metric FROM history_keys WHERE run_pk IN :pks").bindparams(
        bindparam("pks", expanding=True)
    )
    return sorted(r[0] for r in conn.execute(sql, {"pks": run_pks}))


def json_block(data: dict[str, Any]) -> str:
    """JSON safe inside ``<script type="application/json">`` (no ``<``, ``>`` or ``&``)."""
    body = dumps(finite(data))
    return body.replace("<", "\\u003c").replace(">", "\\u003e").replace("&", "\\u0026")


def link(project: Project) -> str:
    return f"/{quote(project.entity, safe='')}/{quote(project.name, safe='')}/workspace"
