"""The artifact routes of ``/api/v1``: blobs, versions, aliases, manifests, files and lineage.

Same permission rules as runs: reading needs a readable project, writing a writable one.
Blob bodies stream into storage (never held whole); files stream out of it.
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Query
from fastapi import Path as PathParam
from sqlalchemy import Connection
from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response

from nbtrack.server.accounts import access
from nbtrack.server.accounts.access import Project, Viewer
from nbtrack.server.api import (
    FILE_HEADERS,
    Ctx,
    Who,
    readable_run,
    writable_project_run,
    writable_run,
)
from nbtrack.server.artifacts import blobs, lineage, store
from nbtrack.server.artifacts.payloads import (
    ArtifactCommit,
    ArtifactEdit,
    ArtifactUse,
    BlobQuery,
)
from nbtrack.server.context import Context
from nbtrack.server.files import streams
from nbtrack.server.files.store import safe_name
from nbtrack.server.problems import invalid
from nbtrack.server.wire import JSONResponse

router = APIRouter(prefix="/api/v1", default_response_class=JSONResponse, strict_content_type=False)
BLOBS = "/artifacts/{entity}/{project}/blobs"
VERSION = "/artifacts/{entity}/{project}/{name}/{alias}"
NAME_PATTERN = r"^[A-Za-z0-9_.-]{1,128}$"
ArtifactName = Annotated[str, PathParam(pattern=NAME_PATTERN)]
Alias = Annotated[str, PathParam(pattern=NAME_PATTERN)]
Sha256 = Annotated[str, PathParam(pattern=r"^[0-9a-f]{64}$")]


@router.post(BLOBS + "/missing")
def missing_blobs(entity: str, project: str, body: BlobQuery, ctx: Ctx, who: Who) -> JSONResponse:
    """Which of these SHA-256s the entity has not uploaded yet."""
    with ctx.db.read() as conn:
        proj = access.writable(conn, who, entity, project)
        missing = store.missing_blobs(conn, store.entity_pk(conn, proj), body.sha256)
    return JSONResponse({"missing": missing})


@router.put(BLOBS + "/{sha256}")
async def put_blob(
    entity: str, project: str, sha256: Sha256, request: Request, ctx: Ctx, who: Who
) -> JSONResponse:
    """One blob, the body its bytes (streamed; checked against the SHA-256)."""
    blobs.check_sha256(sha256)
    owner = await run_in_threadpool(writable_entity, ctx, who, entity, project)
    limit = ctx.config.max_artifact_file
    size = await blobs.receive_one(request.stream(), ctx.storage, sha256, limit)
    await run_in_threadpool(record_blobs, ctx, owner, [(sha256, size)])
    return JSONResponse({"sha256": sha256, "size": size})


@router.post(BLOBS)
async def post_blobs(
    entity: str, project: str, request: Request, ctx: Ctx, who: Who
) -> JSONResponse:
    """Many small blobs: an index line ``{"blobs": [[sha256, size], ...]}`` then their bytes."""
    owner = await run_in_threadpool(writable_entity, ctx, who, entity, project)
    body = await request.body()  # at most the body limit (--max-body-mb); small files only
    stored = await run_in_threadpool(blobs.store_batch, body, ctx.storage)
    await run_in_threadpool(record_blobs, ctx, owner, stored)
    return JSONResponse({"stored": len(stored)})


def writable_entity(ctx: Context, who: Viewer, entity: str, project: str) -> int:
    """The pk of the entity that owns the project, if ``who`` may write to the project."""
    with ctx.db.write() as conn:
        return store.entity_pk(conn, access.writable(conn, who, entity, project))


def record_blobs(ctx: Context, owner: int, stored: list[tuple[str, int]]) -> None:
    """Note that the entity ``owner`` holds the stored blobs (sha256, size)."""
    with ctx.db.write() as conn:
        store.record_blobs(conn, owner, stored)


@router.post("/runs/{entity}/{project}/{run_id}/artifacts")
def commit_artifact(
    entity: str, project: str, run_id: str, body: ArtifactCommit, ctx: Ctx, who: Who
) -> JSONResponse:
    """Record a version logged by the run (the same digest answers the same version)."""
    with ctx.db.write() as conn:
        proj, row = writable_project_run(ctx, conn, who, entity, project, run_id)
        fields = body.model_dump() | {"entries": body.stored()}
        version_pk = store.commit(conn, ctx.db.dialect, proj, row["pk"], fields)
        found = store.version_by_pk(conn, version_pk)
        return JSONResponse(store.present(conn, proj, found))


@router.post("/runs/{entity}/{project}/{run_id}/artifacts/used")
def use_artifact(
    entity: str, project: str, run_id: str, body: ArtifactUse, ctx: Ctx, who: Who
) -> JSONResponse:
    """Record that the run used a version (by version, or by digest if logged offline)."""
    with ctx.db.write() as conn:
        row = writable_run(ctx, conn, who, entity, project, run_id)
        source = access.readable(conn, who, body.entity, body.project)
        version = lineage.used_version(conn, source, body.name, body.version, body.digest)
        store.record_use(conn, version["pk"], row["pk"])
        return JSONResponse(store.present(conn, source, version))


@router.get("/runs/{entity}/{project}/{run_id}/artifacts")
def run_artifacts(entity: str, project: str, run_id: str, ctx: Ctx, who: Who) -> JSONResponse:
    """The versions the run logged and used: ``{"logged": [...], "used": [...]}``."""
    with ctx.db.read() as conn:
        _, row = readable_run(conn, who, entity, project, run_id)
        return JSONResponse(lineage.of_run(conn, who, row["pk"]))


@router.get("/artifacts/{entity}/{project}")
def list_artifacts(
    entity: str,
    project: str,
    ctx: Ctx,
    who: Who,
    type: Annotated[str | None, Query(max_length=128)] = None,
    name: Annotated[str | None, Query(max_length=128)] = None,
) -> JSONResponse:
    """The project's artifact collections (optionally of one type, or one name)."""
    with ctx.db.read() as conn:
        proj = access.readable(conn, who, entity, project)
        return JSONResponse({"artifacts": lineage.collections(conn, proj, type, name)})


@router.get("/artifacts/{entity}/{project}/{name}/versions")
def list_versions(
    entity: str, project: str, name: ArtifactName, ctx: Ctx, who: Who
) -> JSONResponse:
    """Every version of the collection, newest first."""
    with ctx.db.read() as conn:
        proj = access.readable(conn, who, entity, project)
        return JSONResponse({"versions": lineage.versions(conn, proj, name)})


@router.get(VERSION)
def get_version(
    entity: str, project: str, name: ArtifactName, alias: Alias, ctx: Ctx, who: Who
) -> JSONResponse:
    """``name:alias`` (``v3``, ``latest``, ``best``): the version's description."""
    with ctx.db.read() as conn:
        proj, found = _readable_version(conn, who, entity, project, name, alias)
        return JSONResponse(store.present(conn, proj, found))


def _readable_version(
    conn: Connection, who: Viewer, entity: str, project: str, name: str, alias: str
) -> tuple[Project, dict[str, Any]]:
    """The readable project and its version ``name:alias`` (or the 403/404 saying which not)."""
    proj = access.readable(conn, who, entity, project)
    return proj, store.find_version(conn, proj, name, alias)


@router.patch(VERSION)
def edit_version(
    entity: str,
    project: str,
    name: ArtifactName,
    alias: Alias,
    body: ArtifactEdit,
    ctx: Ctx,
    who: Who,
) -> JSONResponse:
    """Move aliases to this version (``best``), or change its description or metadata."""
    with ctx.db.write() as conn:
        proj = access.writable(conn, who, entity, project)
        found = store.find_version(conn, proj, name, alias)
        lineage.edit(conn, found, body.model_dump(exclude_unset=True))
        return JSONResponse(store.present(conn, proj, store.version_by_pk(conn, found["pk"])))


@router.get(VERSION + "/manifest")
def get_manifest(
    entity: str, project: str, name: ArtifactName, alias: Alias, ctx: Ctx, who: Who
) -> JSONResponse:
    """The version's entries: ``{"digest", "entries": {path: {digest, size, ref?}}}``."""
    with ctx.db.read() as conn:
        _, found = _readable_version(conn, who, entity, project, name, alias)
        body = {
            "version": 1,
            "digest": found["digest"],
            "entries": store.entries(conn, found["pk"]),
        }
        return JSONResponse(body)


@router.get(VERSION + "/runs")
def version_runs(
    entity: str, project: str, name: ArtifactName, alias: Alias, ctx: Ctx, who: Who
) -> JSONResponse:
    """The run that logged the version and the runs that used it (paths)."""
    with ctx.db.read() as conn:
        _, found = _readable_version(conn, who, entity, project, name, alias)
        body = {
            "logged_by": store.run_path(conn, found["producer_pk"]),
            "used_by": lineage.used_by(conn, who, found["pk"]),
        }
        return JSONResponse(body)


@router.get(VERSION + "/files/{path:path}")
def get_file(
    entity: str, project: str, name: ArtifactName, alias: Alias, path: str, ctx: Ctx, who: Who
) -> Response:
    """One stored file of the version, streamed (references are fetched from their origin)."""
    safe_name(path)
    with ctx.db.read() as conn:
        _, found = _readable_version(conn, who, entity, project, name, alias)
        item = store.entry(conn, found["pk"], path)
    if item["ref"] is not None:
        raise invalid(f"File {path!r} is a reference to {item['ref']}; fetch it from there.")
    return _stream(ctx, item["digest"])


def _stream(ctx: Context, sha256: str) -> Response:
    """The blob from the store: a redirect to a presigned URL when it gives one, else streamed."""
    key, what = blobs.key(sha256), f"Blob {sha256}"
    url = ctx.storage.presign_get(key)
    if url is not None and ctx.storage.exists(key):
        return RedirectResponse(url, status_code=307)
    return streams.respond(ctx.storage, key, what, "application/octet-stream", FILE_HEADERS)
