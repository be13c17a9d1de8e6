"""The server on an S3 store (moto in server mode): run files, media and artifact blobs in the
bucket, presigned single and multipart uploads (resumed after a failure), sha256 checks, and
clear 503s while the store is away."""

from __future__ import annotations

import hashlib
import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import requests

from nbtrack.errors import CommError, ServerError
from nbtrack.server.artifacts import blobs
from nbtrack.server.files import directupload as plans
from nbtrack.upload import directupload
from nbtrack.upload.transport import Transport
from tests.liveserver import FaultProxy
from tests.server.s3support import (
    ThreadServer,
    bucket,
    moto_url,
    s3_client,
    store_proxy,
    thread_server,
)

__all__ = ["bucket", "moto_url", "store_proxy"]
MIB = 1024 * 1024


@pytest.fixture
def server(tmp_path: Path, bucket: str, store_proxy: FaultProxy) -> Iterator[ThreadServer]:
    with thread_server(tmp_path / "data", f"s3://{bucket}/nbt", store_proxy.url) as live:
        yield live


def _run(server: ThreadServer, run_id: str = "r1") -> str:
    path = f"/runs/admin/p/{run_id}"
    assert server.api("PUT", path, json={}).ok
    return path


def _keys(moto_url: str, bucket: str) -> list[str]:
    found = s3_client(moto_url).list_objects_v2(Bucket=bucket).get("Contents", [])
    return sorted(o["Key"] for o in found)


def test_run_files_live_in_the_bucket(server: ThreadServer, moto_url: str, bucket: str) -> None:
    path = _run(server)
    assert server.api("PUT", path + "/files/a/b.txt", data=b"hello").ok
    assert server.api("PUT", path + "/files/media/x.png", data=b"\x89PNG").ok
    assert server.api("GET", path + "/files/a/b.txt").content == b"hello"
    assert _keys(moto_url, bucket) == ["nbt/files/1/a/b.txt", "nbt/files/1/media/x.png"]
    for clash in ("a", "a/b.txt/c"):  # the same rule as on a local disk
        answer = server.api("PUT", path + "/files/" + clash, data=b"y")
        assert answer.status_code == 400 and "clashes" in answer.json()["error"]["message"]
    assert server.api("DELETE", path).ok
    assert _keys(moto_url, bucket) == []


def test_a_large_run_file_goes_straight_to_the_store(
    server: ThreadServer, store_proxy: FaultProxy
) -> None:
    path = _run(server)
    content = os.urandom(9 * MIB)
    transport = Transport(server.url, server.admin_key)
    assert directupload.send_file(transport, path, "model.bin", content)
    puts = [bytes(h).split(b" ")[1] for h in store_proxy.seen if h.startswith(b"PUT ")]
    assert any(b"/uploads/files/" in p for p in puts)  # the bytes went to the store's URL
    answer = server.api("GET", path + "/files/model.bin")
    assert answer.content == content
    listed = server.api("GET", path + "/files").json()
    assert [(f["name"], f["size"]) for f in listed] == [("model.bin", len(content))]


def test_multipart_upload_resumes_with_the_missing_parts(
    server: ThreadServer, store_proxy: FaultProxy, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(plans, "MULTIPART", 12 * MIB)  # 5 MiB parts: the S3 minimum
    monkeypatch.setattr(plans, "PART_SIZE", 5 * MIB)
    content = os.urandom(13 * MIB)
    blob = Path(server.app.state.context.config.data_dir).parent / "blob"
    blob.write_bytes(content)
    sha256 = hashlib.sha256(content).hexdigest()
    sent: list[int] = []
    real_put = directupload._put

    def put_then_store_goes_away(url: str, data: Any) -> None:
        real_put(url, data)
        sent.append(len(data))
        if len(sent) == 1:
            store_proxy.set("drop")

    monkeypatch.setattr(directupload, "_put", put_then_store_goes_away)
    transport = Transport(server.url, server.admin_key)
    with pytest.raises(CommError, match="file store"):
        directupload.send_blob(transport, "/artifacts/admin/p", sha256, blob)
    store_proxy.set("pass")
    assert directupload.send_blob(transport, "/artifacts/admin/p", sha256, blob)
    assert sent == [5 * MIB, 5 * MIB, 3 * MIB]  # the first part was not sent again
    storage = server.app.state.context.storage
    assert b"".join(storage.read(blobs.key(sha256))) == content
    assert not storage.exists(plans.staging("blobs", sha256))
    missing = server.api("POST", "/artifacts/admin/p/blobs/missing", json={"sha256": [sha256]})
    assert missing.json() == {"missing": []}


def test_bytes_that_do_not_match_are_refused_and_dropped(server: ThreadServer) -> None:
    sha256 = hashlib.sha256(b"promised").hexdigest()
    body = {"sha256": sha256, "size": 8}
    plan = server.api("POST", "/artifacts/admin/p/uploads", json=body).json()
    assert plan["method"] == "put"
    assert requests.put(plan["url"], data=b"tampered", timeout=10).ok
    answer = server.api("POST", "/artifacts/admin/p/uploads/complete", json=body)
    assert answer.status_code == 400 and "do not match" in answer.json()["error"]["message"]
    storage = server.app.state.context.storage
    assert not storage.exists(plans.staging("blobs", sha256))
    assert not storage.exists(blobs.key(sha256))
    missing = server.api("POST", "/artifacts/admin/p/blobs/missing", json={"sha256": [sha256]})
    assert missing.json() == {"missing": [sha256]}


def test_a_store_that_goes_away_answers_503_and_loses_nothing(
    server: ThreadServer, store_proxy: FaultProxy, bucket: str
) -> None:
    path = _run(server)
    assert server.api("PUT", path + "/files/kept.txt", data=b"kept").ok
    flipped = []

    def body() -> Iterator[bytes]:
        for _ in range(20):
            yield os.urandom(MIB)
            if not flipped:
                store_proxy.set("drop")  # the store goes away mid-upload
                flipped.append(True)

    for answer in (
        server.api("PUT", path + "/files/big.bin", data=body()),
        server.api("PUT", path + "/files/small.txt", data=b"x"),
        server.api("GET", path + "/files/kept.txt"),
    ):
        assert answer.status_code == 503, answer.text
        error = answer.json()["error"]
        assert error["code"] == "unavailable" and f"s3://{bucket}/nbt" in error["message"]
        assert "Traceback" not in answer.text and answer.headers["Retry-After"]
    transport = Transport(server.url, server.admin_key)
    with pytest.raises(ServerError) as refused:  # the uploader keeps it and retries later
        transport.call("PUT", path + "/files/small.txt", data=b"x")
    assert refused.value.status == 503
    store_proxy.set("pass")
    listed = [f["name"] for f in server.api("GET", path + "/files").json()]
    assert listed == ["kept.txt"]  # nothing half-done was recorded
    transport.call("PUT", path + "/files/small.txt", data=b"x")
    assert server.api("GET", path + "/files/kept.txt").content == b"kept"
    assert server.api("GET", path + "/files/small.txt").content == b"x"


def test_a_saved_file_waits_out_an_outage_of_the_store_then_syncs(
    server: ThreadServer, store_proxy: FaultProxy, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import nbtrack

    monkeypatch.chdir(tmp_path)
    settings = {"MODE": "online", "BASE_URL": server.url, "API_KEY": server.admin_key}
    for name, value in (settings | {"SILENT": "1", "FINISH_TIMEOUT": "3"}).items():
        monkeypatch.setenv(f"NBTRACK_{name}", value)
    content = os.urandom(9 * MIB)
    (tmp_path / "model.ckpt").write_bytes(content)
    store_proxy.set("drop")  # the store is away while the run uploads
    run = nbtrack.init(project="p")
    run.save("model.ckpt", policy="now")
    run.finish()
    files = f"/runs/admin/p/{run.id}/files"
    assert server.api("GET", files).json() == []
    store_proxy.set("pass")
    assert nbtrack.sync(paths=[run.dir]).ok
    assert server.api("GET", f"{files}/model.ckpt").content == content
    puts = [bytes(h).split(b" ")[1] for h in store_proxy.seen if h.startswith(b"PUT ")]
    assert any(b"/uploads/files/" in p for p in puts)  # straight to the store, presigned
