"""Every test runs in its own folder with its own nbtrack config; no test sees the user's."""

from __future__ import annotations

import os
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest

from nbtrack import registry
from tests.liveserver import LiveServer
from tests.webhook import Receiver


@pytest.fixture(autouse=True)
def isolated(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    for name in list(os.environ):
        if name.startswith("NBTRACK_"):
            monkeypatch.delenv(name)
    monkeypatch.setenv("NBTRACK_CONFIG_DIR", str(tmp_path / "config"))
    monkeypatch.setenv("NBTRACK_MODE", "offline")
    monkeypatch.setenv("NBTRACK_SILENT", "true")
    monkeypatch.chdir(tmp_path)
    yield tmp_path
    for run in registry.live():
        run.finish()


def make_repo(path: Path, commit: bool = True) -> Path:
    """A real git repository at ``path`` (with one commit unless ``commit`` is False)."""
    path.mkdir(parents=True, exist_ok=True)
    git(path, "init", "-q", "-b", "main")
    git(path, "config", "user.email", "test@example.com")
    git(path, "config", "user.name", "Test")
    if commit:
        (path / "train.py").write_text("print('hello')\n")
        git(path, "add", "train.py")
        git(path, "commit", "-q", "-m", "first")
    return path


def git(path: Path, *args: str) -> str:
    return subprocess.run(
        ["git", *args], cwd=path, check=True, capture_output=True, text=True
    ).stdout.strip()


@pytest.fixture(scope="session")
def live_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveServer]:
    """One real ``nbtrack server`` (SQLite) for the whole session, on a free loopback port."""
    live = LiveServer(tmp_path_factory.mktemp("live-server") / "data").start()
    yield live
    live.stop()


@pytest.fixture
def target(live_server: LiveServer, monkeypatch: pytest.MonkeyPatch) -> LiveServer:
    """Point the client (base URL, admin key) at the session's server."""
    monkeypatch.setenv("NBTRACK_BASE_URL", live_server.url)
    monkeypatch.setenv("NBTRACK_API_KEY", live_server.admin_key)
    return live_server


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    """A webhook on a loopback port that keeps what is posted to it."""
    found = Receiver()
    yield found
    found.close()
