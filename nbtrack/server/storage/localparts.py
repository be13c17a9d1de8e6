"""Resumable uploads to a local-directory store: a large blob arrives in numbered parts.

The plan (:mod:`nbtrack.server.files.directupload`) tells the client the part size and the parts the
server holds already, and is kept beside the upload (``uploads/blobs/<sha256>.parts/plan``). Part
``n`` is written in place into one staging file (``uploads/blobs/<sha256>.data``, at offset
``(n-1) * part_size``); a marker ``.parts/<n>`` appears once it has arrived whole, so a client whose
upload broke off asks for the plan again and sends only the parts without one. Completing checks
size and SHA-256 and renames the staging file to the blob's key (no copy). Parts that arrive in
order in one process are hashed as they come; otherwise completing reads the file once to hash it.
"""

from __future__ import annotations

import hashlib
import json
import os
import threading
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

from nbtrack.server.artifacts import blobs
from nbtrack.server.problems import invalid
from nbtrack.server.storage import Storage

_RUNNING: dict[str, tuple[Any, int]] = {}  # staging file -> (hasher over parts 1..n-1, n)
_LOCK = threading.Lock()


class Upload:
    """One blob's upload in parts, on the store's disk."""

    def __init__(self, storage: Storage, staging_key: str) -> None:
        data = storage.local_path(f"{staging_key}.data")
        if data is None:
            raise invalid("This server's store takes no uploads in parts; ask for a plan first.")
        self.data, self.parts = data, data.with_suffix(".parts")

    def start(self, size: int, part_size: int) -> None:
        self.parts.mkdir(parents=True, exist_ok=True)
        plan = {"size": size, "part_size": part_size}
        if self.plan() != plan:  # a new upload (or another size): earlier parts do not fit
            self.drop()
            self.parts.mkdir(parents=True, exist_ok=True)
            _write(self.parts / "plan", json.dumps(plan).encode())

    def plan(self) -> dict[str, int] | None:
        try:
            found: dict[str, int] = json.loads((self.parts / "plan").read_bytes())
        except (OSError, ValueError):
            return None
        return found

    def held(self) -> dict[int, int]:
        """The parts that arrived whole, number -> size."""
        if not self.parts.is_dir():
            return {}
        return {
            int(p.name): int(p.read_bytes() or 0) for p in self.parts.iterdir() if p.name.isdigit()
        }

    def drop(self) -> None:
        import shutil

        with _LOCK:
            _RUNNING.pop(str(self.data), None)
        self.data.unlink(missing_ok=True)
        shutil.rmtree(self.parts, ignore_errors=True)


def plan(storage: Storage, staging_key: str, size: int, part_size: int) -> dict[str, Any]:
    """Parts of ``part_size`` bytes, and the ones held already."""
    upload = Upload(storage, staging_key)
    upload.start(size, part_size)
    held = upload.held()
    return {
        "method": "parts",
        "part_size": part_size,
        "count": max(1, -(-size // part_size)),
        "uploaded": [{"number": n, "size": s} for n, s in sorted(held.items())],
    }


async def receive(
    chunks: AsyncIterator[bytes], storage: Storage, staging_key: str, number: int
) -> int:
    """Write part ``number`` in place; answers its size."""
    upload = Upload(storage, staging_key)
    plan = upload.plan()
    if plan is None:
        raise invalid("No upload in parts is open for this blob; ask for an upload plan first.")
    step, size = plan["part_size"], plan["size"]
    expected = min(step, size - (number - 1) * step)
    if expected <= 0:
        raise invalid(f"Part {number} is past the end of a {size}-byte blob.")
    (upload.parts / str(number)).unlink(missing_ok=True)  # held again only once whole
    hasher = _continue_hash(upload, number)
    written = await _write_part(chunks, upload.data, (number - 1) * step, expected, hasher)
    if written != expected:
        _forget(upload)
        raise invalid(f"Part {number} must have {expected} bytes, not {written}; send it again.")
    _write(upload.parts / str(number), str(written).encode())
    if hasher is not None:
        with _LOCK:
            _RUNNING[str(upload.data)] = (hasher, number + 1)
    return written


async def _write_part(
    chunks: AsyncIterator[bytes], data: Path, offset: int, expected: int, hasher: Any
) -> int:
    fd = os.open(data, os.O_WRONLY | os.O_CREAT, 0o644)
    written = 0
    try:
        async for chunk in chunks:
            if written + len(chunk) > expected:
                return written + len(chunk)  # too long: refused by the caller
            os.pwrite(fd, chunk, offset + written)
            written += len(chunk)
            if hasher is not None:
                hasher.update(chunk)
    finally:
        os.close(fd)
    return written


def _continue_hash(upload: Upload, number: int) -> Any:
    """The running hash if this part follows the last one hashed here, else None."""
    with _LOCK:
        running = _RUNNING.pop(str(upload.data), None)
    if number == 1:
        return hashlib.sha256()
    return running[0] if running is not None and running[1] == number else None


def _forget(upload: Upload) -> None:
    with _LOCK:
        _RUNNING.pop(str(upload.data), None)


def join(storage: Storage, staging_key: str, sha256: str, size: int, finished: bool = True) -> None:
    """Check the parts (all there, size, SHA-256) and make them the blob; a mismatch drops them.
    A blob already stored counts only when ``finished`` (the caller's entity holds it)."""
    target = storage.local_path(blobs.key(sha256))
    assert target is not None
    upload = Upload(storage, staging_key)
    if finished and target.is_file() and target.stat().st_size == size:
        upload.drop()
        return  # joined before (an answer that got lost)
    held, plan = upload.held(), upload.plan() or {}
    count = max(1, -(-size // max(1, plan.get("part_size", 1))))
    if plan.get("size") != size or sorted(held) != list(range(1, count + 1)):
        raise invalid(
            f"The upload of {sha256} holds parts {sorted(held)} of {count}; send the missing "
            "parts (ask for the plan again), then complete."
        )
    found = _digest(upload)
    if found != sha256 or upload.data.stat().st_size != size:
        upload.drop()
        raise invalid(
            f"The bytes sent for blob {sha256} do not match it (SHA-256 {found}); "
            "send the file again."
        )
    target.parent.mkdir(parents=True, exist_ok=True)
    os.replace(upload.data, target)
    upload.drop()


def _digest(upload: Upload) -> str:
    with _LOCK:
        running = _RUNNING.pop(str(upload.data), None)
    count = len(upload.held())
    if running is not None and running[1] == count + 1:
        return str(running[0].hexdigest())
    hasher = hashlib.sha256()
    with open(upload.data, "rb") as stream:
        while chunk := stream.read(1 << 20):
            hasher.update(chunk)
    return hasher.hexdigest()


def _write(path: Path, data: bytes) -> None:
    temp = path.with_name(f".{path.name}.part")
    temp.write_bytes(data)
    os.replace(temp, path)
