"""A real JupyterLab in headless Chromium: the widget as a user sees it, re-execution, Sync.

One JupyterLab server and one nbtrack server per session; each test opens its own notebook in
its own folder. Screenshots go to test-artifacts/.
"""

from __future__ import annotations

import re
import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import expect

import nbtrack
from nbtrack.jupyter.hooks import REEXECUTED
from tests.browser import (
    KERNEL_READY,
    JupyterLab,
    jupyter_env,
    require_chromium,
)
from tests.jupyter.conftest import ARTIFACTS, NOTEBOOKS, notebook, runs_on_disk
from tests.liveserver import LiveServer

pytestmark = [pytest.mark.browser, pytest.mark.slow, pytest.mark.timeout(240)]
KERNEL_IDLE = """() => {
  const k = window.jupyterapp?.shell.currentWidget?.sessionContext?.session?.kernel;
  return !!k && k.status === 'idle';
}"""


class Lab:
    def __init__(self, jupyterlab: JupyterLab, nbtrack_server: LiveServer) -> None:
        self.url, self.token = jupyterlab.url, jupyterlab.token
        self.root, self.server = jupyterlab.root, nbtrack_server


@pytest.fixture(scope="session")
def lab(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Lab]:
    require_chromium()
    base = tmp_path_factory.mktemp("lab")
    server = LiveServer(base / "nbtrack-data").start()
    env = jupyter_env(base, mode="offline", base_url=server.url, api_key=server.admin_key)
    jupyterlab = JupyterLab(base, env, root=base / "nb").start()
    try:
        yield Lab(jupyterlab, server)
    finally:
        jupyterlab.stop()
        server.stop()


def shot(page: Any, name: str) -> None:
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / f"jupyter-{name}.png"), full_page=True)


def open_notebook(page: Any, lab: Lab, relative: str) -> None:
    page.goto(f"{lab.url}/lab/tree/{relative}?token={lab.token}&reset")
    page.wait_for_function(KERNEL_READY, timeout=90_000)


def run_cell(page: Any, index: int) -> Any:
    """Execute the code cell ``index`` (Shift+Enter) and wait until the kernel is idle again."""
    cell = page.locator(".jp-Notebook .jp-CodeCell").nth(index)
    cell.locator(".jp-InputArea-editor").click()
    page.keyboard.press("Shift+Enter")
    page.wait_for_function(KERNEL_IDLE, timeout=60_000)
    expect(cell.locator(".jp-InputPrompt")).not_to_have_text(re.compile(r"\[\*\]|\[ \]"))
    return cell


def widget_in(cell: Any) -> Any:
    widget = cell.locator(".nbtrack-widget")
    expect(widget).to_be_visible(timeout=30_000)
    return widget


def test_quickstart_widget_and_reexecution(page: Any, lab: Lab) -> None:
    folder = lab.root / "quick"
    folder.mkdir()
    shutil.copy(NOTEBOOKS / "quickstart.ipynb", folder)
    open_notebook(page, lab, "quick/quickstart.ipynb")
    run_cell(page, 0)
    init_cell = run_cell(page, 1)
    widget = widget_in(init_cell)
    (first,) = runs_on_disk(folder)
    expect(widget.locator(".widget-text input")).to_have_value(first.info["name"])
    expect(widget.locator(".nbtrack-id")).to_have_text(first.info["id"])
    expect(widget.locator(".nbtrack-link")).to_have_text(f"nbtrack/{first.path.name}")
    expect(widget.locator(".nbtrack-badge.nbtrack-running")).to_have_text("running")
    expect(widget.locator(".nbtrack-badge.nbtrack-offline")).to_have_text("offline")
    run_cell(page, 2)
    expect(widget.locator(".nbtrack-step")).to_have_text("300", timeout=15_000)
    expect(widget.locator(".nbtrack-metrics")).to_contain_text("loss")
    shown = widget_in(run_cell(page, 3))  # `run`: the same widget again
    expect(shown.locator(".nbtrack-id")).to_have_text(first.info["id"])
    shot(page, "quickstart-running")

    run_cell(page, 1)  # re-execute the init cell: the first run finishes first
    expect(shown.locator(".nbtrack-badge.nbtrack-finished")).to_have_text("finished")
    expect(shown.locator(".nbtrack-reason")).to_contain_text(REEXECUTED)
    expect(shown.locator("button", has_text="Finish run")).to_be_disabled()
    second = widget_in(page.locator(".jp-Notebook .jp-CodeCell").nth(1))
    expect(second.locator(".nbtrack-badge.nbtrack-running")).to_have_text("running")
    shot(page, "quickstart-reexecuted")
    states = {s.info["id"]: s for s in runs_on_disk(folder)}
    assert states[first.info["id"]].state == "finished"
    notebook_meta = states[first.info["id"]].metadata["notebook"]
    assert notebook_meta["path"] == str(folder / "quickstart.ipynb")
    assert notebook_meta["source"] == "jupyterlab"  # from the extension, not the environment


def test_sync_offline_runs_button_uploads_to_the_server(page: Any, lab: Lab) -> None:
    folder = lab.root / "sync"
    folder.mkdir()
    nb = notebook(
        "%load_ext nbtrack\nimport nbtrack",
        "run = nbtrack.init(project='lab-sync')\nfor i in range(25):\n    run.log({'i': i})",
        "run.finish()",
    )
    import nbformat

    nbformat.write(nb, folder / "sync.ipynb")
    open_notebook(page, lab, "sync/sync.ipynb")
    run_cell(page, 0)
    widget = widget_in(run_cell(page, 1))
    run_cell(page, 2)
    expect(widget.locator(".nbtrack-badge.nbtrack-finished")).to_be_visible()
    widget.locator("button", has_text="Sync offline runs").click()
    (state,) = runs_on_disk(folder)
    result = widget.locator(".nbtrack-sync")
    expect(result).to_have_text(f"synced 1 run, {state.records} records sent", timeout=60_000)
    expect(widget.locator(".nbtrack-badge.nbtrack-synced")).to_be_visible(timeout=15_000)
    shot(page, "sync-done")
    api = nbtrack.Api(lab.server.url, lab.server.admin_key)
    remote = api.run(f"admin/lab-sync/{state.info['id']}")
    assert len(list(remote.scan_history())) == 25


def test_sessions_api_finds_the_notebook(page: Any, lab: Lab) -> None:
    folder = lab.root / "where"
    folder.mkdir()
    code = (
        "from nbtrack.jupyter import notebook\n"
        "print('FOUND', notebook.from_sessions_api(notebook.kernel_id()))"
    )
    import nbformat

    nbformat.write(notebook(code), folder / "where.ipynb")
    open_notebook(page, lab, "where/where.ipynb")
    cell = run_cell(page, 0)
    expected = f"FOUND {folder / 'where.ipynb'}"
    expect(cell.locator(".jp-OutputArea-output")).to_have_text(expected, timeout=15_000)


def test_reopened_notebook_shows_the_final_card(page: Any, lab: Lab, isolated: Path) -> None:
    import nbformat

    from tests.jupyter.conftest import client_for, load_notebook

    folder = lab.root / "reopen"
    folder.mkdir()
    nb = load_notebook("quickstart.ipynb")
    client_for(nb, folder).execute()  # run elsewhere, saved with outputs, without widget state
    nb.metadata.pop("widgets", None)
    nbformat.write(nb, folder / "quickstart.ipynb")
    (state,) = runs_on_disk(folder)
    open_notebook(page, lab, "reopen/quickstart.ipynb")  # a new kernel: the widget is gone
    init_output = page.locator(".jp-Notebook .jp-CodeCell").nth(1).locator(".jp-OutputArea")
    card = init_output.locator(".nbtrack-run")
    expect(card.locator(".nbtrack-name")).to_have_text(state.info["name"])
    expect(card.locator(".nbtrack-id")).to_have_text(state.info["id"])
    expect(card.locator(".nbtrack-badge.nbtrack-finished")).to_have_text("finished")
    expect(card.locator(".nbtrack-step")).to_have_text("300")
    shot(page, "reopened-card")
