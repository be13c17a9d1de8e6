"""``Api.local()``'s artifact calls read offline runs' records (no server), and agree with the
server's ``Api()`` on versions, aliases, digests and lineage once the runs are synced."""

from __future__ import annotations

import secrets
import shutil
from pathlib import Path

import pytest

import nbtrack as wandb
from tests.liveserver import LiveServer


def _log(project: str, folder: Path, content: bytes, aliases: list[str] | None = None) -> str:
    (folder / "a.bin").write_bytes(content)
    run = wandb.init(project=project)
    art = wandb.Artifact("data", type="dataset", metadata={"n": len(content)})
    art.add_dir(str(folder))
    run.log_artifact(art, aliases=aliases)
    run.finish()
    return run.id


def _history(project: str, tmp_path: Path) -> dict[str, str]:
    """Four offline runs: v0 (best), v1, v0's content again (best moves back), a consumer."""
    folder = tmp_path / "data"
    folder.mkdir()
    ids = {"first": _log(project, folder, b"one", ["best"])}
    ids["second"] = _log(project, folder, b"two")
    ids["again"] = _log(project, folder, b"one", ["best"])
    consumer = wandb.init(project=project)
    consumer.use_artifact("data:best")
    consumer.finish()
    ids["consumer"] = consumer.id
    return ids


def _summary(arts: list[wandb.Artifact]) -> list[tuple[str, list[str], str]]:
    return [(a.version, sorted(a.aliases), a.digest) for a in arts]


def test_local_artifacts_from_offline_runs(tmp_path: Path) -> None:
    project = "loc-" + secrets.token_hex(4)
    ids = _history(project, tmp_path)
    api = wandb.Api.local()
    latest = api.artifact("data:latest")
    assert latest.version == "v1" and latest.metadata == {"n": 3}
    assert api.artifact(f"{project}/data:best").version == "v0"
    assert api.artifact("data:v0").digest != latest.digest
    path = api.artifact("data:best").download(str(tmp_path / "got"))
    assert (Path(path) / "a.bin").read_bytes() == b"one"
    versions = api.artifacts("dataset", f"{project}/data")
    assert [a.version for a in versions] == ["v1", "v0"]
    assert api.artifact_versions("dataset", "data")[0].version == "v1"
    assert api.artifacts("model", "data") == []
    assert latest.logged_by().id == ids["second"] and latest.used_by() == []
    assert [r.id for r in api.artifact("data:v0").used_by()] == [ids["consumer"]]
    consumer = api.run(f"{project}/{ids['consumer']}")
    assert [a.version for a in consumer.used_artifacts()] == ["v0"]
    assert consumer.logged_artifacts() == []
    producer = api.run(f"{project}/{ids['first']}")
    assert [a.version for a in producer.logged_artifacts()] == ["v0"]
    assert api.run(f"{project}/{ids['again']}").logged_artifacts() == []


def test_local_files_come_from_the_run_folder_without_a_cache(tmp_path: Path, cache: Path) -> None:
    project = "loc-" + secrets.token_hex(4)
    _history(project, tmp_path)
    shutil.rmtree(cache)  # another machine's cache, or a cleared one
    path = wandb.Api.local().artifact("data:v1").download(str(tmp_path / "got"))
    assert (Path(path) / "a.bin").read_bytes() == b"two"


def test_local_artifact_errors_name_the_fix(tmp_path: Path) -> None:
    project = "loc-" + secrets.token_hex(4)
    _history(project, tmp_path)
    api = wandb.Api.local()
    with pytest.raises(ValueError, match="No artifact 'data:v9'"):
        api.artifact("data:v9")
    with pytest.raises(ValueError, match="not 'model'"):
        api.artifact("data:latest", type="model")


def test_local_and_server_agree_after_sync(server: LiveServer, tmp_path: Path) -> None:
    project = "agree-" + secrets.token_hex(4)
    ids = _history(project, tmp_path)
    report = wandb.sync(base_url=server.url, api_key=server.admin_key)
    assert report.ok, report.failures
    local = wandb.Api.local()
    remote = wandb.Api(base_url=server.url, api_key=server.admin_key)
    path = f"{project}/data"
    assert _summary(local.artifacts(None, path)) == _summary(remote.artifacts(None, path))
    for alias in ("latest", "best", "v0", "v1"):
        assert local.artifact(f"{path}:{alias}").digest == remote.artifact(f"{path}:{alias}").digest
    consumer = ids["consumer"]
    local_used = local.run(f"{project}/{consumer}").used_artifacts()
    remote_used = remote.run(f"{project}/{consumer}").used_artifacts()
    assert _summary(local_used) == _summary(remote_used)
    for run_id in (ids["first"], ids["again"]):
        local_logged = local.run(f"{project}/{run_id}").logged_artifacts()
        remote_logged = remote.run(f"{project}/{run_id}").logged_artifacts()
        assert _summary(local_logged) == _summary(remote_logged)
