"""Uploads that go straight from the client to the object store, checked before they count.

1. The client asks for a plan (``plan``): ``stream`` when the store takes no direct writes (the
   client PUTs through the server), else a presigned ``put`` URL, or for ``MULTIPART`` bytes and
   more a ``multipart`` upload with a URL per part and the parts the store already holds (a
   restarted client sends only the others).
2. The bytes go to a staging key, ``uploads/<kind>/<sha256>``, never to the final key.
3. ``finish`` joins the parts, streams the staged object once to check its size and SHA-256,
   copies it to the final key inside the store and drops the staging object; only then does the
   caller record it. A mismatch drops the staged bytes and answers a 400.

A local-directory store takes large artifact blobs in resumable parts through the server
instead (``parts``, :mod:`nbtrack.server.storage.localparts`).
"""

from __future__ import annotations

import hashlib
from typing import Any

from nbtrack.server.problems import invalid
from nbtrack.server.storage import DirectStore, Part, Storage, localparts

MULTIPART = 100 * 1024 * 1024
PART_SIZE = 64 * 1024 * 1024
MAX_PARTS = 10_000


def staging(kind: str, sha256: str) -> str:
    return f"uploads/{kind}/{sha256}"


def direct(storage: Storage) -> DirectStore | None:
    return storage if isinstance(storage, DirectStore) else None


def part_size(size: int) -> int:
    return max(PART_SIZE, -(-size // MAX_PARTS))


def plan(storage: Storage, key: str, size: int, parts: bool = False) -> dict[str, Any]:
    """What the client does to put ``size`` bytes at staging ``key``. A local-directory store
    takes ``parts`` (artifact blobs) of ``MULTIPART`` bytes and more through the server in
    resumable parts (:mod:`nbtrack.server.storage.localparts`); smaller ones stream in one
    request."""
    store = direct(storage)
    local = parts and storage.local_path(key) is not None
    if store is None and local and size >= MULTIPART:
        return localparts.plan(storage, key, size, part_size(size))
    if store is None:
        return {"method": "stream", "parts_from": MULTIPART} if local else {"method": "stream"}
    if size < MULTIPART:
        return {"method": "put", "url": storage.presign_put(key, size)}
    upload_id = store.find_multipart(key) or store.start_multipart(key)
    step = part_size(size)
    numbers = range(1, max(1, -(-size // step)) + 1)
    return {
        "method": "multipart",
        "upload_id": upload_id,
        "part_size": step,
        "parts": [{"number": n, "url": store.presign_part(key, upload_id, n)} for n in numbers],
        "uploaded": [{"number": p.number, "size": p.size} for p in _parts(store, key, upload_id)],
    }


def _parts(store: DirectStore, key: str, upload_id: str) -> list[Part]:
    try:
        return store.parts(key, upload_id)
    except FileNotFoundError:
        return []


def finish(
    storage: Storage,
    key: str,
    target: str,
    sha256: str,
    size: int,
    upload_id: str | None,
    finished: bool = True,
) -> None:
    """Check the staged object and move it to ``target`` (see the module's steps). With nothing
    staged, a ``target`` of that size counts as done only when ``finished`` (the caller's own
    object, a retried completion) - never a blob another entity stored."""
    store = direct(storage)
    if store is None and key.startswith(staging("blobs", "")):
        localparts.join(storage, key, sha256, size, finished)
        return
    if store is None:
        raise invalid("This server's store takes no direct uploads; PUT the bytes instead.")
    if upload_id is not None and storage.size(key) is None:
        _join(store, key, upload_id, size)
    if storage.size(key) is None:
        if finished and storage.size(target) == size:
            return  # finished before (an answer that got lost)
        raise invalid(f"Nothing was uploaded for {sha256}; ask for a new upload plan.")
    verify(storage, key, sha256, size)
    store.copy(key, target)
    storage.delete(key)


def _join(store: DirectStore, key: str, upload_id: str, size: int) -> None:
    try:
        parts = sorted(store.parts(key, upload_id), key=lambda p: p.number)
    except FileNotFoundError:
        return  # joined before, or never started: the caller looks at the object
    numbers = [p.number for p in parts]
    if numbers != list(range(1, len(parts) + 1)) or sum(p.size for p in parts) != size:
        have = sum(p.size for p in parts)
        raise invalid(
            f"The upload holds parts {numbers} ({have} of {size} bytes); send the missing "
            "parts (ask for the plan again), then complete."
        )
    store.complete_multipart(key, upload_id, parts)


def verify(storage: Storage, key: str, sha256: str, size: int) -> None:
    """Stream the object once; a 400 (and the object dropped) unless it has this hash and size."""
    hasher, seen = hashlib.sha256(), 0
    for chunk in storage.read(key):
        hasher.update(chunk)
        seen += len(chunk)
    if hasher.hexdigest() != sha256 or seen != size:
        storage.delete(key)
        raise invalid(
            f"The uploaded bytes do not match {sha256} ({size} bytes): they hash to "
            f"{hasher.hexdigest()} ({seen} bytes); upload the file again."
        )
