"""``%%track`` and ``%nbtrack`` in an in-process IPython shell."""

from __future__ import annotations

from pathlib import Path

import pytest
from IPython.core.interactiveshell import InteractiveShell

import nbtrack
from nbtrack import registry
from nbtrack.jupyter.magics import parse_config
from tests.jupyter.conftest import run_cell, runs_on_disk


@pytest.fixture
def ip(shell: InteractiveShell) -> InteractiveShell:
    assert run_cell(shell, "%load_ext nbtrack\nimport nbtrack").success
    return shell


def test_track_runs_the_cell_in_a_fresh_finished_run(ip: InteractiveShell, isolated: Path) -> None:
    cell = (
        "%%track --project mnist --name first --tags a,b --config lr=0.1 opt=adam layers=[1,2]"
        " --group g --job-type train --id abc123\n"
        "nbtrack.log({'loss': 0.5})\n"
        "inside = nbtrack.run\n"
        "nbtrack.run.id"
    )
    result = run_cell(ip, cell)
    assert result.success, result.error_in_exec
    assert result.result == "abc123"
    assert nbtrack.run is None  # the cell's run is not current any more
    (state,) = runs_on_disk(isolated)
    assert state.state == "finished"
    assert state.info["name"] == "first" and state.info["project"] == "mnist"
    assert state.info["tags"] == ["a", "b"]
    assert (state.info["group"], state.info["job_type"]) == ("g", "train")
    assert state.config == {"lr": 0.1, "opt": "adam", "layers": [1, 2]}
    assert state.summary["loss"] == 0.5
    assert ip.user_ns["inside"].id == "abc123"


def test_track_cell_that_raises_leaves_a_failed_run(ip: InteractiveShell, isolated: Path) -> None:
    result = run_cell(ip, "%%track --project p\nx = 1\n1 / 0")
    assert isinstance(result.error_in_exec, ZeroDivisionError)  # the exception still shows
    (state,) = runs_on_disk(isolated)
    assert state.state == "failed"
    assert state.exit is not None and state.exit["reason"] == "ZeroDivisionError: division by zero"
    assert state.metadata["error"]["type"] == "ZeroDivisionError"
    assert "1 / 0" in state.metadata["error"]["traceback"]
    assert ip.user_ns["x"] == 1


def test_track_keyboard_interrupt_leaves_a_killed_run(ip: InteractiveShell, isolated: Path) -> None:
    result = run_cell(ip, "%%track\nraise KeyboardInterrupt")
    assert isinstance(result.error_in_exec, KeyboardInterrupt)
    assert [s.state for s in runs_on_disk(isolated)] == ["killed"]


def test_track_bad_arguments_are_usage_errors(
    ip: InteractiveShell, isolated: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    for line in ("--bogus", "--mode sideways", "--project 'bad name!'", "--config novalue"):
        result = run_cell(ip, f"%%track {line}\n1")
        assert not result.success
        captured = capsys.readouterr()
        assert "UsageError" in captured.err + captured.out, line
        assert "Traceback" not in captured.err + captured.out, line
    assert runs_on_disk(isolated) == []


def test_track_defaults_are_configurable(ip: InteractiveShell, isolated: Path) -> None:
    run_cell(ip, "%config Track.project = 'configured'")
    run_cell(ip, "%config Track.tags = ['nightly']")
    assert run_cell(ip, "%%track --tags extra\npass").success
    (state,) = runs_on_disk(isolated)
    assert state.info["project"] == "configured"
    assert state.info["tags"] == ["nightly", "extra"]


def test_track_restores_the_current_run(ip: InteractiveShell, isolated: Path) -> None:
    assert run_cell(ip, "main = nbtrack.init(project='p')").success
    assert run_cell(ip, "%%track\nassert nbtrack.run is not main").success
    main = ip.user_ns["main"]
    assert nbtrack.run is main and not main.finished
    main.finish()
    assert states_of(isolated) == ["finished", "finished"]


def test_track_records_the_cell_code(ip: InteractiveShell, isolated: Path) -> None:
    assert run_cell(ip, "marker = 'first cell'").success
    assert run_cell(ip, "%%track\nnbtrack.log({'a': 1})").success
    (state,) = runs_on_disk(isolated)
    code = (state.path / "files" / "code" / "cells.py").read_text()
    assert "marker = 'first cell'" in code and "%%track" in code
    assert code.index("first cell") < code.index("%%track")


def test_nbtrack_status_and_finish(
    ip: InteractiveShell, isolated: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    run_cell(ip, "%nbtrack status")
    assert "no live runs" in capsys.readouterr().out
    run_cell(ip, "a = nbtrack.init(project='p', name='alpha')")
    run_cell(ip, "b = nbtrack.init(project='p', name='beta', reinit='create_new')")
    run_cell(ip, "%nbtrack status")
    out = capsys.readouterr().out
    assert "2 live runs" in out and "* alpha" in out and "  beta" in out
    run_cell(ip, "%nbtrack finish")
    assert ip.user_ns["a"].finished and not ip.user_ns["b"].finished
    run_cell(ip, "%nbtrack finish --all")
    assert ip.user_ns["b"].finished
    run_cell(ip, "%nbtrack finish")
    assert "No current run to finish" in "".join(capsys.readouterr())
    assert registry.live() == []


def test_nbtrack_bad_action(ip: InteractiveShell, capsys: pytest.CaptureFixture[str]) -> None:
    assert not run_cell(ip, "%nbtrack explode").success
    assert "UsageError" in "".join(capsys.readouterr())


def test_parse_config() -> None:
    assert parse_config(["a=1", "b=x y", "c=None", "d=(1, 2)", "e=1e-3", "f="]) == {
        "a": 1,
        "b": "x y",
        "c": None,
        "d": (1, 2),
        "e": 0.001,
        "f": "",
    }


def states_of(folder: Path) -> list[str]:
    return sorted(s.state for s in runs_on_disk(folder))
