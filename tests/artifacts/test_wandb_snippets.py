"""wandb's artifact snippets, unchanged but for ``import nbtrack as wandb``: offline then synced,
and online, against the real server (SQLite and PostgreSQL)."""

from __future__ import annotations

import secrets
from pathlib import Path
from typing import Any

import pytest

import nbtrack
from tests.liveserver import LiveServer

PRODUCE = """
import nbtrack as wandb

run = wandb.init(project=PROJECT, job_type="add-dataset")
artifact = wandb.Artifact(name="my_data", type="dataset", description="raw", metadata={"n": 2})
artifact.add_dir(local_path="./dataset")
artifact.add_file(local_path="./extra.txt", name="docs/extra.txt")
with artifact.new_file("hello.txt", mode="w") as f:
    f.write("hello")
run.log_artifact(artifact)
run.log_model(path="./model.pt", name="my-model", aliases=["best"])
run.finish()
"""

CONSUME = """
import nbtrack as wandb

run = wandb.init(project=PROJECT, job_type="train")
artifact = run.use_artifact("my_data:latest")
artifact_dir = artifact.download()
hello = artifact.get_entry("hello.txt").download()
model_path = run.use_model(name="my-model:best")
run.finish()
"""

API = """
import nbtrack as wandb

api = wandb.Api()
artifact = api.artifact(f"{ENTITY}/{PROJECT}/my_data:v0")
artifact.aliases.append("golden")
artifact.save()
producer = artifact.logged_by()
consumers = artifact.used_by()
"""


def _files(folder: Path) -> None:
    (folder / "dataset").mkdir()
    (folder / "dataset" / "a.csv").write_text("x\n1\n")
    (folder / "extra.txt").write_text("extra")
    (folder / "model.pt").write_bytes(b"\x00weights")


def _run(code: str, **names: Any) -> dict[str, Any]:
    scope: dict[str, Any] = dict(names)
    exec(compile(code, "<snippet>", "exec"), scope)
    return scope


def _check(found: dict[str, Any], api: dict[str, Any]) -> None:
    root = Path(found["artifact_dir"])
    assert (root / "a.csv").read_text() == "x\n1\n"
    assert (root / "docs" / "extra.txt").read_text() == "extra"
    assert Path(found["hello"]).read_text() == "hello"
    assert (Path(found["model_path"]) / "model.pt").read_bytes() == b"\x00weights"
    assert api["artifact"].aliases == ["golden", "latest"]
    assert api["producer"].job_type == "add-dataset"
    assert [r.job_type for r in api["consumers"]] == ["train"]


def test_snippets_offline_then_synced(
    server: LiveServer, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    project = "snip-" + secrets.token_hex(4)
    _files(tmp_path)
    _run(PRODUCE, PROJECT=project)
    found = _run(CONSUME, PROJECT=project)
    assert nbtrack.sync(base_url=server.url, api_key=server.admin_key).ok
    monkeypatch.setenv("NBTRACK_BASE_URL", server.url)
    monkeypatch.setenv("NBTRACK_API_KEY", server.admin_key)
    _check(found, _run(API, PROJECT=project, ENTITY="admin"))


def test_snippets_online(online: LiveServer, tmp_path: Path) -> None:
    project = "snip-" + secrets.token_hex(4)
    _files(tmp_path)
    _run(PRODUCE, PROJECT=project)
    found = _run(CONSUME, PROJECT=project)
    _check(found, _run(API, PROJECT=project, ENTITY="admin"))
