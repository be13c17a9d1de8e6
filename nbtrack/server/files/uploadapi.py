"""Direct uploads to the object store (``/api/v1``): ask for a plan, send the bytes, complete.

``POST /artifacts/{entity}/{project}/uploads`` and ``.../uploads/complete`` for an artifact blob;
``POST /runs/{entity}/{project}/{run_id}/uploads`` and ``.../uploads/complete`` for a run file.
A plan of ``{"method": "stream"}`` means this server's store takes no direct writes: the client
PUTs the bytes to the usual route instead. See :mod:`nbtrack.server.files.directupload`.
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter
from fastapi import Path as PathParam
from pydantic import AfterValidator, Field
from starlette.concurrency import run_in_threadpool
from starlette.requests import Request

from nbtrack.server.api import Ctx, Who, file_target, record_file
from nbtrack.server.artifacts import blobs
from nbtrack.server.artifacts import store as artifacts
from nbtrack.server.artifacts.api import record_blobs, writable_entity
from nbtrack.server.context import Context
from nbtrack.server.files import directupload, store
from nbtrack.server.payloads import Body
from nbtrack.server.problems import too_large
from nbtrack.server.storage import localparts
from nbtrack.server.wire import JSONResponse

router = APIRouter(prefix="/api/v1", default_response_class=JSONResponse, strict_content_type=False)
Sha256 = Annotated[str, Field(pattern=r"^[0-9a-f]{64}$")]
Size = Annotated[int, Field(ge=0, le=2**62)]
Sha256Path = Annotated[str, PathParam(pattern=r"^[0-9a-f]{64}$")]
PartNumber = Annotated[int, PathParam(ge=1, le=directupload.MAX_PARTS)]


def _file_name(value: str) -> str:
    try:
        return store.safe_name(value)
    except Exception as exc:
        raise ValueError(str(exc)) from None


class BlobUpload(Body):
    sha256: Sha256
    size: Size
    upload_id: str | None = None


class FileUpload(BlobUpload):
    name: Annotated[str, AfterValidator(_file_name)]


@router.post("/artifacts/{entity}/{project}/uploads")
async def plan_blob(
    entity: str, project: str, body: BlobUpload, ctx: Ctx, who: Who
) -> JSONResponse:
    """How to upload one blob: stream it, it is stored already, or the store's URLs."""
    _within(body.size, ctx.config.max_artifact_file)
    owner = await run_in_threadpool(writable_entity, ctx, who, entity, project)
    return JSONResponse(await run_in_threadpool(_blob_plan, ctx, owner, body))


def _blob_plan(ctx: Context, owner: int, body: BlobUpload) -> dict[str, Any]:
    stored = ctx.storage.size(blobs.key(body.sha256)) == body.size
    if directupload.direct(ctx.storage) and stored and _owns(ctx, owner, body.sha256):
        return {"method": "done"}
    key = directupload.staging("blobs", body.sha256)
    return directupload.plan(ctx.storage, key, body.size, parts=True)


@router.put("/artifacts/{entity}/{project}/blobs/{sha256}/parts/{number}")
async def put_part(
    entity: str,
    project: str,
    sha256: Sha256Path,
    number: PartNumber,
    request: Request,
    ctx: Ctx,
    who: Who,
) -> JSONResponse:
    """Part ``number`` of a blob uploaded in parts (a ``parts`` plan; local stores)."""
    await run_in_threadpool(writable_entity, ctx, who, entity, project)
    key = directupload.staging("blobs", sha256)
    size = await localparts.receive(request.stream(), ctx.storage, key, number)
    return JSONResponse({"number": number, "size": size})


@router.post("/artifacts/{entity}/{project}/uploads/complete")
async def complete_blob(
    entity: str, project: str, body: BlobUpload, ctx: Ctx, who: Who
) -> JSONResponse:
    """Check the uploaded blob (size, SHA-256), keep it under its key and record it."""
    owner = await run_in_threadpool(writable_entity, ctx, who, entity, project)
    key = directupload.staging("blobs", body.sha256)
    target = blobs.key(body.sha256)
    owned = await run_in_threadpool(_owns, ctx, owner, body.sha256)
    await run_in_threadpool(
        directupload.finish, ctx.storage, key, target, body.sha256, body.size, body.upload_id, owned
    )
    await run_in_threadpool(record_blobs, ctx, owner, [(body.sha256, body.size)])
    return JSONResponse({"sha256": body.sha256, "size": body.size})


@router.post("/runs/{entity}/{project}/{run_id}/uploads")
async def plan_file(
    entity: str, project: str, run_id: str, body: FileUpload, ctx: Ctx, who: Who
) -> JSONResponse:
    """How to upload one run file: stream it to ``PUT .../files/{name}``, or the store's URLs."""
    _within(body.size, ctx.config.max_file)
    row = await run_in_threadpool(file_target, ctx, who, entity, project, run_id, body.name)
    key = directupload.staging(f"files/{row['pk']}", body.sha256)
    return JSONResponse(await run_in_threadpool(directupload.plan, ctx.storage, key, body.size))


@router.post("/runs/{entity}/{project}/{run_id}/uploads/complete")
async def complete_file(
    entity: str, project: str, run_id: str, body: FileUpload, ctx: Ctx, who: Who
) -> JSONResponse:
    """Check the uploaded file (size, SHA-256), move it under the run and list it."""
    row = await run_in_threadpool(file_target, ctx, who, entity, project, run_id, body.name)
    key = directupload.staging(f"files/{row['pk']}", body.sha256)
    target = store.key(row["pk"], body.name)
    await run_in_threadpool(
        directupload.finish, ctx.storage, key, target, body.sha256, body.size, body.upload_id
    )
    info = await run_in_threadpool(record_file, ctx, row["pk"], body.name, body.size)
    return JSONResponse(info)


def _owns(ctx: Context, owner: int, sha256: str) -> bool:
    """Whether the entity has uploaded this blob already. A blob stored for another entity is not
    theirs: knowing its SHA-256 and size is no proof of holding its bytes."""
    with ctx.db.read() as conn:
        return not artifacts.missing_blobs(conn, owner, [sha256])


def _within(size: int, limit: int) -> None:
    if size > limit:
        raise too_large(limit)
