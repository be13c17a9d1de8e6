"""Client side of direct uploads: follow the server's plan, send bytes straight to its store.

For a file of ``DIRECT_MIN`` bytes or more the client asks ``POST <base>/uploads`` with the
SHA-256 and size. The plan says ``stream`` (the server's store is a local directory: PUT the
bytes to the server as before), ``parts`` (a local directory, a large blob: PUT it to the server
in numbered parts, skipping those it holds from an earlier try), ``done`` (stored already),
``put`` (one presigned URL) or ``multipart`` (a URL per part, and the parts the store holds from
an earlier try, which are not sent again). Then ``POST <base>/uploads/complete``: the server
checks size and SHA-256.
Any failure on the way is a CommError, so the caller retries later and resumes.
"""

from __future__ import annotations

import hashlib
import weakref
from pathlib import Path
from typing import TYPE_CHECKING, Any

import requests

from nbtrack.errors import CommError, ServerError

if TYPE_CHECKING:
    from nbtrack.upload.transport import Transport

DIRECT_MIN = 8 * 1024 * 1024
READ = 1024 * 1024
PUT_TIMEOUT = (5.0, 300.0)
_STREAMING: weakref.WeakKeyDictionary[Transport, dict[str, int]] = weakref.WeakKeyDictionary()


class Slice:
    """``length`` bytes of a file (or of bytes) from ``start``, read as requests sends them."""

    def __init__(self, source: Path | bytes, start: int, length: int) -> None:
        self.source, self.position, self.left = source, start, length
        self.length = length
        self.handle = source.open("rb") if isinstance(source, Path) else None
        if self.handle is not None:
            self.handle.seek(start)

    def __len__(self) -> int:
        return self.length

    def read(self, size: int = -1) -> bytes:
        size = min(self.left, READ)  # 1 MiB whatever the HTTP library asks for (8 KiB)
        if self.handle is not None:
            data = self.handle.read(size)
        else:
            assert isinstance(self.source, bytes)
            data = self.source[self.position : self.position + size]
        self.position += len(data)
        self.left -= len(data)
        return data

    def close(self) -> None:
        if self.handle is not None:
            self.handle.close()


def send_file(transport: Transport, run_path: str, name: str, content: bytes) -> bool:
    """A run file (``run_path`` is ``/runs/{entity}/{project}/{run_id}``); see :func:`send`."""
    if len(content) < DIRECT_MIN:
        return False
    body = {"name": name, "sha256": hashlib.sha256(content).hexdigest(), "size": len(content)}
    return send(transport, run_path, body, content)


def send_blob(transport: Transport, project_path: str, sha256: str, path: Path) -> bool:
    """An artifact blob stored at ``path`` (``project_path``: ``/artifacts/{entity}/{project}``);
    see :func:`send`."""
    body = {"sha256": sha256, "size": path.stat().st_size}
    return send(transport, project_path, body, path)


def send(transport: Transport, base: str, body: dict[str, Any], source: Path | bytes) -> bool:
    """Upload ``source`` (``body`` has its sha256 and size) directly; False if the caller must
    stream it to the server instead."""
    kind = base.split("/")[1]  # "runs" or "artifacts"
    streaming = _STREAMING.setdefault(transport, {})
    if int(body["size"]) < max(DIRECT_MIN, streaming.get(kind, 0)):
        return False
    plan = _plan(transport, base, body)
    if plan["method"] == "stream":  # below "parts_from" (if given), every upload streams
        streaming[kind] = int(plan.get("parts_from") or 2**62)
        return False
    if plan["method"] == "parts":
        _send_own_parts(transport, base, body, plan, source)
    elif plan["method"] == "put":
        _put(plan["url"], Slice(source, 0, int(body["size"])))
    elif plan["method"] == "multipart":
        _send_parts(plan, source, int(body["size"]))
        body = {**body, "upload_id": plan["upload_id"]}
    if plan["method"] != "done":
        transport.call("POST", f"{base}/uploads/complete", body, timeout=600)
    return True


def _plan(transport: Transport, base: str, body: dict[str, Any]) -> dict[str, Any]:
    try:
        found: dict[str, Any] = transport.call("POST", f"{base}/uploads", body, timeout=60)
    except ServerError as exc:
        if exc.status in (404, 405):  # a server from before direct uploads
            return {"method": "stream"}
        raise
    return found


def _send_parts(plan: dict[str, Any], source: Path | bytes, size: int) -> None:
    step = int(plan["part_size"])
    held = {int(p["number"]): int(p["size"]) for p in plan.get("uploaded", [])}
    for part in plan["parts"]:
        number = int(part["number"])
        start = (number - 1) * step
        length = min(step, size - start)
        if held.get(number) != length:
            _put(part["url"], Slice(source, start, length))


def _send_own_parts(
    transport: Transport,
    base: str,
    body: dict[str, Any],
    plan: dict[str, Any],
    source: Path | bytes,
) -> None:
    """A ``parts`` plan: the parts the server lacks, each PUT to the server itself."""
    step, size = int(plan["part_size"]), int(body["size"])
    held = {int(p["number"]): int(p["size"]) for p in plan.get("uploaded", [])}
    for number in range(1, int(plan["count"]) + 1):
        start = (number - 1) * step
        length = min(step, size - start)
        if held.get(number) == length:
            continue
        data = Slice(source, start, length)
        try:
            path = f"{base}/blobs/{body['sha256']}/parts/{number}"
            transport.call("PUT", path, data=data, timeout=PUT_TIMEOUT[1])  # type: ignore[arg-type]
        finally:
            data.close()


def _put(url: str, data: Slice) -> None:
    """One presigned PUT (no nbtrack credentials travel to the store)."""
    try:
        answer = requests.put(url, data=data, timeout=PUT_TIMEOUT)
    except requests.RequestException as exc:
        raise CommError(f"Cannot reach the server's file store ({type(exc).__name__}).") from None
    finally:
        data.close()
    if answer.status_code >= 300:
        raise CommError(
            f"The server's file store refused an upload (HTTP {answer.status_code}: "
            f"{answer.text[:200]}); it is retried later."
        )
