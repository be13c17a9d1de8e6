"""Resumable uploads to a local-directory store: a large blob arrives in numbered parts.

The plan (:mod:`nbtrack.server.directupload`) tells the client the part size and the parts the
server holds already. Each part is received into ``uploads/blobs/<sha256>.parts/<n>`` and
appears there only once complete, so a client whose upload broke off asks for the plan again
and sends only the missing parts. Completing streams the parts in order into the blob's key,
hashing them on the way: the blob appears only if size and SHA-256 match, then the parts go.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

from nbtrack.server import blobs
from nbtrack.server.problems import ApiError, invalid, too_large
from nbtrack.server.storage import Storage, StorageError


def folder(staging_key: str) -> str:
    return f"{staging_key}.parts"


def held(storage: Storage, staging_key: str) -> dict[int, int]:
    """The complete parts the server holds, number -> size."""
    where = storage.local_path(folder(staging_key))
    if where is None or not where.is_dir():
        return {}
    return {int(p.name): p.stat().st_size for p in where.iterdir() if p.name.isdigit()}


async def receive(
    chunks: AsyncIterator[bytes], storage: Storage, staging_key: str, number: int, limit: int
) -> int:
    """Stream part ``number`` into the store; answers its size."""
    try:
        with storage.upload(f"{folder(staging_key)}/{number}") as upload:
            size = 0
            async for chunk in chunks:
                size += len(chunk)
                if size > limit:
                    raise too_large(limit)
                upload.write(chunk)
            return upload.commit()
    except StorageError as exc:
        raise blobs.unavailable(exc) from None


def join(storage: Storage, staging_key: str, sha256: str, size: int) -> None:
    """Join the parts into the blob, checked against its SHA-256 and size; then drop them."""
    if storage.size(blobs.key(sha256)) == size:
        storage.delete_prefix(folder(staging_key))
        return  # joined before (an answer that got lost)
    parts = held(storage, staging_key)
    _check_complete(parts, sha256, size)
    writer = blobs.BlobWriter(storage, sha256, size)
    try:
        for number in sorted(parts):
            for chunk in storage.read(f"{folder(staging_key)}/{number}"):
                writer.write(chunk)
        writer.finish()
    except StorageError as exc:  # the parts stay for a retry
        raise blobs.unavailable(exc) from None
    except ApiError:  # the bytes do not match: the parts are no use
        storage.delete_prefix(folder(staging_key))
        raise
    finally:
        writer.abort()
    storage.delete_prefix(folder(staging_key))


def _check_complete(parts: dict[int, int], sha256: str, size: int) -> None:
    numbers = sorted(parts)
    if not numbers or numbers != list(range(1, len(numbers) + 1)) or sum(parts.values()) != size:
        raise invalid(
            f"The upload of {sha256} holds parts {numbers} ({sum(parts.values())} of {size} "
            "bytes); send the missing parts (ask for the plan again), then complete."
        )


def plan(storage: Storage, staging_key: str, size: int, part_size: int) -> dict[str, Any]:
    """Parts of ``part_size`` bytes, and the ones held already."""
    count = max(1, -(-size // part_size))
    have = held(storage, staging_key)
    return {
        "method": "parts",
        "part_size": part_size,
        "count": count,
        "uploaded": [{"number": n, "size": s} for n, s in sorted(have.items()) if n <= count],
    }
