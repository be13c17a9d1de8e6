"""``%load_ext nbtrack``: registers once, unloads fully, never breaks the kernel."""

from __future__ import annotations

import subprocess
import sys

from IPython.core.interactiveshell import InteractiveShell

from nbtrack.jupyter import extension
from nbtrack.jupyter.channel import NotebookChannel
from nbtrack.jupyter.hooks import CellHooks
from tests.jupyter.conftest import run_cell


def hook_count(ip: InteractiveShell) -> int:
    return sum(
        1
        for callback in ip.events.callbacks["pre_run_cell"]
        if getattr(callback, "__self__", None).__class__ is CellHooks
    )


def test_import_registers_nothing() -> None:
    code = (
        "import sys, nbtrack\n"
        "print(any(m.startswith('nbtrack.jupyter') for m in sys.modules),"
        " 'IPython' in sys.modules, 'ipywidgets' in sys.modules)"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.split() == ["False", "False", "False"]


def test_load_registers_magics_hooks_and_config_once(shell: InteractiveShell) -> None:
    assert "track" not in shell.magics_manager.magics["cell"]
    run_cell(shell, "%load_ext nbtrack")
    run_cell(shell, "%reload_ext nbtrack")
    extension.load(shell)
    assert "track" in shell.magics_manager.magics["cell"]
    assert "nbtrack" in shell.magics_manager.magics["line"]
    assert hook_count(shell) == 1
    tracks = [c for c in shell.configurables if type(c).__name__ == "Track"]
    assert len(tracks) == 1


def test_unload_removes_everything(shell: InteractiveShell) -> None:
    run_cell(shell, "%load_ext nbtrack")
    run_cell(shell, "%unload_ext nbtrack")
    assert "track" not in shell.magics_manager.magics["cell"]
    assert "nbtrack" not in shell.magics_manager.magics["line"]
    assert hook_count(shell) == 0
    assert not [c for c in shell.configurables if type(c).__name__ == "Track"]
    assert extension.active() is None
    result = run_cell(shell, "%%track\n1")
    assert result.error_in_exec is not None or result.error_before_exec is not None


def test_hook_accepts_any_signature_and_never_raises(capsys: object) -> None:
    hooks = CellHooks()
    hooks.pre_run_cell()
    hooks.pre_run_cell(object())
    hooks.pre_run_cell(info=None)
    hooks.pre_run_cell(1, 2, three=3)

    def broken(code: str) -> None:
        raise RuntimeError("listener bug")

    hooks.on_cell(broken)
    hooks.pre_run_cell()  # reported on stderr, not raised
    assert hooks.current_cell is None


def test_hook_error_is_reported_not_raised(shell: InteractiveShell, monkeypatch, capfd) -> None:
    monkeypatch.delenv("NBTRACK_SILENT")
    run_cell(shell, "%load_ext nbtrack")
    active = extension.active()
    assert active is not None

    def broken(code: str) -> None:
        raise RuntimeError("listener bug")

    active.hooks.on_cell(broken)
    result = run_cell(shell, "x = 41 + 1", cell_id="c1")
    assert result.success and shell.user_ns["x"] == 42
    assert "internal error in the pre_run_cell hook" in capfd.readouterr().err


def test_channel_accepts_notebook_messages() -> None:
    seen: list[dict[str, str]] = []
    channel = NotebookChannel(lambda message: seen.append(message) or "/abs/a.ipynb")
    assert channel.handle({"type": "notebook", "path": "a.ipynb", "root": "/abs"}) == {
        "type": "ack",
        "path": "/abs/a.ipynb",
    }
    assert channel.announced == {"path": "a.ipynb", "root": "/abs"}
    assert channel.handle({"type": "nope"})["type"] == "error"
    assert channel.handle({"type": "notebook", "path": 3})["type"] == "error"
    assert len(seen) == 1


def test_public_surface_is_sorted_and_complete() -> None:
    import nbtrack.jupyter

    assert nbtrack.jupyter.__all__ == sorted(nbtrack.jupyter.__all__)
    assert all(callable(getattr(nbtrack.jupyter, name)) for name in nbtrack.jupyter.__all__)
