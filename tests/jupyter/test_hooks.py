"""Re-executing a cell finishes the runs it started (in-process shell, cell IDs as sent)."""

from __future__ import annotations

from pathlib import Path

import pytest
from IPython.core.interactiveshell import InteractiveShell

import nbtrack
from nbtrack.jupyter.hooks import REEXECUTED
from tests.jupyter.conftest import run_cell, runs_on_disk

INIT = (
    "import nbtrack, nbtrack.jupyter\nrun = nbtrack.init(project='p')\nnbtrack.jupyter.attach(run)"
)
CREATE_NEW = (
    "import nbtrack, nbtrack.jupyter\n"
    "side = nbtrack.init(project='p', reinit='create_new')\n"
    "nbtrack.jupyter.attach(side)"
)


@pytest.fixture
def ip(shell: InteractiveShell) -> InteractiveShell:
    assert run_cell(shell, "%load_ext nbtrack").success
    return shell


def test_reexecuting_a_cell_finishes_its_run_first(ip: InteractiveShell, isolated: Path) -> None:
    assert run_cell(ip, INIT, cell_id="init").success
    first = ip.user_ns["run"]
    assert run_cell(ip, "x = 1", cell_id="other").success
    assert not first.finished
    assert run_cell(ip, INIT, cell_id="init").success
    assert first.finished and first.finish_reason == REEXECUTED
    assert run_cell(ip, INIT, cell_id="init").success
    states = sorted(s.state for s in runs_on_disk(isolated))
    assert states == ["finished", "finished", "running"]
    assert nbtrack.run is ip.user_ns["run"]


def test_create_new_runs_are_left_alone_by_other_cells(ip: InteractiveShell) -> None:
    assert run_cell(ip, CREATE_NEW, cell_id="side").success
    side = ip.user_ns["side"]
    assert run_cell(ip, INIT, cell_id="main").success
    assert run_cell(ip, INIT, cell_id="main").success
    assert not side.finished
    assert run_cell(ip, CREATE_NEW, cell_id="side").success
    assert side.finished and side.finish_reason == REEXECUTED


def test_cells_without_an_id_finish_nothing(ip: InteractiveShell) -> None:
    assert run_cell(ip, CREATE_NEW).success
    side = ip.user_ns["side"]
    assert run_cell(ip, CREATE_NEW).success
    assert not side.finished


def test_code_of_cells_run_while_live_is_recorded(ip: InteractiveShell, isolated: Path) -> None:
    assert run_cell(ip, "before = 1", cell_id="a").success
    assert run_cell(ip, INIT, cell_id="init").success
    assert run_cell(ip, "during = 2", cell_id="b").success
    assert run_cell(ip, "run.finish()", cell_id="c").success
    assert run_cell(ip, "after = 3", cell_id="d").success
    run = ip.user_ns["run"]
    code = (Path(run.dir) / "files" / "code" / "cells.py").read_text()
    assert code.index("before = 1") < code.index("nbtrack.init") < code.index("during = 2")
    assert "run.finish()" in code and "after = 3" not in code


def test_save_code_false_records_no_code(ip: InteractiveShell) -> None:
    cell = INIT.replace("project='p'", "project='p', save_code=False")
    assert run_cell(ip, cell, cell_id="init").success
    assert run_cell(ip, "during = 2", cell_id="b").success
    run = ip.user_ns["run"]
    assert not (Path(run.dir) / "files" / "code").exists()
