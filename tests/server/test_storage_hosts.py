"""Two server processes (two hosts of one deployment) sharing one PostgreSQL schema and one S3
bucket (moto in server mode): whatever one accepts, the other serves - run files streamed or
uploaded straight to the bucket, and artifacts logged through one and downloaded through the
other. A bucket that is missing stops the server at start, or answers 503 once it goes."""

from __future__ import annotations

import hashlib
import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
import requests

import nbtrack as wandb
from nbtrack.upload import directupload
from nbtrack.upload.transport import Transport
from tests.liveserver import LiveServer
from tests.server.s3support import bucket, moto_url, s3_client
from tests.server.support import drop_pg_schema, new_pg_schema

__all__ = ["bucket", "moto_url"]
MIB = 1024 * 1024
pytestmark = pytest.mark.postgres


@pytest.fixture
def hosts(tmp_path: Path, bucket: str, moto_url: str) -> Iterator[tuple[LiveServer, LiveServer]]:
    schema, database = new_pg_schema()
    shared = ("--database-url", database, "--storage-url", f"s3://{bucket}/team")
    shared += ("--storage-endpoint-url", moto_url)
    first = LiveServer(tmp_path / "host1" / "data", None, *shared)
    second = LiveServer(tmp_path / "host2" / "data", None, *shared, "--workers", "2")
    second.admin_key = first.admin_key  # one database: one admin
    for live in (first, second):
        live.data_dir.mkdir(parents=True)
    try:
        yield first.start(), second.start()
    finally:
        first.stop()
        second.stop()
        drop_pg_schema(schema)


def _auth(live: LiveServer) -> dict[str, str]:
    return {"Authorization": f"Bearer {live.admin_key}"}


def test_files_written_through_one_host_are_served_by_the_other(
    hosts: tuple[LiveServer, LiveServer], bucket: str, moto_url: str
) -> None:
    first, second = hosts
    path = "/runs/admin/shared/r1"
    first.api("PUT", path, json={})
    big = os.urandom(9 * MIB)
    assert directupload.send_file(Transport(first.url, first.admin_key), path, "model.bin", big)
    Transport(second.url, second.admin_key).call("PUT", path + "/files/notes.txt", data=b"hi")
    read = requests.get(
        f"{second.url}/api/v1{path}/files/model.bin", headers=_auth(first), timeout=30
    )
    assert hashlib.sha256(read.content).digest() == hashlib.sha256(big).digest()
    listed = first.api("GET", path + "/files")
    assert [(f["name"], f["size"]) for f in listed] == [("model.bin", len(big)), ("notes.txt", 2)]
    keys = {o["Key"] for o in s3_client(moto_url).list_objects_v2(Bucket=bucket)["Contents"]}
    assert {k.rsplit("/", 1)[1] for k in keys} == {"model.bin", "notes.txt"}
    assert not any(p.name == "files" for live in hosts for p in live.data_dir.iterdir())


def test_artifacts_logged_on_one_host_download_from_the_other(
    hosts: tuple[LiveServer, LiveServer], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    first, second = hosts
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("NBTRACK_CACHE_DIR", str(tmp_path / "cache"))
    monkeypatch.setenv("NBTRACK_MODE", "online")
    monkeypatch.setenv("NBTRACK_API_KEY", first.admin_key)
    monkeypatch.setenv("NBTRACK_BASE_URL", first.url)
    data = tmp_path / "data"
    data.mkdir()
    (data / "weights.bin").write_bytes(os.urandom(9 * MIB))  # straight to the bucket
    (data / "labels.txt").write_text("cat\ndog\n")  # small: through the server
    run = wandb.init(project="shared")
    art = wandb.Artifact("ckpt", type="model")
    art.add_dir(str(data))
    run.log_artifact(art)
    assert art.wait().version == "v0"
    run.finish()
    monkeypatch.setenv("NBTRACK_BASE_URL", second.url)
    reader = wandb.init(project="shared")
    root = Path(reader.use_artifact("ckpt:latest").download(root=str(tmp_path / "got")))
    reader.finish()
    for name in ("weights.bin", "labels.txt"):
        assert (root / name).read_bytes() == (data / name).read_bytes()
    url = f"{second.url}/api/v1/artifacts/admin/shared/ckpt/v0/files/weights.bin"
    answer = requests.get(url, headers=_auth(first), allow_redirects=False, timeout=10)
    assert answer.status_code == 307 and "X-Amz-Signature" in answer.headers["Location"]


def test_a_missing_bucket_stops_the_server_at_start(tmp_path: Path, moto_url: str) -> None:
    command = [sys.executable, "-m", "nbtrack.cli", "server", "--data-dir", str(tmp_path)]
    command += ["--storage-url", "s3://no-such-bucket/x", "--storage-endpoint-url", moto_url]
    done = subprocess.run(command, capture_output=True, text=True, timeout=60)
    assert done.returncode == 1
    assert "cannot start" in done.stderr and "no bucket 'no-such-bucket'" in done.stderr
    assert "Traceback" not in done.stderr


def test_a_bucket_that_goes_away_answers_503(tmp_path: Path, bucket: str, moto_url: str) -> None:
    storage = ("--storage-url", f"s3://{bucket}/p", "--storage-endpoint-url", moto_url)
    live = LiveServer(tmp_path / "data", None, *storage)
    live.data_dir.mkdir()
    live.start()
    try:
        live.api("PUT", "/runs/admin/p/r", json={})
        s3_client(moto_url).delete_bucket(Bucket=bucket)
        url = f"{live.url}/api/v1/runs/admin/p/r/files/a.txt"
        answer = requests.put(url, data=b"x", headers=_auth(live), timeout=30)
        assert answer.status_code == 503, answer.text
        message = answer.json()["error"]["message"]
        assert f"s3://{bucket}/p" in message and "NoSuchBucket" in message
        assert live.api("GET", "/runs/admin/p/r/files") == []
    finally:
        live.stop()
