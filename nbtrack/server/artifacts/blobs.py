"""Artifact blobs in storage: received as streams, checked against their SHA-256, kept once.

A blob's key is ``artifacts/sha256/<ab>/<sha256>``, the same for every entity and version, so
identical files are stored once. A blob is committed to storage only after its bytes hashed
to the SHA-256 it was sent under; a broken or lying upload leaves nothing behind. Bodies are
never held whole: each chunk is hashed and written as it arrives.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import AsyncIterator
from typing import Any

from nbtrack.server.problems import ApiError, invalid, too_large
from nbtrack.server.storage import Storage, StorageError

SHA256_HEX = frozenset("0123456789abcdef")


def key(sha256: str) -> str:
    return f"artifacts/sha256/{sha256[:2]}/{sha256}"


def check_sha256(value: Any) -> str:
    if not isinstance(value, str) or len(value) != 64 or not set(value) <= SHA256_HEX:
        raise invalid(f"{value!r} is not a SHA-256: send 64 lower-case hex digits.")
    return value


def unavailable(exc: Exception) -> ApiError:
    return ApiError(
        503,
        "unavailable",
        f"The file store refused the upload ({exc}); retry later.",
        {"Retry-After": "5"},
    )


class BlobWriter:
    """One blob being received: hashed and written chunk by chunk, committed when it checks."""

    def __init__(self, storage: Storage, sha256: str, size: int | None) -> None:
        self.sha256, self.expected, self.size = sha256, size, 0
        self.hasher = hashlib.sha256()
        self.present = storage.exists(key(sha256))
        self.upload = None if self.present else storage.upload(key(sha256))

    def write(self, chunk: bytes) -> None:
        self.size += len(chunk)
        self.hasher.update(chunk)
        if self.upload is not None:
            self.upload.write(chunk)

    def finish(self) -> int:
        if self.hasher.hexdigest() != self.sha256 or (
            self.expected is not None and self.size != self.expected
        ):
            self.abort()
            raise invalid(
                f"The bytes sent for blob {self.sha256} do not match it (SHA-256 "
                f"{self.hasher.hexdigest()}, {self.size} bytes); send the file again."
            )
        if self.upload is not None:
            self.upload.commit()
        return self.size

    def abort(self) -> None:
        if self.upload is not None:
            self.upload.abort()


async def receive_one(
    chunks: AsyncIterator[bytes], storage: Storage, sha256: str, limit: int
) -> int:
    """Stream one blob from a request body into storage; answers its size."""
    writer = BlobWriter(storage, sha256, None)
    try:
        async for chunk in chunks:
            if writer.size + len(chunk) > limit:
                raise too_large(limit)
            writer.write(chunk)
        return writer.finish()
    except StorageError as exc:
        raise unavailable(exc) from None
    finally:
        writer.abort()


def store_batch(body: bytes, storage: Storage) -> list[tuple[str, int]]:
    """Many small blobs in one body (at most the server's body limit): a JSON line
    ``{"blobs": [[sha256, size], ...]}``, then their bytes one after another, each checked
    against its SHA-256. Answers the blobs stored, in order."""
    end = body.find(b"\n")
    if end < 0:
        raise invalid("The batch has no index line; start the body with a JSON line.")
    index = _index(body[:end])
    position = end + 1
    try:
        for sha256, size in index:
            data = body[position : position + size]
            if len(data) < size:
                raise invalid(
                    f"The batch body ended inside blob {sha256} (of {len(index)}); send it again."
                )
            if hashlib.sha256(data).hexdigest() != sha256:
                raise invalid(f"The bytes sent for blob {sha256} do not match it; send them again.")
            if not storage.exists(key(sha256)):
                storage.put_bytes(key(sha256), data)
            position += size
    except StorageError as exc:
        raise unavailable(exc) from None
    if position != len(body):
        raise invalid("The batch body has bytes past its last blob; send it again.")
    return index


def _index(line: bytes) -> list[tuple[str, int]]:
    try:
        listed = json.loads(line)["blobs"]
        index = [(check_sha256(s), int(n)) for s, n in listed]
    except (ValueError, KeyError, TypeError):
        raise invalid('The batch\'s first line must be {"blobs": [[sha256, size], ...]}.') from None
    if any(n < 0 for _, n in index):
        raise invalid("A blob size in the batch index is negative.")
    return index
