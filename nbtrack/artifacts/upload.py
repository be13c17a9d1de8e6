"""Sending an ``artifact`` record of a run log: the blobs the server lacks, then the version.

1. ``POST /artifacts/{entity}/{project}/blobs/missing`` with the manifest's SHA-256s: the server
   answers the ones it does not hold for this entity (so identical files go up once).
2. Small files go up many to a request (``POST .../blobs``: a JSON index line, then the bytes
   one after another); large ones each stream in one ``PUT .../blobs/{sha256}``, or straight to
   the server's object store when it hands out presigned URLs (:mod:`nbtrack.upload.directupload`).
   The server checks every SHA-256 and keeps a blob only once it is complete.
3. ``POST /runs/{entity}/{project}/{run_id}/artifacts`` commits the version (the same digest is
   the same version); its answer, with the files and bytes this upload sent, goes to
   ``artifacts/logged/<digest>.json`` for ``wait()``.

Each step can be repeated: a crash or outage between them resumes file by file.
"""

from __future__ import annotations

import json
import os
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any, BinaryIO

from nbtrack.artifacts import storage
from nbtrack.artifacts.runartifacts import folder_of
from nbtrack.errors import UsageError
from nbtrack.upload import directupload

if TYPE_CHECKING:
    from nbtrack.upload.transport import Transport

BATCH_BYTES = 16 << 20
BATCH_FILES = 2000
SMALL = 4 << 20
READ_BYTES = 1 << 20
QUERY_BATCH = 10_000


def send(
    transport: Transport,
    entity: str,
    project: str,
    run_path: str,
    run_dir: Path,
    payload: dict[str, Any],
) -> dict[str, Any]:
    """Upload one logged artifact; answers the server's description of the version."""
    manifest = json.loads((run_dir / str(payload["manifest"])).read_text())
    sizes = {e["digest"]: int(e["size"]) for e in manifest["entries"].values() if "ref" not in e}
    blobs = folder_of(run_dir) / "blobs"
    missing = _missing(transport, entity, project, sorted(sizes))
    _send_blobs(transport, f"/artifacts/{entity}/{project}/blobs", blobs, missing, sizes)
    sent = {"sent_files": len(missing), "sent_bytes": sum(sizes[d] for d in missing)}
    body = {
        k: payload.get(k) for k in ("name", "type", "description", "metadata", "aliases", "digest")
    }
    body["entries"] = manifest["entries"]
    answer: dict[str, Any] = transport.call("POST", f"{run_path}/artifacts", body, timeout=120)
    _keep_answer(run_dir, str(payload["digest"]), answer | sent)
    return answer


def _missing(transport: Transport, entity: str, project: str, digests: list[str]) -> list[str]:
    missing: list[str] = []
    for start in range(0, len(digests), QUERY_BATCH):
        part = digests[start : start + QUERY_BATCH]
        found = transport.call(
            "POST", f"/artifacts/{entity}/{project}/blobs/missing", {"sha256": part}
        )
        missing.extend(found["missing"])
    return missing


def _send_blobs(
    transport: Transport, base: str, folder: Path, missing: list[str], sizes: dict[str, int]
) -> None:
    small = [d for d in missing if sizes[d] < SMALL]
    for digest in (d for d in missing if sizes[d] >= SMALL):
        path = _blob(folder, digest)
        if directupload.send_blob(transport, base.removesuffix("/blobs"), digest, path):
            continue  # straight to the server's object store (presigned URLs)
        with open(path, "rb") as stream:
            body: Any = LargeReads(stream, sizes[digest])
            transport.call("PUT", f"{base}/{digest}", data=body, timeout=120)
    for batch in _batches(small, sizes):
        transport.call("POST", base, data=b"".join(_framed(folder, batch, sizes)), timeout=120)


class LargeReads:
    """A file read 1 MiB at a time whatever the HTTP library asks for (16 KiB), its length
    known, so it goes out with a Content-Length in few system calls."""

    def __init__(self, stream: BinaryIO, size: int) -> None:
        self.stream, self.size = stream, size

    def read(self, _amount: int = -1) -> bytes:
        return self.stream.read(READ_BYTES)

    def __len__(self) -> int:
        return self.size


def _blob(folder: Path, digest: str) -> Path:
    path = storage.blob_path(folder, digest)
    if not path.is_file():
        raise UsageError(
            f"Artifact file {digest} is missing from {folder}; log the artifact again."
        )
    return path


def _batches(digests: list[str], sizes: dict[str, int]) -> Iterator[list[str]]:
    batch: list[str] = []
    total = 0
    for digest in digests:
        if batch and (total + sizes[digest] > BATCH_BYTES or len(batch) >= BATCH_FILES):
            yield batch
            batch, total = [], 0
        batch.append(digest)
        total += sizes[digest]
    if batch:
        yield batch


def _framed(folder: Path, batch: list[str], sizes: dict[str, int]) -> Iterator[bytes]:
    index = {"blobs": [[d, sizes[d]] for d in batch]}
    yield json.dumps(index).encode() + b"\n"
    for digest in batch:
        data = _blob(folder, digest).read_bytes()
        if len(data) != sizes[digest]:
            raise UsageError(f"Artifact file {digest} changed size in the run folder.")
        yield data


def _keep_answer(run_dir: Path, digest: str, answer: dict[str, Any]) -> None:
    target = folder_of(run_dir) / "logged" / f"{digest}.json"
    target.parent.mkdir(parents=True, exist_ok=True)
    temp = target.with_suffix(".part")
    temp.write_text(json.dumps(answer))
    os.replace(temp, target)


def send_use(transport: Transport, entity: str, project: str, run_path: str, payload: Any) -> None:
    """A ``used`` record; one logged offline names no entity (the run's is meant)."""
    body = {**payload, "entity": payload.get("entity") or entity}
    body["project"] = payload.get("project") or project
    transport.call("POST", f"{run_path}/artifacts/used", body)
