"""The run page in headless Chromium: a metric defined with a step metric is charted against it,
and a hidden metric gets no chart of its own."""

from __future__ import annotations

from collections.abc import Iterator

import httpx
import pytest

from tests.browser import chromium
from tests.server.support import REPO, ui_server

pytestmark = [pytest.mark.browser, pytest.mark.slow]


@pytest.fixture(scope="module")
def axes_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, str]]:
    with ui_server(tmp_path_factory.mktemp("axes")) as found:
        yield found


def test_step_metric_is_the_x_axis_and_hidden_metrics_have_no_chart(
    axes_server: tuple[str, str],
) -> None:
    from playwright.sync_api import expect

    base, key = axes_server
    api = httpx.Client(base_url=f"{base}/api/v1", headers={"Authorization": f"Bearer {key}"})
    run = "/runs/admin/axes/r1"
    metrics = {
        "val/*": {"name": "val/*", "step_metric": "epoch", "step_sync": True, "hidden": False},
        "epoch": {"name": "epoch", "step_metric": None, "step_sync": False, "hidden": True},
    }
    api.put(run, json={"state": "finished", "metrics": metrics}).raise_for_status()
    rows = [
        {"offset": i, "step": i, "data": {"val/loss": 1 / (i + 1), "lr": 0.1, "epoch": 10 + i // 5}}
        for i in range(20)
    ]
    api.post(run + "/history", json={"records": rows}).raise_for_status()
    with chromium() as browser:
        page = browser.new_page(viewport={"width": 1280, "height": 1000})
        page.goto(f"{base}/login?next=/admin/axes/runs/r1")
        page.fill("#api_key", key)
        page.click("button[type=submit]")
        page.wait_for_url(f"{base}/admin/axes/runs/r1")
        loss = page.locator('.chart[data-metric="val/loss"]')
        expect(loss.locator("canvas")).to_have_count(1)
        expect(loss).to_have_attribute("data-x-axis", "epoch")
        expect(page.locator('.chart[data-metric="lr"]')).to_have_attribute("data-x-axis", "step")
        expect(page.locator('.chart[data-metric="epoch"]')).to_have_count(0)
        expect(loss).to_have_attribute("data-last-x", "13")  # epochs 10..13 on x
        expect(loss).to_have_attribute("data-last-step", "19")
        (REPO / "test-artifacts").mkdir(exist_ok=True)
        page.screenshot(
            path=str(REPO / "test-artifacts" / "server-step-metric.png"), full_page=True
        )
    api.close()
