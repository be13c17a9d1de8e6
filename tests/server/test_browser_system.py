"""The run page in headless Chromium (strict CSP): the System panel group draws the run's system
metrics, and watch()'s gradient histograms show as heatmaps; the run logged by a real client."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.browser import RECORD_VIOLATIONS, chromium
from tests.server.support import REPO, log_as_client, ui_server
from tests.server.test_browser_media import log_in, painted

pytestmark = [pytest.mark.browser, pytest.mark.slow]

TRAIN = r"""
import time, torch, nbtrack
run = nbtrack.init(project="sysui", id="sysrun1")
model = torch.nn.Sequential(torch.nn.Linear(4, 8), torch.nn.ReLU(), torch.nn.Linear(8, 1))
nbtrack.watch(model, log_freq=2)
for step in range(8):
    model.zero_grad()
    loss = model(torch.randn(16, 4)).pow(2).mean()
    loss.backward()
    run.log({"loss": loss.item()})
deadline = time.monotonic() + 30
while run._sampler.samples < 3 and time.monotonic() < deadline:
    time.sleep(0.05)
run.finish()
"""


@pytest.fixture(scope="module")
def system_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, str]]:
    folder = tmp_path_factory.mktemp("system-ui")
    with ui_server(folder / "data") as (base, key):
        online = {"NBTRACK_STATS_INTERVAL": "0.1", "NBTRACK_MODE": "online"}
        log_as_client(folder, base, key, TRAIN, timeout=180, **online)
        yield base, key


def test_system_panels_and_watch_heatmaps(system_server: tuple[str, str]) -> None:
    from playwright.sync_api import expect

    base, key = system_server
    with chromium() as browser:
        page: Any = browser.new_page(viewport={"width": 1280, "height": 1200})
        page.add_init_script(RECORD_VIOLATIONS)
        log_in(page, base, key, "/admin/sysui/runs/sysrun1")
        section = page.locator("#system-section")
        expect(section).to_be_visible()
        cpu = page.locator('#system .chart[data-metric="system.cpu"]')
        expect(cpu.locator("canvas")).to_have_count(1)
        assert int(cpu.get_attribute("data-points") or 0) >= 4  # 3 while running, 1 at the end
        expect(
            page.locator('#system .chart[data-metric="system.proc.memory.rssMB"]')
        ).to_have_count(1)
        grads = page.locator('.media-key[data-key="gradients/0.weight"]')
        expect(grads).to_have_attribute("data-steps", "4")  # every 2nd of 8 steps
        assert painted(page, grads.locator("canvas.heatmap")) > 100
        Path(REPO / "test-artifacts").mkdir(exist_ok=True)
        page.screenshot(path=str(REPO / "test-artifacts" / "server-system.png"), full_page=True)
        assert page.evaluate("window.__cspViolations") == []
