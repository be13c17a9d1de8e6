"""Media routes of the HTTP API: a run's media keys, a key's steps, the reference at a step,
histograms over steps and table pages (sorted, filtered, paged on the server).

The run page asks for a key's steps once, then for one reference per slider position; it never
reloads the page. Answers hold presented references (``store.present``): only well-formed
``media/<sha256>.<ext>`` names of uploaded files become URLs. Permissions are the run's.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any, Literal
from urllib.parse import quote

from fastapi import APIRouter, Query
from sqlalchemy import Connection

from nbtrack.server.api import Ctx, Who, readable_run, text_param
from nbtrack.server.context import Context
from nbtrack.server.files import store as files
from nbtrack.server.media import store, tables
from nbtrack.server.payloads import INT64_MAX, INT64_MIN
from nbtrack.server.problems import not_found
from nbtrack.server.storage.cache import local_copy
from nbtrack.server.wire import JSONResponse, finite

router = APIRouter(prefix="/api/v1", default_response_class=JSONResponse)
RUN = "/runs/{entity}/{project}/{run_id}/media"
Key = Annotated[str, Query(min_length=1, max_length=1000)]
StepAt = Annotated[int | None, Query(ge=INT64_MIN, le=INT64_MAX)]


def files_url(entity: str, project: str, run_id: str) -> str:
    parts = (quote(p, safe="", errors="replace") for p in (entity, project, run_id))
    return "/api/v1/runs/{}/{}/{}/files".format(*parts)


@router.get(RUN)
def media_keys(entity: str, project: str, run_id: str, ctx: Ctx, who: Who) -> JSONResponse:
    """Every media key of the run: type (of its latest step), count, first and last step."""
    with ctx.db.read() as conn:
        _, row = readable_run(conn, who, entity, project, run_id)
        return JSONResponse({"keys": store.keys(conn, row["pk"])})


@router.get(RUN + "/steps")
def media_steps(
    entity: str, project: str, run_id: str, key: Key, ctx: Ctx, who: Who
) -> JSONResponse:
    """The steps at which ``key`` holds media, ascending: the slider's positions."""
    key = _key(key)
    with ctx.db.read() as conn:
        _, row = readable_run(conn, who, entity, project, run_id)
        steps, kinds = store.steps(conn, row["pk"], key)
    if not steps:
        raise _no_media(key)
    return JSONResponse({"key": key, "type": kinds[-1], "steps": steps})


@router.get(RUN + "/at")
def media_at(
    entity: str, project: str, run_id: str, key: Key, ctx: Ctx, who: Who, step: StepAt = None
) -> JSONResponse:
    """The reference of ``key`` at ``step`` (the latest at or before it; without: the latest)."""
    key = _key(key)
    with ctx.db.read() as conn:
        _, row = readable_run(conn, who, entity, project, run_id)
        found = store.at(conn, row["pk"], key, step)
        if found is None:
            raise _no_media(key, step)
        [ref] = store.presented(conn, row["pk"], [found["ref"]], files_url(entity, project, run_id))
    return JSONResponse(finite({"key": key, "step": found["step"], "ref": ref}))


@router.get(RUN + "/histograms")
def media_histograms(
    entity: str,
    project: str,
    run_id: str,
    key: Key,
    ctx: Ctx,
    who: Who,
    samples: Annotated[int, Query(ge=2, le=2000)] = 300,
) -> JSONResponse:
    """The key's histograms over steps (``samples`` of them, spread evenly), for a heatmap."""
    key = _key(key)
    with ctx.db.read() as conn:
        _, row = readable_run(conn, who, entity, project, run_id)
        found = store.all_refs(conn, row["pk"], key, "histogram")
    if not found:
        raise _no_media(key)
    chosen = _spread(found, samples)
    shown = [(s, h) for s, h in ((s, _histogram(ref)) for s, ref in chosen) if h is not None]
    body = {"key": key, "steps": [s for s, _ in shown], "histograms": [h for _, h in shown]}
    return JSONResponse(finite(body))


def _spread(found: list[tuple[int, Any]], samples: int) -> list[tuple[int, Any]]:
    if len(found) <= samples:
        return found
    last = len(found) - 1
    return [found[round(i * last / (samples - 1))] for i in range(samples)]


def _histogram(ref: Any) -> dict[str, list[float]] | None:
    """Bins and counts when they are numbers and fit together (a damaged one is left out)."""
    bins, values = ref.get("bins"), ref.get("values")
    if not isinstance(bins, list) or not isinstance(values, list):
        return None
    if len(bins) != len(values) + 1 or not values or len(values) > 10_000:
        return None
    if not all(isinstance(v, int | float) and not isinstance(v, bool) for v in bins + values):
        return None
    return {"bins": bins, "values": values}


@router.get(RUN + "/table")
def media_table(
    entity: str,
    project: str,
    run_id: str,
    key: Key,
    ctx: Ctx,
    who: Who,
    step: StepAt = None,
    sort: Annotated[str | None, Query(max_length=1000)] = None,
    order: Literal["asc", "desc"] = "asc",
    q: Annotated[str | None, Query(max_length=1000)] = None,
    offset: Annotated[int, Query(ge=0, le=10_000_000)] = 0,
    limit: Annotated[int, Query(ge=1, le=10_000)] = 50,
) -> JSONResponse:
    """A page of the table (or the chart's table) logged under ``key`` at ``step``."""
    key = _key(key)
    request = tables.Page(
        text_param("sort", sort), order == "desc", text_param("q", q), offset, limit
    )
    with ctx.db.read() as conn:
        _, row = readable_run(conn, who, entity, project, run_id)
        found = store.at(conn, row["pk"], key, step)
        if found is None:
            raise _no_media(key, step)
        paths = _table_parts(ctx, conn, row["pk"], key, found)
        answer = tables.page(tables.load(paths, key), request)
        answer["rows"] = store.presented(
            conn, row["pk"], answer["rows"], files_url(entity, project, run_id)
        )
    return JSONResponse(finite({"key": key, "step": found["step"], **answer}))


def _table_parts(
    ctx: Context, conn: Connection, run_pk: int, key: str, found: dict[str, Any]
) -> list[Any]:
    """The files on disk holding the table at that step (an incremental table's parts in order)."""
    ref = found["ref"]
    table = ref.get("table") if ref.get("_type") == "plot" else ref
    if not isinstance(table, dict) or table.get("_type") != "table-file":
        raise not_found(f"{key!r} holds no table at step {found['step']}; pick a table key.")
    names = [table.get("path")]
    increment = table.get("increment")
    if table.get("log_mode") == "INCREMENTAL" and isinstance(increment, int) and increment > 0:
        names = _increments(conn, run_pk, key, found["step"], increment)
    return [_table_file(ctx, conn, run_pk, name) for name in names]


def _increments(conn: Connection, run_pk: int, key: str, step: int, last: int) -> list[Any]:
    parts: dict[int, Any] = {}
    for s, ref in store.all_refs(conn, run_pk, key, "table-file"):
        number = ref.get("increment", 0)
        if s <= step and isinstance(number, int) and 0 <= number <= last:
            parts[number] = ref.get("path")
    if sorted(parts) != list(range(last + 1)):
        raise not_found(f"Parts of the incremental table {key!r} are missing before step {step}.")
    return [parts[n] for n in range(last + 1)]


def _table_file(ctx: Context, conn: Connection, run_pk: int, name: Any) -> Any:
    if not isinstance(name, str) or store.MEDIA_NAME.fullmatch(name) is None:
        raise not_found(f"Table file name {name!r} is not allowed (not media/<sha256>.<ext>).")
    files.require(conn, run_pk, name, member=False)
    cache_dir = Path(ctx.config.data_dir).expanduser() / "cache"
    try:
        return local_copy(ctx.storage, files.key(run_pk, name), cache_dir)
    except FileNotFoundError:
        raise not_found(f"Table file {name!r} is listed but missing from the storage.") from None


def _key(key: str) -> str:
    return text_param("key", key) or key


def _no_media(key: str, step: int | None = None) -> Exception:
    where = "" if step is None else f" at or before step {step}"
    return not_found(f"No media under key {key!r}{where}; list the run's media keys first.")
