"""Finding the notebook's file: each source, and which one wins."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from nbtrack.jupyter import notebook


class Shell:
    def __init__(self, **user_ns: Any) -> None:
        self.user_ns = user_ns


@pytest.fixture
def files(isolated: Path) -> dict[str, Path]:
    names = ("lab.ipynb", "setting.ipynb", "session.ipynb", "vscode.ipynb")
    paths = {name.split(".")[0]: isolated / "nbs" / name for name in names}
    for path in paths.values():
        path.parent.mkdir(exist_ok=True)
        path.write_text("{}")
    return paths


def test_each_source_in_order(files: dict[str, Path], monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("JPY_SESSION_NAME", str(files["session"]))
    shell = Shell(__vsc_ipynb_file__=str(files["vscode"]))
    announced = {"path": "nbs/lab.ipynb", "root": str(files["lab"].parent.parent)}
    setting = str(files["setting"])
    found = notebook.locate(shell, announced, setting)
    assert found == notebook.NotebookIdentity(files["lab"], "jupyterlab")
    assert notebook.locate(shell, None, setting) == notebook.NotebookIdentity(
        files["setting"], "NBTRACK_NOTEBOOK_NAME"
    )
    assert notebook.locate(shell, None, None) == notebook.NotebookIdentity(
        files["session"], "JPY_SESSION_NAME"
    )
    monkeypatch.delenv("JPY_SESSION_NAME")
    assert notebook.locate(shell, None, None) == notebook.NotebookIdentity(
        files["vscode"], "vscode"
    )
    assert notebook.locate(Shell(), None, None) is None  # no kernel here: no sessions API


def test_missing_files_are_skipped(files: dict[str, Path], monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("JPY_SESSION_NAME", str(files["session"]))
    gone = {"path": "nbs/gone.ipynb", "root": str(files["lab"].parent.parent)}
    found = notebook.locate(Shell(), gone, "also-gone.ipynb")
    assert found is not None and found.source == "JPY_SESSION_NAME"


def test_relative_paths_resolve_from_the_cwd(
    files: dict[str, Path], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(files["lab"].parent)
    assert notebook.announced_path({"path": "sub/dir/lab.ipynb", "root": ""}) == files["lab"]
    monkeypatch.setenv("JPY_SESSION_NAME", "lab.ipynb")  # relative, as older servers set it
    found = notebook.locate(Shell(), None, None)
    assert found == notebook.NotebookIdentity(files["lab"], "JPY_SESSION_NAME")


def test_sessions_api_gives_up_on_unreachable_servers(
    isolated: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    runtime = isolated / "runtime"
    runtime.mkdir()
    server = {"url": "http://127.0.0.1:9/", "token": "t", "root_dir": str(isolated)}
    (runtime / "jpserver-1.json").write_text(json.dumps(server))
    (runtime / "jpserver-2.json").write_text("not json")
    monkeypatch.setenv("JUPYTER_RUNTIME_DIR", str(runtime))
    assert len(notebook.running_servers()) == 1
    assert notebook.from_sessions_api("some-kernel-id", deadline=2.0) is None
    assert notebook.from_sessions_api(None) is None
