"""The ``nbtrack`` command: mistakes get a message and an exit code, never a traceback."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

from nbtrack import cli, credentials
from tests.liveserver import LiveServer

PACKAGE = Path(cli.__file__).parent


def nbtrack(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "nbtrack", *args],
        capture_output=True,
        text=True,
        env=os.environ.copy(),
        stdin=subprocess.DEVNULL,
        timeout=120,
    )


def test_bad_names_are_a_message_not_a_traceback() -> None:
    done = nbtrack("sync", "--project", "bad name")
    assert done.returncode == 2
    assert "nbtrack sync: project='bad name' is not a valid project name" in done.stderr
    assert "Traceback" not in done.stderr


def test_login_without_a_key_and_no_terminal_says_how() -> None:
    done = nbtrack("login", "--host", "http://127.0.0.1:9")
    assert done.returncode == 1 and "nbtrack login KEY" in done.stderr


def test_server_refuses_a_bad_port() -> None:
    done = nbtrack("server", "--port", "99999")
    assert done.returncode == 2 and "not a port number; use 1-65535" in done.stderr


def test_a_second_server_on_a_busy_port_stores_no_key(
    live_server: LiveServer, tmp_path: Path
) -> None:
    port = str(live_server.port)
    done = nbtrack("server", "--port", port, "--data-dir", str(tmp_path / "other"))
    assert done.returncode == 1 and f"127.0.0.1:{port} is not free" in done.stderr
    assert credentials.load(live_server.url) is None
    assert not (tmp_path / "other").exists()


def test_version() -> None:
    import nbtrack as package

    assert nbtrack("--version").stdout.strip() == package.__version__


def suggested_commands() -> set[tuple[str, ...]]:
    """Every `nbtrack ...` command a message or docstring in the package tells users to run:
    the sub-command words up to the first placeholder, option or path."""
    found: set[tuple[str, ...]] = set()
    for path in PACKAGE.rglob("*"):
        if path.suffix not in (".py", ".html", ".js") or "node_modules" in path.parts:
            continue
        for text in re.findall(r"`nbtrack ([^`]+)`", path.read_text("utf-8", "replace")):
            words = []
            for word in text.split():
                if not re.fullmatch(r"[a-z][a-z-]*", word):
                    break
                words.append(word)
            found.add(tuple(words))
    return found


def test_every_suggested_command_exists(capsys: pytest.CaptureFixture[str]) -> None:
    commands = suggested_commands()
    assert {("login",), ("sync",), ("admin", "key")} <= commands
    for words in sorted(commands):
        with pytest.raises(SystemExit) as done:
            cli.main([*words, "--help"])
        said = capsys.readouterr()
        assert done.value.code == 0, f"`nbtrack {' '.join(words)}` does not exist: {said.err}"
        assert said.out.startswith(f"usage: nbtrack {' '.join(words)}"), said.out


def test_login_with_a_bad_key_names_the_real_command(live_server: LiveServer) -> None:
    done = nbtrack("login", "--host", live_server.url, "nbt_not_a_key")
    assert done.returncode == 1
    assert done.stderr.startswith("nbtrack login: ") and "Launch exception" not in done.stderr
    assert "`nbtrack admin key USER`" in done.stderr
