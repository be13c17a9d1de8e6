"""Building artifacts without a server: digests, files, folders, references, media objects,
offline download, and bad input refused by name."""

from __future__ import annotations

import os
import sys
from pathlib import Path

import pytest

import nbtrack as wandb
from nbtrack.artifacts.names import parse


def _tree(root: Path) -> Path:
    (root / "sub").mkdir(parents=True)
    (root / "a.txt").write_text("a")
    (root / "sub" / "b.txt").write_text("b")
    return root


def test_digest_names_the_content_not_the_order(tmp_path: Path) -> None:
    root = _tree(tmp_path / "d")
    one = wandb.Artifact("x", "dataset")
    one.add_file(str(root / "sub" / "b.txt"), "sub/b.txt")
    one.add_file(str(root / "a.txt"))
    two = wandb.Artifact("x", "dataset")
    two.add_dir(str(root))
    assert one.digest == two.digest and sorted(two.manifest.entries) == ["a.txt", "sub/b.txt"]
    assert two.size == 2
    two.remove("sub")
    assert list(two.manifest.entries) == ["a.txt"] and two.digest != one.digest


def test_files_are_copied_when_added(tmp_path: Path) -> None:
    source = tmp_path / "f.txt"
    source.write_text("before")
    art = wandb.Artifact("x", "dataset")
    art.add_file(str(source))
    source.write_text("after!")  # an edit after add_file does not reach the artifact
    run = wandb.init(project="p")
    run.log_artifact(art)
    run.finish()
    entry = art.get_entry("f.txt")
    blob = Path(run.dir) / "artifacts" / "blobs" / entry.digest[:2] / entry.digest
    assert blob.read_text() == "before"
    assert Path(entry.download(tmp_path / "out")).read_text() == "before"


def test_new_file_add_table_and_reference(tmp_path: Path) -> None:
    art = wandb.Artifact("x", "dataset")
    with art.new_file("notes/readme.md") as stream:
        stream.write("hello")
    table = wandb.Table(columns=["a", "b"], data=[[1, "x"], [2, "y"]])
    art.add(table, "preds")
    outside = tmp_path / "ref.bin"
    outside.write_bytes(b"ref")
    art.add_reference(outside.as_uri(), name="refs/ref.bin")
    assert "preds.table.json" in art.manifest.entries
    assert art.get_entry("refs/ref.bin").ref == outside.resolve().as_uri()
    run = wandb.init(project="p")
    run.log_artifact(art)
    run.finish()
    root = Path(art.download(str(tmp_path / "all")))
    assert (root / "notes" / "readme.md").read_text() == "hello"
    assert (root / "refs" / "ref.bin").read_bytes() == b"ref"
    assert art.get("preds").get_dataframe()["a"].tolist() == [1, 2]


def test_missing_files_folders_and_references(tmp_path: Path) -> None:
    art = wandb.Artifact("x", "dataset")
    with pytest.raises(ValueError, match="no such file"):
        art.add_file(str(tmp_path / "nope.txt"))
    with pytest.raises(ValueError, match="no such folder"):
        art.add_dir(str(tmp_path / "nope"))
    with pytest.raises(ValueError, match="no file or folder"):
        art.add_reference((tmp_path / "gone").as_uri())
    with pytest.raises(ValueError, match="unsupported scheme"):
        art.add_reference("ftp://host/x")
    (tmp_path / "ok.txt").write_text("x")
    with pytest.raises(ValueError, match=r"name '\.\./ok.txt' is not allowed"):
        art.add_file(str(tmp_path / "ok.txt"), name="../ok.txt")


def test_symlinks_leaving_the_folder_are_refused(tmp_path: Path) -> None:
    root = _tree(tmp_path / "d")
    secret = tmp_path / "secret.txt"
    secret.write_text("s")
    os.symlink(secret, root / "leak.txt")
    art = wandb.Artifact("x", "dataset")
    with pytest.raises(ValueError, match="outside the folder being added"):
        art.add_dir(str(root))
    (root / "leak.txt").unlink()
    os.symlink(root / "a.txt", root / "inside.txt")
    art.add_dir(str(root))
    assert sorted(art.manifest.entries) == ["a.txt", "inside.txt", "sub/b.txt"]


@pytest.mark.parametrize("bad", ["a:b:c", "a/b/c/d:x", "name:", "x:v1/2", ""])
def test_bad_artifact_paths(bad: str) -> None:
    with pytest.raises(ValueError, match="Artifact"):
        parse(bad)


def test_paths_parse_like_wandb() -> None:
    assert str(parse("team/proj/model:v3")) == "team/proj/model:v3"
    assert parse("model").alias == "latest" and parse("p/m:best").project == "p"


def test_logged_artifact_is_frozen_and_file_needs_one_entry(tmp_path: Path) -> None:
    _tree(tmp_path / "d")
    art = wandb.Artifact("x", "dataset")
    art.add_dir(str(tmp_path / "d"))
    run = wandb.init(project="p")
    run.log_artifact(art)
    with pytest.raises(ValueError, match="is logged, so it cannot gain files"):
        art.add_file(str(tmp_path / "d" / "a.txt"), "c.txt")
    with pytest.raises(ValueError, match="exactly one file"):
        art.file()
    run.finish()


def test_s3_reference_without_boto3_names_the_extra(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(sys.modules, "boto3", None)  # as if not installed: import fails
    with pytest.raises(ValueError, match=r"nbtrack\[s3\]"):
        wandb.Artifact("x", "dataset").add_reference("s3://bucket/key")


def test_add_image_and_read_it_back(tmp_path: Path) -> None:
    import numpy as np

    pixels = np.zeros((4, 6, 3), dtype=np.uint8)
    pixels[:, :, 1] = 200
    art = wandb.Artifact("imgs", "dataset")
    art.add(wandb.Image(pixels, caption="green"), "sample")
    assert "sample.image.json" in art.manifest.entries
    with pytest.raises(ValueError, match="takes a media object"):
        art.add({"not": "media"}, "bad")
    run = wandb.init(project="p")
    run.log_artifact(art)
    run.finish()
    back = art.get("sample")
    assert back["caption"] == "green"
    assert (np.asarray(back.image()) == pixels).all()
