"""Artifacts offline: files kept in the run folder (the user's stay), use from the local cache,
a clear error when only the server could answer, then ``nbtrack sync`` uploads them once."""

from __future__ import annotations

import json
import secrets
from pathlib import Path

import pytest

import nbtrack as wandb
from tests.liveserver import LiveServer


def _sent(run: wandb.Run, digest: str) -> dict[str, int]:
    answer = Path(run.dir) / "artifacts" / "logged" / f"{digest}.json"
    found: dict[str, int] = json.loads(answer.read_text())
    return found


def test_offline_log_use_then_sync(server: LiveServer, tmp_path: Path) -> None:
    project = "off-" + secrets.token_hex(4)
    source = tmp_path / "model.pt"
    source.write_bytes(b"weights" * 1000)
    producer = wandb.init(project=project)
    art = wandb.Artifact("model", type="model", description="first")
    art.add_file(str(source))
    producer.log_artifact(art, aliases=["best"])
    producer.finish()
    assert source.read_bytes() == b"weights" * 1000  # copied, not moved
    with pytest.raises(ValueError, match="not logged yet"):
        _ = art.version

    consumer = wandb.init(project=project)
    used = consumer.use_artifact("model:best")
    path = used.file(str(tmp_path / "got"))
    assert Path(path).read_bytes() == b"weights" * 1000
    with pytest.raises(ValueError, match="needs the server"):
        consumer.use_artifact("model:v7")
    consumer.finish()

    report = wandb.sync(base_url=server.url, api_key=server.admin_key)
    assert report.ok, report.failures
    assert _sent(producer, art.digest)["sent_bytes"] == 7000
    api = wandb.Api(base_url=server.url, api_key=server.admin_key)
    logged = api.artifact(f"{project}/model:best")
    assert logged.version == "v0" and logged.description == "first"
    assert logged.logged_by().id == producer.id
    assert [r.id for r in logged.used_by()] == [consumer.id]

    again = wandb.sync(base_url=server.url, api_key=server.admin_key, include_synced=True)
    assert again.ok
    assert [a.version for a in api.artifacts("model", f"{project}/model")] == ["v0"]


def test_same_content_again_uploads_nothing(online: LiveServer, tmp_path: Path) -> None:
    project = "dup-" + secrets.token_hex(4)
    data = tmp_path / "d"
    data.mkdir()
    for i in range(20):
        (data / f"f{i}.txt").write_text(f"file {i}")
    sent = []
    for _ in range(2):
        run = wandb.init(project=project)
        art = wandb.Artifact("ds", type="dataset")
        art.add_dir(str(data))
        run.log_artifact(art).wait()
        sent.append(_sent(run, art.digest))
        run.finish()
    assert sent[0]["sent_files"] == 20
    assert sent[1] == {**sent[1], "sent_files": 0, "sent_bytes": 0}
