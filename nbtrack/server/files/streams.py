"""Request bodies into storage and stored objects out as responses, without holding them whole.

A body is written in slices of ``SLICE`` bytes off the event loop (an S3 part upload blocks);
an object is answered from its local file when the store has one, else streamed from the store.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Mapping

from starlette.concurrency import run_in_threadpool
from starlette.responses import FileResponse, Response, StreamingResponse

from nbtrack.server.problems import not_found, too_large
from nbtrack.server.storage import Storage

SLICE = 1024 * 1024


async def receive(chunks: AsyncIterator[bytes], storage: Storage, key: str, limit: int) -> int:
    """Stream a body to ``key`` (committed only when complete and within ``limit``)."""
    upload = await run_in_threadpool(storage.upload, key)
    with upload:
        pending, size = bytearray(), 0
        async for chunk in chunks:
            size += len(chunk)
            if size > limit:
                raise too_large(limit)
            pending += chunk
            if len(pending) >= SLICE:
                await run_in_threadpool(upload.write, bytes(pending))
                pending.clear()
        if pending:
            await run_in_threadpool(upload.write, bytes(pending))
        return await run_in_threadpool(upload.commit)


def respond(
    storage: Storage, key: str, what: str, media_type: str, headers: Mapping[str, str]
) -> Response:
    """The object under ``key``; a 404 naming ``what`` if the store lost it."""
    local = storage.local_path(key)
    if local is not None:
        if not local.is_file():
            raise not_found(f"{what} is listed but missing from the server's storage.")
        return FileResponse(local, media_type=media_type, headers=dict(headers))
    size = storage.size(key)
    if size is None:
        raise not_found(f"{what} is listed but missing from the server's storage.")
    shown = {**headers, "Content-Length": str(size)}
    return StreamingResponse(storage.aread(key), media_type=media_type, headers=shown)
