"""The media comparison page: one media key across chosen runs of a project, side by side.

``/{entity}/{project}/media?key=K&run=a&run=b``: the form (a key, the runs) is plain HTML sent
with GET, so the choice lives in the URL; ``media.js`` draws each chosen run's card for the key
(its own step slider), and ``media-compare.js`` adds one step control that moves them all.
"""

from __future__ import annotations

from typing import Annotated, Any
from urllib.parse import quote

from fastapi import APIRouter, Depends, Query
from sqlalchemy import Connection, bindparam, text
from starlette.requests import Request
from starlette.responses import HTMLResponse, Response

from nbtrack.server import api
from nbtrack.server.accounts import access
from nbtrack.server.context import Context, context_of
from nbtrack.server.runs import store as runs
from nbtrack.server.web import pages
from nbtrack.server.web.ui import PageViewer, render

RUNS_LISTED = 200
MAX_CHOSEN = 12
router = APIRouter(include_in_schema=False)
Ctx = Annotated[Context, Depends(context_of)]


@router.get("/{entity}/{project}/media", response_class=HTMLResponse)
def media_compare(
    request: Request,
    entity: str,
    project: str,
    ctx: Ctx,
    viewer: PageViewer,
    key: str | None = None,
    run: Annotated[list[str], Query()] = [],  # noqa: B006 (FastAPI copies defaults)
) -> Response:
    key = api.text_param("key", key) or None
    chosen = [api.text_param("run", r) or "" for r in run][:MAX_CHOSEN]
    timeout = ctx.config.heartbeat_timeout
    with ctx.db.read() as conn:
        proj = access.readable(conn, viewer, entity, project)
        found, total = runs.listing(conn, proj, runs.Listing(limit=RUNS_LISTED), timeout)
        by_pk = {r["pk"]: r for r in found}
        keys = media_keys(conn, list(by_pk))
        types = key_types(conn, [r["pk"] for r in found if r["run_id"] in chosen], key)
    columns = [column(entity, project, by_pk[pk], kind) for pk, kind in types.items()]
    return render(
        request,
        "media-compare.html",
        viewer=viewer,
        project=proj,
        runs=[{"id": r["run_id"], "name": r["name"] or r["run_id"]} for r in found],
        total=total,
        keys=keys,
        key=key,
        chosen=set(chosen),
        columns=sorted(columns, key=lambda c: chosen.index(c["id"])),
        colours=pages.STATE_COLOURS,
    )


def column(entity: str, project: str, row: dict[str, Any], kind: str) -> dict[str, Any]:
    e, p, r = (quote(part, safe="") for part in (entity, project, row["run_id"]))
    return {
        "id": row["run_id"],
        "name": row["name"] or row["run_id"],
        "type": kind,
        "api": f"/api/v1/runs/{e}/{p}/{r}/media",
        "page": f"/{e}/{p}/runs/{r}",
    }


def media_keys(conn: Connection, run_pks: list[int]) -> list[str]:
    if not run_pks:
        return []
    sql = text("SELECT DISTINCT media_key FROM media_refs WHERE run_pk IN :pks").bindparams(
        bindparam("pks", expanding=True)
    )
    return sorted(r[0] for r in conn.execute(sql, {"pks": run_pks}))


def key_types(conn: Connection, run_pks: list[int], key: str | None) -> dict[int, str]:
    """Per chosen run holding ``key``: the type at its latest step."""
    if not run_pks or key is None:
        return {}
    sql = text(
        "SELECT run_pk, kind FROM media_refs WHERE media_key = :k AND run_pk IN :pks "
        "ORDER BY step, log_offset"
    ).bindparams(bindparam("pks", expanding=True))
    return {r[0]: r[1] for r in conn.execute(sql, {"k": key, "pks": run_pks})}
