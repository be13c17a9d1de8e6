"""Large artifact blobs to the default local-directory store go up in resumable parts: a client
cut off after the first part sends only the others when it tries again (a real server behind a
proxy that drops connections at a known point), and the blob appears only once it checks."""

from __future__ import annotations

import hashlib
import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from nbtrack.errors import CommError
from nbtrack.server.artifacts import blobs
from nbtrack.server.files import directupload as plans
from nbtrack.server.storage import localparts
from nbtrack.upload import directupload
from nbtrack.upload.transport import Transport
from tests.liveserver import FaultProxy
from tests.server.s3support import ThreadServer, thread_server

MIB = 1024 * 1024
BASE = "/artifacts/admin/p"


@pytest.fixture
def server(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[ThreadServer]:
    monkeypatch.setattr(plans, "MULTIPART", 12 * MIB)
    monkeypatch.setattr(plans, "PART_SIZE", 5 * MIB)
    with thread_server(tmp_path / "data", "", "") as live:
        yield live


@pytest.fixture
def proxy(server: ThreadServer) -> Iterator[FaultProxy]:
    found = FaultProxy(int(server.url.rsplit(":", 1)[1]))
    yield found
    found.close()


def _blob(tmp_path: Path, size: int) -> tuple[Path, str]:
    content = os.urandom(size)
    path = tmp_path / "blob"
    path.write_bytes(content)
    return path, hashlib.sha256(content).hexdigest()


def _part_puts(proxy: FaultProxy) -> list[str]:
    heads = [bytes(h).split(b"\r\n", 1)[0].decode() for h in proxy.seen]
    return [
        h.split()[1].rsplit("/", 1)[1] for h in heads if h.startswith("PUT ") and "/parts/" in h
    ]


def test_an_interrupted_upload_resumes_from_the_parts_held(
    server: ThreadServer, proxy: FaultProxy, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path, sha256 = _blob(tmp_path, 13 * MIB)
    transport = Transport(proxy.url, server.admin_key)
    real_call = transport.call

    def cut_after_first_part(method: str, where: str, *args: Any, **kw: Any) -> Any:
        found = real_call(method, where, *args, **kw)
        if where.endswith("/parts/1"):
            proxy.set("drop")  # the connection goes away before part 2
        return found

    monkeypatch.setattr(transport, "call", cut_after_first_part)
    with pytest.raises(CommError, match="Cannot reach"):
        directupload.send_blob(transport, BASE, sha256, path)
    storage = server.app.state.context.storage
    assert not storage.exists(blobs.key(sha256))  # nothing counts before it is complete
    assert _part_puts(proxy) == ["1"]

    proxy.set("pass")
    assert directupload.send_blob(transport, BASE, sha256, path)
    assert _part_puts(proxy) == ["1", "2", "3"]  # part 1 was not sent again
    assert b"".join(storage.read(blobs.key(sha256))) == path.read_bytes()
    assert localparts.Upload(storage, plans.staging("blobs", sha256)).held() == {}  # parts dropped
    missing = server.api("POST", f"{BASE}/blobs/missing", json={"sha256": [sha256]})
    assert missing.json() == {"missing": []}


def test_parts_that_do_not_add_up_are_refused(server: ThreadServer, tmp_path: Path) -> None:
    path, sha256 = _blob(tmp_path, 13 * MIB)
    body = {"sha256": sha256, "size": 13 * MIB}
    plan = server.api("POST", f"{BASE}/uploads", json=body).json()
    assert plan["method"] == "parts" and plan["count"] == 3 and plan["uploaded"] == []
    wrong = os.urandom(5 * MIB)
    assert server.api("PUT", f"{BASE}/blobs/{sha256}/parts/1", data=wrong).ok
    answer = server.api("POST", f"{BASE}/uploads/complete", json=body)
    assert (
        answer.status_code == 400 and "send the missing parts" in answer.json()["error"]["message"]
    )
    for number, start in ((2, 5 * MIB), (3, 10 * MIB)):
        chunk = path.read_bytes()[start : start + 5 * MIB]
        assert server.api("PUT", f"{BASE}/blobs/{sha256}/parts/{number}", data=chunk).ok
    answer = server.api("POST", f"{BASE}/uploads/complete", json=body)
    assert answer.status_code == 400 and "do not match" in answer.json()["error"]["message"]
    storage = server.app.state.context.storage
    assert not storage.exists(blobs.key(sha256))
    assert (
        localparts.Upload(storage, plans.staging("blobs", sha256)).held() == {}
    )  # no use: dropped


def test_smaller_blobs_still_stream_in_one_request(server: ThreadServer, tmp_path: Path) -> None:
    path, sha256 = _blob(tmp_path, 9 * MIB)
    plan = server.api("POST", f"{BASE}/uploads", json={"sha256": sha256, "size": 9 * MIB}).json()
    assert plan == {"method": "stream", "parts_from": 12 * MIB}
    transport = Transport(server.url, server.admin_key)
    assert not directupload.send_blob(transport, BASE, sha256, path)  # the caller PUTs it whole


def test_parts_in_any_order_are_hashed_when_completed(server: ThreadServer, tmp_path: Path) -> None:
    path, sha256 = _blob(tmp_path, 13 * MIB)
    body = {"sha256": sha256, "size": 13 * MIB}
    assert server.api("POST", f"{BASE}/uploads", json=body).json()["method"] == "parts"
    content = path.read_bytes()
    for number in (3, 1, 2):
        chunk = content[(number - 1) * 5 * MIB : number * 5 * MIB]
        assert server.api("PUT", f"{BASE}/blobs/{sha256}/parts/{number}", data=chunk).ok
    too_long = server.api("PUT", f"{BASE}/blobs/{sha256}/parts/3", data=content[: 5 * MIB])
    assert too_long.status_code == 400 and "must have 3145728 bytes" in too_long.text
    answer = server.api("POST", f"{BASE}/uploads/complete", json=body)
    assert answer.status_code == 400 and "holds parts [1, 2] of 3" in answer.text
    assert server.api("PUT", f"{BASE}/blobs/{sha256}/parts/3", data=content[10 * MIB :]).ok
    assert server.api("POST", f"{BASE}/uploads/complete", json=body).ok
    storage = server.app.state.context.storage
    assert b"".join(storage.read(blobs.key(sha256))) == content
