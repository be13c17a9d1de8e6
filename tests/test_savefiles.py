"""run.save(glob, base_path, policy) and run.log_code(): files copied into the run and uploaded."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

import nbtrack
from nbtrack import runlog
from nbtrack.runparts import savefiles
from tests.liveserver import LiveServer, wait_for


def file_records(run: nbtrack.Run) -> list[str]:
    found = runlog.read(Path(run.dir) / runlog.LOG_NAME)
    return [p["name"] for _, k, p in found if k == "file" and not p["name"].startswith(GIT_FILES)]


GIT_FILES = ("code/", "diff.patch")  # the git state and the script, recorded on their own


def test_save_now_copies_matches_with_their_folders(tmp_path: Path) -> None:
    (tmp_path / "ckpt").mkdir()
    (tmp_path / "ckpt" / "a.pt").write_bytes(b"A")
    (tmp_path / "ckpt" / "b.pt").write_bytes(b"BB")
    (tmp_path / "ckpt" / "notes.txt").write_text("x")
    run = nbtrack.init(project="files")
    saved = nbtrack.save("ckpt/*.pt", policy="now")
    assert sorted(saved) == [
        str(Path(run.dir) / "files/ckpt/a.pt"),
        str(Path(run.dir) / "files/ckpt/b.pt"),
    ]
    assert (Path(run.dir) / "files/ckpt/b.pt").read_bytes() == b"BB"
    assert not (Path(run.dir) / "files/ckpt/notes.txt").exists()
    assert not (Path(run.dir) / "files/ckpt/a.pt").is_symlink()
    run.finish()
    assert sorted(file_records(run)) == ["ckpt/a.pt", "ckpt/b.pt"]


def test_a_recursive_glob_leaves_the_run_folders_out(tmp_path: Path) -> None:
    (tmp_path / "a.pt").write_bytes(b"A")
    run = nbtrack.init(project="files")
    assert run.save("**/*.pt", policy="now") == [str(Path(run.dir) / "files/a.pt")]
    assert run.save("**/*.pt", policy="now") == [str(Path(run.dir) / "files/a.pt")]
    run.finish()
    assert file_records(run) == ["a.pt", "a.pt"]


def test_base_path_and_absolute_paths(tmp_path: Path) -> None:
    (tmp_path / "out/deep").mkdir(parents=True)
    (tmp_path / "out/deep/model.h5").write_bytes(b"h5")
    run = nbtrack.init(project="files")
    run.save(str(tmp_path / "out/deep/model.h5"), base_path=str(tmp_path / "out"), policy="now")
    run.save(str(tmp_path / "out/deep/model.h5"), policy="now")  # absolute: no folders kept
    assert (Path(run.dir) / "files/deep/model.h5").read_bytes() == b"h5"
    assert (Path(run.dir) / "files/model.h5").read_bytes() == b"h5"
    run.finish()


def test_bad_arguments_are_named(tmp_path: Path) -> None:
    (tmp_path / "a.txt").write_text("a")
    run = nbtrack.init(project="files")
    with pytest.raises(ValueError, match=r"policy='sometimes'.*'live', 'now' or 'end'"):
        run.save("a.txt", policy="sometimes")
    with pytest.raises(ValueError, match="walks outside base_path"):
        run.save("../*.txt", base_path=".")
    with pytest.raises(TypeError, match="file path or glob"):
        run.save(42)
    assert run.save() is None  # no argument: persist, as before
    run.finish()
    with pytest.raises(nbtrack.errors.RunFinished, match="cannot save files"):
        run.save("a.txt")
    with pytest.raises(nbtrack.errors.NotInitialized, match=r"nbtrack\.save"):
        nbtrack.save("a.txt")


def test_symlinked_folder_in_files_cannot_lead_outside(tmp_path: Path) -> None:
    outside = tmp_path / "outside"
    outside.mkdir()
    (tmp_path / "evil").mkdir()
    (tmp_path / "evil/x.txt").write_text("payload")
    run = nbtrack.init(project="files")
    os.symlink(outside, Path(run.dir) / "files" / "evil")
    with pytest.raises(ValueError, match="outside the run's files folder"):
        run.save("evil/x.txt", policy="now")
    assert list(outside.iterdir()) == []
    run.finish()


def test_live_files_are_copied_again_when_they_change(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(savefiles, "POLL_SECONDS", 0.05)
    log = tmp_path / "train.log"
    log.write_text("epoch 1\n")
    run = nbtrack.init(project="files")
    run.save("train.log")  # policy live
    copy = Path(run.dir) / "files/train.log"
    assert copy.read_text() == "epoch 1\n"
    log.write_text("epoch 1\nepoch 2\n")
    wait_for(lambda: copy.read_text() == "epoch 1\nepoch 2\n", 10, "the live copy")
    log.write_text("epoch 1\nepoch 2\nepoch 3 (last)\n")
    run.finish()  # a last check at finish, however short the wait
    assert copy.read_text().endswith("epoch 3 (last)\n")
    assert file_records(run).count("train.log") >= 3


def test_end_policy_copies_at_finish(tmp_path: Path) -> None:
    result = tmp_path / "result.json"
    result.write_text("{}")
    run = nbtrack.init(project="files")
    run.save("result.json", policy="end")
    result.write_text('{"acc": 1}')
    assert not (Path(run.dir) / "files/result.json").exists()
    run.finish()
    assert (Path(run.dir) / "files/result.json").read_text() == '{"acc": 1}'


def test_log_code_default_and_filters(tmp_path: Path) -> None:
    src = tmp_path / "proj"
    (src / "pkg").mkdir(parents=True)
    (src / "train.py").write_text("print(1)\n")
    (src / "pkg/model.py").write_text("x = 1\n")
    (src / "requirements.txt").write_text("torch\n")
    (src / "data.csv").write_text("1,2\n")
    (src / ".git").mkdir()
    (src / ".git/hook.py").write_text("no\n")
    os.chdir(src)
    run = nbtrack.init(project="code", dir=str(src))  # the run folder is under the root, skipped
    snapshot = run.log_code()
    assert snapshot is not None
    assert sorted(snapshot.files) == ["pkg/model.py", "requirements.txt", "train.py"]
    assert (Path(run.dir) / "files/code/pkg/model.py").read_text() == "x = 1\n"
    only = run.log_code(".", name="mine", include_fn=lambda p, root: p.endswith(".csv"))
    assert only is not None and only.files == ("data.csv",) and only.name == "mine"
    assert run.log_code(exclude_fn=lambda p: True) is None
    run.finish()


def test_disabled_run_writes_no_files(tmp_path: Path) -> None:
    (tmp_path / "a.txt").write_text("a")
    run = nbtrack.init(mode="disabled")
    assert run.save("a.txt") == []
    assert run.log_code() is None
    assert not (tmp_path / "files").exists()
    run.finish()


def test_saved_files_reach_the_server(target: LiveServer, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("NBTRACK_MODE", "online")
    Path("weights.bin").write_bytes(b"\x00\x01" * 1000)
    Path("log.txt").write_text("one\n")
    run = nbtrack.init(project="files-online")
    run.save("weights.bin", policy="now")
    run.save("log.txt")
    Path("log.txt").write_text("one\ntwo\n")
    run.finish()
    base = f"/runs/{run.entity}/{run.project}/{run.id}/files"
    names = {f["name"]: f["size"] for f in target.api("GET", base)}
    assert names["weights.bin"] == 2000 and names["log.txt"] == len("one\ntwo\n")
