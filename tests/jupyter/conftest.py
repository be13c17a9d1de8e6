"""Fixtures for the Jupyter layer: an in-process IPython shell, real kernels through nbclient.

Browser tests share ``browser`` (one Chromium per module) and ``page`` (a fresh tab per test,
``VIEWPORT`` of the test module, else 1400x1000); their JupyterLab fixtures live in their modules.
"""

from __future__ import annotations

import atexit
import json
import os
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import nbformat
import pytest
from IPython.core.interactiveshell import InteractiveShell
from jupyter_core.utils import run_sync
from nbclient import NotebookClient
from traitlets.config import Config

from nbtrack import rundir, runstate
from nbtrack.jupyter import extension
from tests.browser import chromium, new_tab

ROOT = Path(__file__).resolve().parents[2]
NOTEBOOKS = ROOT / "notebooks"
ARTIFACTS = ROOT / "test-artifacts"
WIDGET_STATE = "application/vnd.jupyter.widget-state+json"
WIDGET_VIEW = "application/vnd.jupyter.widget-view+json"


@pytest.fixture
def shell(isolated: Path) -> Iterator[InteractiveShell]:
    """A fresh in-process IPython shell (no kernel), cleared afterwards so other tests see none."""
    config = Config()
    config.HistoryManager.hist_file = ":memory:"
    os.environ["IPYTHONDIR"] = str(isolated / "ipython")
    ip = InteractiveShell.instance(config=config)
    yield ip
    extension.unload(ip)
    ip.atexit_operations()
    atexit.unregister(ip.atexit_operations)
    InteractiveShell.clear_instance()
    os.environ.pop("IPYTHONDIR", None)


@pytest.fixture(scope="module")  # a sync Playwright left open breaks later modules' Playwright
def browser() -> Iterator[Any]:
    with chromium() as launched:
        yield launched


@pytest.fixture
def page(browser: Any, request: pytest.FixtureRequest) -> Iterator[Any]:
    width, height = getattr(request.module, "VIEWPORT", (1400, 1000))
    with new_tab(browser, width, height) as tab:
        yield tab


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo[None]) -> Iterator[None]:
    """A failed browser test leaves a screenshot and the page's HTML in test-artifacts/."""
    outcome = yield
    report = outcome.get_result()
    page = getattr(item, "funcargs", {}).get("page")
    if report.when == "call" and report.failed and page is not None:
        ARTIFACTS.mkdir(exist_ok=True)
        page.screenshot(path=str(ARTIFACTS / f"failed-{item.name}.png"), full_page=True)
        (ARTIFACTS / f"failed-{item.name}.html").write_text(page.content())


def run_cell(ip: InteractiveShell, code: str, cell_id: str | None = None) -> Any:
    """Run one cell as a frontend would (stored in history, with a cell ID)."""
    return ip.run_cell(code, store_history=True, cell_id=cell_id)


class CellIdClient(NotebookClient):
    """nbclient, sending each cell's ID with its execute request as JupyterLab does."""

    def __init__(self, nb: Any, **kwargs: Any) -> None:
        super().__init__(nb, **kwargs)
        self._cell_id: str | None = None

    async def async_execute_cell(self, cell: Any, cell_index: int, **kwargs: Any) -> Any:
        self._cell_id = cell.get("id")
        return await super().async_execute_cell(cell, cell_index, **kwargs)

    async def async_start_new_kernel_client(self) -> Any:
        kc = await super().async_start_new_kernel_client()
        send = kc.execute

        def execute(code: str, **options: Any) -> str:
            if self._cell_id is None:
                return str(send(code, **options))
            content = {"code": code, "silent": False, "user_expressions": {}}
            content.update(store_history=options.get("store_history", True), allow_stdin=False)
            content.update(stop_on_error=options.get("stop_on_error", True))
            msg = kc.session.msg("execute_request", content, metadata={"cellId": self._cell_id})
            kc.shell_channel.send(msg)
            return str(msg["header"]["msg_id"])

        kc.execute = execute
        return kc

    execute_cell = run_sync(async_execute_cell)
    start_new_kernel_client = run_sync(async_start_new_kernel_client)


def notebook(*sources: str) -> Any:
    nb = nbformat.v4.new_notebook()
    nb.cells = [nbformat.v4.new_code_cell(source) for source in sources]
    nb.metadata["kernelspec"] = {
        "name": "python3",
        "display_name": "Python 3",
        "language": "python",
    }
    return nb


def client_for(nb: Any, folder: Path, **kwargs: Any) -> CellIdClient:
    kwargs.setdefault("timeout", 60)
    return CellIdClient(
        nb, kernel_name="python3", resources={"metadata": {"path": str(folder)}}, **kwargs
    )


def widget_states(client: NotebookClient) -> dict[str, dict[str, Any]]:
    """Model id -> state of every widget the kernel announced, as nbclient stored them."""
    client.set_widgets_metadata()
    states = client.nb.metadata.get("widgets", {}).get(WIDGET_STATE, {}).get("state", {})
    return {mid: model["state"] for mid, model in states.items()}


def run_widgets(client: NotebookClient) -> list[dict[str, Any]]:
    """The stored state of each run widget (the VBox carrying run_id), in creation order."""
    return [s for s in widget_states(client).values() if "run_id" in s]


def view_ids(cell: Any) -> list[str]:
    return [
        o["data"][WIDGET_VIEW]["model_id"] for o in cell.outputs if WIDGET_VIEW in o.get("data", {})
    ]


def runs_on_disk(folder: Path) -> list[runstate.RunState]:
    return [runstate.replay(path) for path in rundir.list_all(folder / "nbtrack")]


def states(folder: Path) -> list[str]:
    return sorted(state.state for state in runs_on_disk(folder))


def new_id() -> str:
    return uuid.uuid4().hex[:8]


def load_notebook(name: str) -> Any:
    return nbformat.read(NOTEBOOKS / name, as_version=4)


def dump(data: Any) -> str:
    return json.dumps(data, indent=1, default=str)[:4000]


def child_ids(states: dict[str, dict[str, Any]], model_id: str) -> list[str]:
    return [c.removeprefix("IPY_MODEL_") for c in states[model_id]["children"]]


def button_id(states: dict[str, dict[str, Any]], run_id: str, label: str) -> str:
    """The model id of a button of the widget showing ``run_id``, found as a frontend would."""
    (box,) = [mid for mid, s in states.items() if s.get("run_id") == run_id]
    for child in child_ids(states, box):
        for grandchild in child_ids(states, child) if "children" in states[child] else []:
            if states[grandchild].get("description") == label:
                return grandchild
    raise AssertionError(f"no button {label!r}")


def click(client: Any, model_id: str) -> None:
    kc = client.kc
    data = {"method": "custom", "content": {"event": "click"}}
    kc.shell_channel.send(kc.session.msg("comm_msg", {"comm_id": model_id, "data": data}))
