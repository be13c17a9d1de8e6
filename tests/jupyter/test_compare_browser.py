"""nbtrack.compare() drawn by real front-ends: JupyterLab and Notebook 7 in headless Chromium.

Four runs are logged in the notebook's kernel, then ``nbtrack.compare()`` shows them: each
panel must hold four lines, and each run's colour must really be painted on the canvas.
Screenshots are kept in test-artifacts/.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import nbformat
import pytest
from playwright.sync_api import expect

from nbtrack import series
from tests.browser import (
    KERNEL_READY,
    JupyterLab,
    jupyter_env,
    require_chromium,
)
from tests.jupyter.conftest import ARTIFACTS, notebook

pytestmark = [pytest.mark.slow, pytest.mark.browser, pytest.mark.timeout(240)]
VIEWPORT = (1400, 1100)  # the page fixture's (tests/jupyter/conftest.py)

IDS = ("cmp-a", "cmp-b", "cmp-c", "cmp-d")  # four IDs whose colours (nbtrack.series) differ
RUNS = f"""
import math, nbtrack
for lr, run_id in zip((0.3, 0.1, 0.03, 0.01), {IDS!r}):
    run = nbtrack.init(project="compare-ui", id=run_id, config={{"lr": lr}})
    for step in range(400):
        run.log({{"loss": math.exp(-lr * step / 10), "acc": 1 - math.exp(-lr * step / 10)}})
    run.finish()
"""
COMPARE = "nbtrack.compare(metrics=['loss', 'acc'])"
# how many canvas pixels of each colour the panel's chart holds (antialiasing aside)
PAINTED = """([panel, colours]) => {
  const canvas = panel.querySelector('canvas');
  const data = canvas.getContext('2d').getImageData(0, 0, canvas.width, canvas.height).data;
  const rgb = colours.map(c => [1, 3, 5].map(i => parseInt(c.slice(i, i + 2), 16)));
  const counts = colours.map(() => 0);
  for (let p = 0; p < data.length; p += 4) {
    rgb.forEach((c, i) => {
      const d = [0, 1, 2].reduce((sum, k) => sum + Math.abs(data[p + k] - c[k]), 0);
      if (d < 40) counts[i] += 1;
    });
  }
  return counts;
}"""


class Notebook7(JupyterLab):
    """The same server fixture, started as Notebook 7."""

    def tree(self, path: str) -> str:
        return f"{self.url}/notebooks/{path}?token={self.token}"

    def _command(self) -> list[str]:
        command = super()._command()
        command[2] = "notebook"
        return [
            c.replace("--LabApp.", "--JupyterNotebookApp.")
            for c in command
            if "workspaces_dir" not in c and "extension_manager" not in c
        ]


@pytest.fixture(scope="module", params=["jupyterlab", "notebook7"])
def frontend(request: Any, tmp_path_factory: pytest.TempPathFactory) -> Iterator[JupyterLab]:
    require_chromium()
    base = tmp_path_factory.mktemp(request.param)
    kind = JupyterLab if request.param == "jupyterlab" else Notebook7
    server = kind(base, jupyter_env(base, mode="offline", silent="true"), root=base / "nb")
    server.start()
    try:
        yield server
    finally:
        server.stop()


def run_cells(page: Any, url: str, count: int = 2) -> Any:
    """Open the notebook once its kernel is idle, start its first ``count`` cells; its cells."""
    page.goto(url)
    page.wait_for_function(KERNEL_READY, timeout=90_000)
    cells = page.locator(".jp-Notebook .jp-CodeCell")
    for index in range(count):
        cells.nth(index).locator(".jp-InputArea-editor").click()
        page.keyboard.press("Shift+Enter")
    return cells


def test_compare_draws_one_line_per_run(page: Any, frontend: JupyterLab) -> None:
    name = f"compare-{type(frontend).__name__.lower()}.ipynb"
    nbformat.write(notebook(RUNS, COMPARE), Path(frontend.root) / name)
    cells = run_cells(page, frontend.tree(name))
    output = cells.nth(1).locator(".nbt-root")
    expect(output).to_have_attribute("data-runs", "4", timeout=90_000)
    panels = output.locator(".nbt-panel")
    expect(panels).to_have_count(2)
    for metric in ("loss", "acc"):
        expect(output.locator(f'.nbt-panel[data-metric="{metric}"]')).to_have_attribute(
            "data-lines", "4"
        )
    colours = output.locator(".nbt-legend .nbt-swatch").evaluate_all(
        "els => els.map(e => getComputedStyle(e).backgroundColor)"
    )
    hexes = ["#" + "".join(f"{int(v):02x}" for v in c[4:-1].split(",")[:3]) for c in colours]
    assert sorted(hexes) == sorted(series.colours(IDS).values())  # as on the server
    assert len(set(hexes)) == 4
    counts = panels.first.evaluate(
        PAINTED.replace("([panel, colours])", "(panel)").replace("colours.map", f"{hexes!r}.map")
    )
    assert all(count > 30 for count in counts), counts  # every run's line is on the canvas
    expect(output.locator(".nbt-diff")).to_contain_text("lr")
    page.locator(".nbt-log").first.check()  # the log-scale toggle redraws, lines kept
    expect(output.locator('.nbt-panel[data-metric="loss"]')).to_have_attribute("data-lines", "4")
    ARTIFACTS.mkdir(exist_ok=True)
    output.screenshot(path=str(ARTIFACTS / name.replace(".ipynb", ".png")))


LIVE_RUN = """
import time, nbtrack
from nbtrack.jupyter.extension import widget_for
run = nbtrack.init(project="run-charts")
card, deadline = widget_for(run), time.monotonic() + 60
step = 0
while card._charts is None and time.monotonic() < deadline:  # until the charts are added
    run.log({"loss": 1 / (step + 1), "acc": step / 1000})
    step += 1
    time.sleep(0.002)
"""


def test_the_live_run_widget_draws_its_charts(page: Any, frontend: JupyterLab) -> None:
    name = f"charts-{type(frontend).__name__.lower()}.ipynb"
    nbformat.write(
        notebook(LIVE_RUN, "run.log({'loss': 0.0, 'acc': 1.0})\nprint('logged', run.step)"),
        frontend.root / name,
    )
    cells = run_cells(page, frontend.tree(name))
    expect(cells.nth(1).locator(".jp-OutputArea-output")).to_contain_text("logged", timeout=90_000)
    charts = cells.nth(0).locator(".nbtrack-widget .nbt-run")
    for metric in ("acc", "loss"):
        panel = charts.locator(f'.nbt-panel[data-metric="{metric}"]')
        expect(panel).to_have_attribute("data-lines", "1", timeout=90_000)
    expect(charts.locator('.nbt-panel[data-metric="loss"] .nbt-stats')).to_contain_text(
        "min 0 · max 1", timeout=30_000
    )  # the point logged by the second cell arrived live
    ARTIFACTS.mkdir(exist_ok=True)
    cells.nth(0).screenshot(path=str(ARTIFACTS / name.replace(".ipynb", ".png")))
