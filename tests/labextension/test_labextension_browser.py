"""The extension in a real JupyterLab, real kernels, a real nbtrack server and headless Chromium:
status bar, commands, runs panel and sync, notebook identity in a subfolder and after a rename.
Screenshots go to test-artifacts/labextension/."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import nbformat
import pytest

import nbtrack
from tests.browser import KERNEL_READY
from tests.labextension.conftest import ARTIFACTS, Lab
from tests.liveserver import wait_for

pytestmark = [pytest.mark.browser, pytest.mark.slow, pytest.mark.timeout(180)]

STATUS = ".nbtrack-StatusItem"


def write_notebook(lab: Lab, path: str, *cells: str) -> Path:
    file = lab.root / path
    file.parent.mkdir(parents=True, exist_ok=True)
    nb = nbformat.v4.new_notebook()
    nb.cells = [nbformat.v4.new_code_cell(source) for source in cells]
    nb.metadata["kernelspec"] = {
        "name": "python3",
        "display_name": "Python 3",
        "language": "python",
    }
    nbformat.write(nb, file)
    return file


def open_notebook(page: Any, lab: Lab, path: str) -> None:
    page.goto(lab.tree(path))
    page.wait_for_function(KERNEL_READY, timeout=60_000)


def run_cell(page: Any, index: int) -> None:
    """Run cell ``index`` with Shift+Enter, wait until it is done, fail on anything on stderr."""
    from playwright.sync_api import expect

    cell = page.locator(".jp-Notebook .jp-Cell").nth(index)
    cell.locator(".jp-InputArea-editor").click()
    page.keyboard.press("Shift+Enter")
    expect(cell.locator(".jp-InputPrompt")).to_have_text(re.compile(r"\[\d+\]:"), timeout=60_000)
    stderr = cell.locator("[data-mime-type='application/vnd.jupyter.stderr']")
    assert stderr.count() == 0, stderr.all_inner_texts()


def shot(page: Any, name: str) -> None:
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / f"{name}.png"))


def local_run(lab: Lab, project: str) -> nbtrack.api.RunView:
    (view,) = nbtrack.Api.local(lab.runs).runs(project)
    return view


def nbtrack_errors(page: Any) -> list[str]:
    return [text for text in page.errors if "nbtrack" in text.lower()]


def test_status_bar_follows_the_run_and_commands_act_on_it(page: Any, lab: Lab) -> None:
    from playwright.sync_api import expect

    write_notebook(
        lab,
        "status.ipynb",
        "import nbtrack\nrun = nbtrack.init(project='lab-status', name='status-run')",
        "for i in range(7):\n    run.log({'loss': 1 / (i + 1)})",
    )
    requested: list[str] = []
    page.context.on("request", lambda request: requested.append(request.url))
    open_notebook(page, lab, "status.ipynb")
    status = page.locator(STATUS)
    expect(status).to_be_hidden()

    run_cell(page, 0)
    expect(status).to_have_text("nbtrack: status-run · running")
    expect(status).to_have_attribute("data-state", "running")
    run_cell(page, 1)
    expect(status).to_have_text("nbtrack: status-run · running · step 7")
    shot(page, "status-running")

    view = local_run(lab, "lab-status")
    run_url = f"{lab.server.url}/admin/lab-status/runs/{view.id}"
    expect(status).to_have_attribute("title", re.compile(re.escape(run_url)))
    with page.expect_popup():
        status.click()
    wait_for(lambda: run_url in requested, 30, "the run page to be requested")

    finish = page.locator(".nbtrack-toolbar-finish")
    expect(finish).to_be_visible()
    finish.click()  # toolbar button: "nbtrack: Finish current run"
    expect(status).to_have_text("nbtrack: status-run · finished · step 7")
    expect(status).to_have_attribute("data-state", "ok")
    shot(page, "status-finished")
    wait_for(lambda: local_run(lab, "lab-status").state == "finished", 30, "the run to finish")
    remote = nbtrack.Api(lab.server.url, lab.server.admin_key).run(f"admin/lab-status/{view.id}")
    assert remote.state == "finished"

    commands = page.evaluate(
        """() => ['nbtrack:sync', 'nbtrack:finish', 'nbtrack:open-run'].map(id => {
          const c = window.jupyterapp.commands;
          return [c.label(id), c.isEnabled(id)];
        })"""
    )
    assert commands == [
        ["nbtrack: Sync offline runs", True],
        ["nbtrack: Finish current run", False],
        ["nbtrack: Open run page", True],
    ]
    page.keyboard.press("Control+Shift+C")  # the command palette lists them
    page.keyboard.type("nbtrack:")
    palette = page.locator(".lm-CommandPalette-item")
    expect(palette.filter(has_text="nbtrack: Sync offline runs")).to_be_visible()
    expect(palette.filter(has_text="nbtrack: Open run page")).to_be_visible()
    shot(page, "command-palette")
    page.keyboard.press("Escape")

    page.reload()  # the kernel's hello is gone: the extension finds its open comm again
    page.wait_for_function(KERNEL_READY, timeout=60_000)
    expect(status).to_have_text("nbtrack: status-run · finished · step 7")
    page.evaluate("() => window.jupyterapp.shell.currentWidget.sessionContext.restartKernel()")
    expect(status).to_be_hidden()  # a restarted kernel has no nbtrack until it loads again
    assert nbtrack_errors(page) == []


def test_panel_lists_an_offline_run_and_syncs_it(page: Any, lab: Lab) -> None:
    from playwright.sync_api import expect

    write_notebook(
        lab,
        "offline.ipynb",
        "import nbtrack\n"
        "run = nbtrack.init(project='lab-sync', name='offline-run', mode='offline')\n"
        "for i in range(30):\n    run.log({'acc': i / 30})\n"
        "run.finish()",
    )
    open_notebook(page, lab, "offline.ipynb")
    page.evaluate("() => window.jupyterapp.shell.activateById('nbtrack-runs')")
    panel = page.locator("#nbtrack-runs")
    expect(panel).to_contain_text("nbtrack is not loaded in this notebook's kernel")

    run_cell(page, 0)
    view = local_run(lab, "lab-sync")
    pending = panel.locator(f".nbtrack-pending li[data-run='{view.id}']")
    expect(pending).to_contain_text("offline-run")
    expect(panel.locator(f".nbtrack-runs li[data-run='{view.id}']")).to_contain_text("finished")
    shot(page, "panel-before-sync")

    panel.get_by_role("button", name="Sync offline runs").click()
    result = panel.locator(".nbtrack-sync-result")
    expect(result).to_have_text(re.compile(r"^synced 1 run, \d+ records sent$"), timeout=60_000)
    expect(pending).to_have_count(0)
    expect(panel).to_contain_text("Every local run is synced.")
    shot(page, "panel-after-sync")

    remote = nbtrack.Api(lab.server.url, lab.server.admin_key).run(f"admin/lab-sync/{view.id}")
    assert remote.state == "finished" and len(list(remote.scan_history())) == 30
    assert nbtrack_errors(page) == []


def test_notebook_path_in_a_subfolder_and_after_a_rename(page: Any, lab: Lab) -> None:
    from playwright.sync_api import expect

    first = write_notebook(
        lab, "sub/deeper/ident.ipynb", "import nbtrack\nrun = nbtrack.init(project='lab-ident')"
    )
    open_notebook(page, lab, "sub/deeper/ident.ipynb")
    run_cell(page, 0)
    expect(page.locator(STATUS)).to_contain_text("running")

    def recorded() -> dict[str, Any]:
        return dict(local_run(lab, "lab-ident").metadata.get("notebook") or {})

    wait_for(lambda: recorded().get("path") == str(first), 30, f"notebook path {first}")
    assert recorded()["source"] == "jupyterlab" and recorded()["name"] == "ident.ipynb"

    page.evaluate(
        """() => window.jupyterapp.serviceManager.contents.rename(
          'sub/deeper/ident.ipynb', 'sub/deeper/renamed.ipynb')"""
    )
    renamed = first.with_name("renamed.ipynb")
    wait_for(lambda: recorded().get("path") == str(renamed), 30, f"notebook path {renamed}")
    assert recorded()["source"] == "jupyterlab" and recorded()["name"] == "renamed.ipynb"
    page.evaluate("() => window.jupyterapp.shell.activateById('nbtrack-runs')")
    expect(page.locator("#nbtrack-runs .nbtrack-notebook")).to_have_text(str(renamed))
    shot(page, "identity-after-rename")
    assert nbtrack_errors(page) == []


def test_nothing_shows_without_nbtrack_in_the_kernel(page: Any, lab: Lab) -> None:
    from playwright.sync_api import expect

    write_notebook(lab, "plain.ipynb", "x = 6 * 7\nprint(x)")
    open_notebook(page, lab, "plain.ipynb")
    run_cell(page, 0)
    expect(page.locator(".jp-Notebook .jp-Cell").nth(0)).to_contain_text("42")
    expect(page.locator(STATUS)).to_be_hidden()
    for name in ("sync", "finish", "open"):
        expect(page.locator(f".nbtrack-toolbar-{name}")).to_be_hidden()
    page.evaluate("() => window.jupyterapp.shell.activateById('nbtrack-runs')")
    expect(page.locator("#nbtrack-runs")).to_contain_text("nbtrack is not loaded")
    shot(page, "without-nbtrack")
    assert page.errors == []
