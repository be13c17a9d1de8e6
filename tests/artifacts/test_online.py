"""Artifacts logged and used online against a real server (SQLite and PostgreSQL): versions,
dedupe by content, aliases, lineage and downloads byte-equal."""

from __future__ import annotations

import secrets
from pathlib import Path

import pytest

import nbtrack as wandb
from tests.liveserver import LiveServer


def _project() -> str:
    return "art-" + secrets.token_hex(4)


def _dataset(folder: Path, text: str) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "train.csv").write_text(f"x,y\n1,{text}\n")
    (folder / "sub").mkdir(exist_ok=True)
    (folder / "sub" / "labels.txt").write_text("cat\ndog\n")
    return folder


def test_versions_dedupe_aliases_lineage_download(online: LiveServer, tmp_path: Path) -> None:
    project = _project()
    data = _dataset(tmp_path / "data", "a")
    run = wandb.init(project=project)
    first = wandb.Artifact("mnist", type="dataset", metadata={"rows": 1})
    first.add_dir(str(data))
    run.log_artifact(first, aliases=["best"])
    first.wait()
    assert first.version == "v0" and first.name == "mnist:v0"
    assert sorted(first.aliases) == ["best", "latest"]
    again = wandb.Artifact("mnist", type="dataset")
    again.add_dir(str(data))
    run.log_artifact(again)
    assert again.wait().version == "v0"  # same content: same version
    (data / "train.csv").write_text("x,y\n1,b\n")
    second = wandb.Artifact("mnist", type="dataset")
    second.add_dir(str(data))
    run.log_artifact(second)
    assert second.wait().version == "v1"
    run.finish()

    reader = wandb.init(project=project)
    used = reader.use_artifact("mnist:best")
    assert used.version == "v0" and "best" in used.aliases
    root = Path(used.download())
    assert root == Path("artifacts") / "mnist:v0"
    assert (root / "train.csv").read_text() == "x,y\n1,a\n"
    assert (root / "sub" / "labels.txt").read_text() == "cat\ndog\n"
    latest = reader.use_artifact("mnist:latest")
    assert latest.version == "v1"
    assert latest.get_entry("train.csv").download(tmp_path / "one").endswith("train.csv")
    reader.finish()

    assert used.logged_by().id == run.id
    assert [r.id for r in used.used_by()] == [reader.id]
    api = wandb.Api()
    by_path = api.artifact(f"{reader.entity}/{project}/mnist:v1")
    assert by_path.digest == second.digest and by_path.size == second.size
    assert [a.version for a in api.artifact_versions("dataset", f"{project}/mnist")] == ["v1", "v0"]
    view = api.run(f"{reader.entity}/{project}/{reader.id}")
    assert [a.name for a in view.used_artifacts()] == ["mnist:v0", "mnist:v1"]
    producer = api.run(f"{run.entity}/{project}/{run.id}")
    assert [a.name for a in producer.logged_artifacts()] == ["mnist:v0", "mnist:v1"]


def test_alias_moves_and_latest_follows_newest(online: LiveServer, tmp_path: Path) -> None:
    project = _project()
    run = wandb.init(project=project)
    versions = []
    for i in range(3):
        model = tmp_path / f"model{i}.bin"
        model.write_bytes(bytes([i]) * 10)
        art = run.log_model(str(model), name="clf", aliases=["best"] if i != 2 else None)
        versions.append(art.wait())
    run.finish()
    api = wandb.Api()
    assert api.artifact(f"{project}/clf:best").version == "v1"
    assert api.artifact(f"{project}/clf:latest").version == "v2"
    old = api.artifact(f"{project}/clf:v0")
    old.aliases.append("best")
    old.save()
    assert api.artifact(f"{project}/clf:best").version == "v0"
    assert api.artifact(f"{project}/clf:v1").aliases == []


def test_same_files_upload_once_across_runs(online: LiveServer, tmp_path: Path) -> None:
    project = _project()
    big = tmp_path / "weights.bin"
    big.write_bytes(secrets.token_bytes(5 << 20))
    sent = []
    for name in ("a", "b"):
        run = wandb.init(project=project)
        art = wandb.Artifact(name, type="model")
        art.add_file(str(big))
        run.log_artifact(art)
        art.wait()
        sent.append(run)
        run.finish()
    api = wandb.Api()
    assert api.artifact(f"{project}/a:v0").digest == api.artifact(f"{project}/b:v0").digest


def test_bad_alias_and_name_are_refused_by_name(online: LiveServer) -> None:
    run = wandb.init(project=_project())
    with pytest.raises(ValueError, match="'v3' looks like a version"):
        run.log_artifact(wandb.Artifact("x", "dataset"), aliases=["v3"])
    with pytest.raises(ValueError, match=r"Artifact name '\.\./x'"):
        wandb.Artifact("../x", "dataset")
    with pytest.raises(ValueError, match="not found"):
        run.use_artifact("nothing:latest")
    run.finish()


def test_use_right_after_log_then_lineage(online: LiveServer, tmp_path: Path) -> None:
    project = _project()
    source = tmp_path / "x.txt"
    source.write_text("x")
    run = wandb.init(project=project)
    art = wandb.Artifact("fresh", type="dataset")
    art.add_file(str(source))
    run.log_artifact(art)
    used = run.use_artifact("fresh:latest")  # the upload may still be under way
    assert used.digest == art.digest
    run.finish()
    logged = wandb.Api().artifact(f"{project}/fresh:v0")
    assert logged.logged_by().id == run.id
    assert [r.id for r in logged.used_by()] == [run.id]


def test_use_by_full_path_from_another_project(online: LiveServer, tmp_path: Path) -> None:
    source_project, other = _project(), _project()
    data = _dataset(tmp_path / "d", "z")
    run = wandb.init(project=source_project)
    art = wandb.Artifact("shared", type="dataset")
    art.add_dir(str(data))
    run.log_artifact(art).wait()
    run.finish()
    reader = wandb.init(project=other)
    used = reader.use_artifact(f"{run.entity}/{source_project}/shared:v0", type="dataset")
    with pytest.raises(ValueError, match="is of type 'dataset', not 'model'"):
        reader.use_artifact(f"{source_project}/shared:latest", type="model")
    reader.finish()
    assert used.qualified_name == f"{run.entity}/{source_project}/shared:v0"
    view = wandb.Api().run(f"{reader.entity}/{other}/{reader.id}")
    assert [a.qualified_name for a in view.used_artifacts()] == [used.qualified_name]
