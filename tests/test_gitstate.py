"""Git capture in every odd repository state; it never breaks or slows init()."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest

import nbtrack
from nbtrack import gitstate
from tests.conftest import git, make_repo
from tests.liveserver import wait_for


@pytest.fixture(autouse=True)
def program_in_cwd(monkeypatch: pytest.MonkeyPatch) -> None:
    """Runs behave as if started by ``python train.py`` in the current folder."""
    monkeypatch.setattr("nbtrack.environment.program_path", lambda: str(Path.cwd() / "train.py"))


def _git_of_run(**init_args: object) -> tuple[dict[str, object], nbtrack.Run]:
    run = nbtrack.init(project="p", reinit="create_new", **init_args)  # type: ignore[arg-type]
    run.finish()
    metadata = nbtrack.Api.local(init_args.get("dir")).run(run.id).metadata  # type: ignore[arg-type]
    return metadata["git"], run


def test_clean_repository(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    repo = make_repo(tmp_path / "repo")
    monkeypatch.chdir(repo)
    state, run = _git_of_run()
    assert state["commit"] == git(repo, "rev-parse", "HEAD")
    assert state["branch"] == "main" and state["detached"] is False
    assert state["dirty"] is False and state["untracked"] == []
    assert not (Path(run.dir) / "files" / "diff.patch").exists()


def test_dirty_repository_diff_and_untracked(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    repo = make_repo(tmp_path / "repo")
    (repo / "train.py").write_text("print('changed')\n")
    (repo / "staged.py").write_text("x = 1\n")
    git(repo, "add", "staged.py")
    (repo / "notes.txt").write_text("scratch\n")
    monkeypatch.chdir(repo)
    state, run = _git_of_run()
    assert state["dirty"] is True
    assert state["untracked"] == ["notes.txt"]  # the run's own folder is left out
    patch = (Path(run.dir) / "files" / "diff.patch").read_text()
    assert "print('changed')" in patch and "staged.py" in patch


def test_detached_head(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    repo = make_repo(tmp_path / "repo")
    git(repo, "checkout", "-q", "--detach")
    monkeypatch.chdir(repo)
    state, _ = _git_of_run()
    assert state["detached"] is True and state["branch"] is None
    assert state["commit"] == git(repo, "rev-parse", "HEAD")


def test_empty_repository(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    repo = make_repo(tmp_path / "repo", commit=False)
    (repo / "a.py").write_text("a = 1\n")
    monkeypatch.chdir(repo)
    state, _ = _git_of_run()
    assert state["repository"] is True and state["commit"] is None
    assert state["untracked"] == ["a.py"]


def test_no_repository(tmp_path: Path) -> None:
    state, _ = _git_of_run()
    assert state == {"repository": False}


def test_no_git_binary(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    repo = make_repo(tmp_path / "repo")
    monkeypatch.chdir(repo)
    monkeypatch.setenv("PATH", str(tmp_path / "empty-bin"))
    monkeypatch.setattr(gitstate, "CACHE_SECONDS", 0.0)
    state, _ = _git_of_run()
    assert state["repository"] is True and "commit" not in state
    assert state["error"]


def test_remote_credentials_are_removed(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    repo = make_repo(tmp_path / "repo")
    git(repo, "remote", "add", "origin", "https://alice:s3cret@git.example.com/team/repo.git")
    monkeypatch.chdir(repo)
    state, run = _git_of_run()
    assert state["remote"] == "https://git.example.com/team/repo.git"
    for name in ("run.nbtrack", "metadata.json"):
        assert "s3cret" not in (Path(run.dir) / name).read_text()


def test_strip_credentials_forms() -> None:
    assert gitstate.strip_credentials("https://tok@h.com/r.git") == "https://h.com/r.git"
    assert gitstate.strip_credentials("ssh://git:pw@h.com/r.git") == "ssh://h.com/r.git"
    assert gitstate.strip_credentials("git@h.com:org/r.git") == "git@h.com:org/r.git"


def test_program_path_relative_to_root(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    repo = make_repo(tmp_path / "repo")
    (repo / "src").mkdir()
    program = repo / "src" / "train.py"
    program.write_text("")
    state, _ = gitstate.capture(repo / "src", str(program))
    assert state["program"] == "src/train.py"


def test_script_code_is_saved_unless_disabled(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    (tmp_path / "train.py").write_text("print('training')\n")
    run = nbtrack.init(project="p")
    run.finish()
    assert (Path(run.dir) / "files" / "code" / "train.py").read_text() == "print('training')\n"
    monkeypatch.setenv("NBTRACK_SAVE_CODE", "false")
    run = nbtrack.init(project="p")
    run.finish()
    assert not (Path(run.dir) / "files" / "code").exists()


def test_disable_git(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    repo = make_repo(tmp_path / "repo")
    monkeypatch.chdir(repo)
    monkeypatch.setenv("NBTRACK_DISABLE_GIT", "1")
    run = nbtrack.init(project="p")
    run.finish()
    assert "git" not in nbtrack.Api.local().run(run.id).metadata


def test_slow_git_does_not_slow_init(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    repo = make_repo(tmp_path / "repo")
    gate, held = tmp_path / "git-may-answer", tmp_path / "git-was-asked"
    slow_bin = tmp_path / "slow-bin"
    slow_bin.mkdir()
    real_git = shutil.which("git")
    (slow_bin / "git").write_text(  # git answers only once the test opens the gate
        f'#!/bin/sh\ntouch "{held}"\n'
        f'i=0; while [ ! -e "{gate}" ] && [ $i -lt 600 ]; do sleep 0.05; i=$((i+1)); done\n'
        f'exec "{real_git}" "$@"\n'
    )
    (slow_bin / "git").chmod(0o755)
    monkeypatch.setenv("PATH", f"{slow_bin}{os.pathsep}{os.environ['PATH']}")
    monkeypatch.setattr(gitstate, "CACHE_SECONDS", 0.0)
    monkeypatch.chdir(repo)
    run = nbtrack.init(project="p")  # returns while git is still held at the gate
    run.log({"a": 1})
    wait_for(held.exists, 30, "the background git capture to start")
    assert "git" not in run.metadata
    gate.touch()
    run.finish()  # waits for the capture, so the git state is on disk when the run ends
    state = nbtrack.Api.local().run(run.id).metadata["git"]
    assert state["commit"] == git(repo, "rev-parse", "HEAD")
