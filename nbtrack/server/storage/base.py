"""The storage interface: named blobs (run files, media, artifacts) in a directory or object store.

A key is a relative path of plain names separated by ``/`` (``files/12/output.log``,
``artifacts/sha256/ab/abcd...``); the server builds keys, users never pass them through
unchecked. Writing goes through an :class:`Upload`: chunks are written as they arrive and the
object appears under its key only at :meth:`Upload.commit`, so a reader never sees half a file
and an aborted upload leaves nothing behind. Reading is a stream of chunks. Nothing here holds a
whole object in memory.

Backends that can hand the client a URL of their own (S3 presigned URLs) answer the
``presign_*`` hooks; the local directory answers ``None`` and the server streams instead.
"""

from __future__ import annotations

import abc
from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from typing import BinaryIO

CHUNK = 1024 * 1024


class StorageError(Exception):
    """The store refused or lost an operation (a full disk, a bucket that refuses writes, ...)."""


class Upload(abc.ABC):
    """One object being written; invisible under its key until committed."""

    @abc.abstractmethod
    def write(self, chunk: bytes) -> None: ...

    @abc.abstractmethod
    def commit(self) -> int:
        """Make the object visible under its key (replacing any old one); answers its size."""

    @abc.abstractmethod
    def abort(self) -> None:
        """Drop what was written; safe to call after commit (then it does nothing)."""

    def __enter__(self) -> Upload:
        return self

    def __exit__(self, kind: object, *_: object) -> None:
        self.abort()


class Storage(abc.ABC):
    """Where the server keeps bytes; one instance per server process, shared by threads."""

    @abc.abstractmethod
    def upload(self, key: str) -> Upload:
        """A new upload to ``key``; write chunks, then commit (or abort)."""

    @abc.abstractmethod
    def open(self, key: str) -> BinaryIO:
        """The object as a readable binary stream; FileNotFoundError if absent."""

    @abc.abstractmethod
    def exists(self, key: str) -> bool: ...

    @abc.abstractmethod
    def size(self, key: str) -> int | None:
        """The object's size in bytes, or None if absent."""

    @abc.abstractmethod
    def delete(self, key: str) -> None:
        """Remove the object; absent is not an error."""

    @abc.abstractmethod
    def delete_prefix(self, prefix: str) -> None:
        """Remove every object whose key starts with ``prefix + '/'``."""

    def local_path(self, key: str) -> Path | None:
        """A path on this host's disk holding the object, if the store is a local directory."""
        return None

    def presign_get(self, key: str, filename: str | None = None) -> str | None:
        """A URL the client may GET the object from directly, or None to stream through us."""
        return None

    def presign_put(self, key: str, size: int) -> str | None:
        """A URL the client may PUT the object to directly, or None to stream through us."""
        return None

    def put(self, key: str, stream: BinaryIO) -> int:
        """Copy a readable stream to ``key`` in chunks; answers the size."""
        with self.upload(key) as up:
            while chunk := stream.read(CHUNK):
                up.write(chunk)
            return up.commit()

    def put_bytes(self, key: str, data: bytes) -> None:
        """Store a small object given whole (backends may do this in one call)."""
        with self.upload(key) as up:
            up.write(data)
            up.commit()

    def read(self, key: str) -> Iterator[bytes]:
        """The object in chunks (the stream is closed when the iterator ends)."""
        with self.open(key) as stream:
            while chunk := stream.read(CHUNK):
                yield chunk

    async def aread(self, key: str) -> AsyncIterator[bytes]:
        """The object in chunks for async responses; blocking reads run off the event loop."""
        from starlette.concurrency import iterate_in_threadpool

        async for chunk in iterate_in_threadpool(self.read(key)):
            yield chunk


def check_key(key: str) -> str:
    """The key if it is a relative path of plain names, else ValueError naming it."""
    parts = key.split("/")
    if not key or key.startswith("/") or "\\" in key or "\0" in key:
        raise ValueError(f"Storage key {key!r} is not a relative '/'-separated path.")
    if any(p in ("", ".", "..") for p in parts):
        raise ValueError(f"Storage key {key!r} has an empty, '.' or '..' part.")
    return key
