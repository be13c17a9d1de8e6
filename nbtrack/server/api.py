"""The HTTP API, ``/api/v1``: declarative routes, each a short function over the store modules."""

from __future__ import annotations

import contextlib
import time
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query
from fastapi import Path as PathParam
from sqlalchemy import Connection
from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import Response

from nbtrack import __version__
from nbtrack.api.filters import Node
from nbtrack.api.filters import parse as parse_filters
from nbtrack.server.accounts import access, auth
from nbtrack.server.accounts import store as accounts
from nbtrack.server.accounts.access import Project, Viewer
from nbtrack.server.context import Context, context_of
from nbtrack.server.files import store as files
from nbtrack.server.files import streams
from nbtrack.server.history import charts, sampling, seriesquery
from nbtrack.server.history import store as history
from nbtrack.server.media import filetypes
from nbtrack.server.payloads import (
    INT64_MAX,
    INT64_MIN,
    HistoryBatch,
    Membership,
    NewKey,
    NewTeam,
    NewUser,
    RunEdit,
    RunPatch,
    Visibility,
    body_schema,
    clean_text,
    history_batch,
)
from nbtrack.server.problems import forbidden, invalid, not_found
from nbtrack.server.runs import edit
from nbtrack.server.runs import store as runs
from nbtrack.server.storage import StorageError
from nbtrack.server.wire import JSONResponse, dumps, loads
from nbtrack.settings import check_run_id


def viewer_dependency(request: Request, ctx: Annotated[Context, Depends(context_of)]) -> Viewer:
    return auth.viewer_of(request, ctx.db)


Ctx = Annotated[Context, Depends(context_of)]
Who = Annotated[Viewer, Depends(viewer_dependency)]
Step = Annotated[int | None, Query(ge=INT64_MIN, le=INT64_MAX)]
router = APIRouter(prefix="/api/v1", default_response_class=JSONResponse, strict_content_type=False)


def valid_run_id(run_id: str) -> str:
    try:
        return check_run_id(run_id)
    except ValueError as exc:
        raise invalid(str(exc)) from None


def text_param(name: str, value: str | None) -> str | None:
    if value is None:
        return None
    try:
        return clean_text(value)
    except ValueError as exc:
        raise invalid(f"Query parameter {name}={value!r} {exc}.") from None


def run_json(ctx: Ctx, request: Request, row: dict[str, Any], project: Project) -> dict[str, Any]:
    return runs.present(row, project, ctx.base_url(request), ctx.config.heartbeat_timeout)


@router.get("/health")
def health(ctx: Ctx) -> JSONResponse:
    return JSONResponse({"status": "ok", "version": __version__, "database": ctx.db.dialect.name})


@router.get("/viewer")
def viewer(ctx: Ctx, who: Who) -> JSONResponse:
    user = access.require_user(who)
    with ctx.db.read() as conn:
        teams = accounts.teams_of(conn, user.pk)
    body = {"username": user.name, "entity": user.name, "admin": user.is_admin, "teams": teams}
    return JSONResponse(body)


@router.put("/runs/{entity}/{project}/{run_id}")
def put_run(
    entity: str, project: str, run_id: str, patch: RunPatch, ctx: Ctx, who: Who, request: Request
) -> JSONResponse:
    valid_run_id(run_id)
    with ctx.db.write() as conn:
        proj = access.writable(conn, who, entity, project)
        row = runs.upsert(conn, ctx.db.dialect, proj, run_id, patch.model_dump(exclude_unset=True))
    return JSONResponse(run_json(ctx, request, row, proj))


@router.get("/runs/{entity}/{project}/{run_id}")
def get_run(
    entity: str, project: str, run_id: str, ctx: Ctx, who: Who, request: Request
) -> JSONResponse:
    with ctx.db.read() as conn:
        proj, row = readable_run(conn, who, entity, project, run_id)
    return JSONResponse(run_json(ctx, request, row, proj))


def readable_run(
    conn: Connection, who: Viewer, entity: str, project: str, run_id: str
) -> tuple[Project, dict[str, Any]]:
    proj = access.readable(conn, who, entity, project)
    return proj, runs.find(conn, proj, valid_run_id(run_id))


def writable_run(
    ctx: Context, conn: Connection, who: Viewer, entity: str, project: str, run_id: str
) -> dict[str, Any]:
    """The run, created empty if new, locked for this transaction."""
    return writable_project_run(ctx, conn, who, entity, project, run_id)[1]


def writable_project_run(
    ctx: Context, conn: Connection, who: Viewer, entity: str, project: str, run_id: str
) -> tuple[Project, dict[str, Any]]:
    """The project and its run, created empty if new, locked for this transaction."""
    valid_run_id(run_id)
    proj = access.writable(conn, who, entity, project)
    return proj, runs.upsert(conn, ctx.db.dialect, proj, run_id, {})


@router.patch("/runs/{entity}/{project}/{run_id}")
def edit_run(
    entity: str, project: str, run_id: str, body: RunEdit, ctx: Ctx, who: Who, request: Request
) -> JSONResponse:
    with ctx.db.write() as conn:
        proj, row = editable_run(conn, who, entity, project, run_id)
        runs.lock(conn, ctx.db.dialect, row["pk"])
        edit.edit(conn, row, body.model_dump(exclude_unset=True))
        fresh = runs.find(conn, proj, row["run_id"])
    return JSONResponse(run_json(ctx, request, fresh, proj))


@router.delete("/runs/{entity}/{project}/{run_id}")
def delete_run(entity: str, project: str, run_id: str, ctx: Ctx, who: Who) -> JSONResponse:
    with ctx.db.write() as conn:
        _, row = editable_run(conn, who, entity, project, run_id)
        runs.lock(conn, ctx.db.dialect, row["pk"])
        edit.delete(conn, row["pk"])
    with contextlib.suppress(StorageError):  # the run is gone; its files are left over at worst
        ctx.storage.delete_prefix(f"files/{row['pk']}")
    return JSONResponse({"id": run_id, "deleted": True})


def editable_run(
    conn: Connection, who: Viewer, entity: str, project: str, run_id: str
) -> tuple[Project, dict[str, Any]]:
    """An existing run the viewer may change (a private project stays hidden from others)."""
    access.require_user(who)
    proj, row = readable_run(conn, who, entity, project, run_id)
    access.writable(conn, who, entity, project)
    return proj, row


@router.post("/runs/{entity}/{project}/{run_id}/history", openapi_extra=body_schema(HistoryBatch))
async def append_history(
    entity: str, project: str, run_id: str, request: Request, ctx: Ctx, who: Who
) -> JSONResponse:
    """The body is read here and parsed off the event loop (``payloads.history_batch``)."""
    body = await request.body()
    return await run_in_threadpool(store_history, ctx, who, (entity, project, run_id), body)


def store_history(
    ctx: Context, who: Viewer, path: tuple[str, str, str], body: bytes
) -> JSONResponse:
    entity, project, run_id = path
    records = [(r.offset, r.step, r.data) for r in history_batch(body).records]
    with ctx.db.write() as conn:
        row = writable_run(ctx, conn, who, entity, project, run_id)
        inserted, max_offset = history.append(conn, ctx.db.dialect, row, records, time.time())
    return JSONResponse({"inserted": inserted, "max_offset": max_offset})


@router.get("/runs/{entity}/{project}/{run_id}/history")
def get_history(
    entity: str,
    project: str,
    run_id: str,
    ctx: Ctx,
    who: Who,
    keys: str | None = None,
    min_step: Step = None,
    max_step: Step = None,
    limit: Annotated[int, Query(ge=1, le=100_000)] = 1000,
    samples: Annotated[int | None, Query(ge=2, le=100_000)] = None,
) -> Response:
    chosen = _keys(keys)
    with ctx.db.read() as conn:
        _, row = readable_run(conn, who, entity, project, run_id)
        if samples is not None:
            metrics = chosen if chosen is not None else history.metrics(conn, row["pk"])
            series = charts.chart(conn, row["pk"], metrics, samples, min_step, max_step)
            return JSONResponse({"series": series})
        found, next_step = history.page(conn, row["pk"], min_step, max_step, chosen, limit)
    text = ",".join(r if isinstance(r, history.RawJSON) else dumps(r) for r in found)
    body = f'{{"rows":[{text}],"next_min_step":{dumps(next_step)}}}'
    return Response(body, media_type="application/json")


def _keys(keys: str | None) -> list[str] | None:
    if keys is None:
        return None
    text_param("keys", keys)
    return [k for k in (part.strip() for part in keys.split(",")) if k] or None


@router.get("/runs/{entity}/{project}/{run_id}/history/sampled")
def sampled_history(
    entity: str,
    project: str,
    run_id: str,
    ctx: Ctx,
    who: Who,
    samples: Annotated[int, Query(ge=1, le=100_000)] = 500,
    keys: str | None = None,
) -> JSONResponse:
    chosen = _keys(keys)
    for key in chosen or []:
        if '"' in key or "\\" in key:
            raise invalid(f"History key {key!r} cannot be sampled: it holds a quote or backslash.")
    with ctx.db.read() as conn:
        _, row = readable_run(conn, who, entity, project, run_id)
        found = sampling.sample(conn, ctx.db.dialect, row["pk"], samples, chosen)
    return JSONResponse({"rows": found})


@router.get("/runs/{entity}/{project}/{run_id}/history/keys")
def history_keys(entity: str, project: str, run_id: str, ctx: Ctx, who: Who) -> JSONResponse:
    with ctx.db.read() as conn:
        _, row = readable_run(conn, who, entity, project, run_id)
        return JSONResponse({"keys": history.metrics(conn, row["pk"])})


@router.post("/runs/{entity}/{project}/{run_id}/heartbeat")
def heartbeat(entity: str, project: str, run_id: str, ctx: Ctx, who: Who) -> JSONResponse:
    with ctx.db.write() as conn:
        row = writable_run(ctx, conn, who, entity, project, run_id)
    return JSONResponse({"state": runs.shown_state(row, ctx.config.heartbeat_timeout)})


@router.put("/runs/{entity}/{project}/{run_id}/files/{name:path}")
async def put_file(
    entity: str, project: str, run_id: str, name: str, request: Request, ctx: Ctx, who: Who
) -> JSONResponse:
    files.safe_name(name)
    row = await run_in_threadpool(file_target, ctx, who, entity, project, run_id, name)
    key = files.key(row["pk"], name)
    size = await streams.receive(request.stream(), ctx.storage, key, ctx.config.max_file)
    info = await run_in_threadpool(record_file, ctx, row["pk"], name, size)
    return JSONResponse(info)


def file_target(
    ctx: Context, who: Viewer, entity: str, project: str, run_id: str, name: str
) -> dict[str, Any]:
    """The writable run a file goes to, once its name clashes with none of the run's files."""
    with ctx.db.write() as conn:
        row = writable_run(ctx, conn, who, entity, project, run_id)
        files.check_clash(conn, row["pk"], name)
        return row


def record_file(ctx: Context, run_pk: int, name: str, size: int) -> dict[str, Any]:
    with ctx.db.write() as conn:
        return files.record(conn, run_pk, name, size)


@router.get("/runs/{entity}/{project}/{run_id}/files")
def list_files(entity: str, project: str, run_id: str, ctx: Ctx, who: Who) -> JSONResponse:
    with ctx.db.read() as conn:
        proj, row = readable_run(conn, who, entity, project, run_id)
        return JSONResponse(files.listing(conn, row["pk"], proj.member))


@router.get("/runs/{entity}/{project}/{run_id}/files/{name:path}")
def get_file(entity: str, project: str, run_id: str, name: str, ctx: Ctx, who: Who) -> Response:
    files.safe_name(name)
    with ctx.db.read() as conn:
        proj, row = readable_run(conn, who, entity, project, run_id)
        files.require(conn, row["pk"], name, proj.member)
    key, what = files.key(row["pk"], name), f"File {name!r}"
    shown = filetypes.inline(name)
    if shown is not None:
        return streams.respond(ctx.storage, key, what, shown[0], shown[1])
    return streams.respond(ctx.storage, key, what, files.media_type(name), FILE_HEADERS)


FILE_HEADERS = {
    "X-Content-Type-Options": "nosniff",
    "Content-Security-Policy": "sandbox; default-src 'none'",
    "Content-Disposition": "attachment",
}


@router.get("/entities/{entity}/projects")
def list_projects(entity: str, ctx: Ctx, who: Who) -> JSONResponse:
    with ctx.db.read() as conn:
        return JSONResponse(access.projects_of(conn, who, entity))


def project_json(conn: Connection, proj: Project) -> dict[str, Any]:
    return {
        "entity": proj.entity,
        "name": proj.name,
        "visibility": proj.visibility,
        "created_at": proj.created_at,
        "run_count": access.run_count(conn, proj),
        "member": proj.member,
    }


@router.get("/projects/{entity}/{project}")
def get_project(entity: str, project: str, ctx: Ctx, who: Who) -> JSONResponse:
    with ctx.db.read() as conn:
        return JSONResponse(project_json(conn, access.readable(conn, who, entity, project)))


@router.patch("/projects/{entity}/{project}")
def patch_project(entity: str, project: str, body: Visibility, ctx: Ctx, who: Who) -> JSONResponse:
    with ctx.db.write() as conn:
        access.administrable(conn, who, entity)
        proj = access.readable(conn, who, entity, project)
        proj = access.set_visibility(conn, proj, body.visibility)
        return JSONResponse(project_json(conn, proj))


@router.get("/projects/{entity}/{project}/runs")
def list_runs(
    entity: str,
    project: str,
    ctx: Ctx,
    who: Who,
    request: Request,
    state: str | None = None,
    tag: str | None = None,
    group: str | None = None,
    sort: str = "-created_at",
    order: str | None = None,
    filters: str | None = None,
    limit: Annotated[int, Query(ge=1, le=1000)] = 50,
    offset: Annotated[int, Query(ge=0, le=INT64_MAX)] = 0,
) -> JSONResponse:
    query = runs.Listing(
        text_param("state", state),
        text_param("tag", tag),
        text_param("group", group),
        text_param("order", order) or text_param("sort", sort) or sort,
        limit,
        offset,
        run_filter(filters),
    )
    with ctx.db.read() as conn:
        proj = access.readable(conn, who, entity, project)
        page, total = runs.listing(conn, proj, query, ctx.config.heartbeat_timeout)
    return JSONResponse({"runs": [run_json(ctx, request, r, proj) for r in page], "total": total})


@router.post("/projects/{entity}/{project}/series")
def project_series(
    entity: str, project: str, body: seriesquery.SeriesQuery, ctx: Ctx, who: Who
) -> JSONResponse:
    """Many runs' downsampled metrics in one answer (see ``seriesquery``)."""
    timeout = ctx.config.heartbeat_timeout
    with ctx.db.read() as conn:
        if ctx.db.dialect.name == "postgresql":  # one snapshot: cursors match the points
            conn.exec_driver_sql("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ")
        proj = access.readable(conn, who, entity, project)
        chosen, missing = seriesquery.chosen_runs(conn, proj, body, timeout)
        found = seriesquery.answer(conn, body, chosen, timeout)
    return JSONResponse({"runs": found, "missing": missing})


def run_filter(text: str | None) -> Node | None:
    """The ``filters`` query parameter: wandb's MongoDB-style filter as JSON."""
    if text is None:
        return None
    text_param("filters", text)
    try:
        return parse_filters(loads(text, "filters parameter"))
    except ValueError as exc:
        raise invalid(f"filters: {exc}") from None


# --- administration: users, teams, members, keys ---


@router.post("/admin/users", status_code=201)
def create_user(body: NewUser, ctx: Ctx, who: Who) -> JSONResponse:
    access.require_server_admin(who)
    with ctx.db.write() as conn:
        user = accounts.create_user(conn, body.username, body.admin)
        key_id, key = accounts.create_key(conn, user, label="first key")
    return JSONResponse(
        {"username": user.name, "admin": user.is_admin, "key_id": key_id, "api_key": key},
        status_code=201,
    )


@router.post("/admin/teams", status_code=201)
def create_team(body: NewTeam, ctx: Ctx, who: Who) -> JSONResponse:
    access.require_server_admin(who)
    with ctx.db.write() as conn:
        accounts.create_team(conn, body.name)
    return JSONResponse({"name": body.name}, status_code=201)


@router.put("/teams/{team}/members/{username}")
def set_member(team: str, username: str, body: Membership, ctx: Ctx, who: Who) -> JSONResponse:
    with ctx.db.write() as conn:
        access.administrable(conn, who, team)
        accounts.set_member(conn, team, username, body.role)
    return JSONResponse({"team": team, "username": username, "role": body.role})


@router.delete("/teams/{team}/members/{username}")
def remove_member(team: str, username: str, ctx: Ctx, who: Who) -> JSONResponse:
    with ctx.db.write() as conn:
        access.administrable(conn, who, team)
        removed = accounts.remove_member(conn, team, username)
    return JSONResponse({"removed": removed})


def key_owner(conn: Connection, who: Viewer, username: str) -> accounts.User:
    me = access.require_user(who)
    if username != me.name and not me.is_admin:
        raise forbidden("You may only manage your own API keys.")
    return accounts.require_user(conn, username)


@router.post("/users/{username}/keys", status_code=201)
def create_key(username: str, body: NewKey, ctx: Ctx, who: Who) -> JSONResponse:
    with ctx.db.write() as conn:
        key_id, key = accounts.create_key(conn, key_owner(conn, who, username), body.label)
    return JSONResponse({"id": key_id, "api_key": key}, status_code=201)


@router.get("/users/{username}/keys")
def list_keys(username: str, ctx: Ctx, who: Who) -> JSONResponse:
    with ctx.db.read() as conn:
        return JSONResponse(accounts.list_keys(conn, key_owner(conn, who, username)))


@router.delete("/keys/{key_id}")
def revoke_key(
    key_id: Annotated[int, PathParam(ge=1, le=INT64_MAX)], ctx: Ctx, who: Who
) -> JSONResponse:
    me = access.require_user(who)
    with ctx.db.write() as conn:
        owner = accounts.key_owner(conn, key_id)
        if owner is None or (owner != me.pk and not me.is_admin):
            raise not_found(f"API key {key_id} not found among your keys.")
        accounts.revoke_key(conn, key_id)
    return JSONResponse({"id": key_id, "revoked": True})
