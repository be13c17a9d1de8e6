"""The web UI in headless Chromium against a real uvicorn: log in, open a run page, see the run's
name (escaped) and a chart drawn from its data, watch a point arrive live, with no Content-Security-
Policy violation on the way; screenshot saved under test-artifacts/.
"""

from __future__ import annotations

from collections.abc import Iterator

import httpx
import pytest

from tests.browser import csp_checked_page
from tests.liveserver import wait_for
from tests.server.support import REPO, ui_server

ARTIFACTS = REPO / "test-artifacts"
EVIL = "<script>alert(1)</script>"
pytestmark = [pytest.mark.browser, pytest.mark.slow]


@pytest.fixture(scope="module")
def live_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, str]]:
    with ui_server(tmp_path_factory.mktemp("ui")) as found:
        yield found


@pytest.fixture
def browser_page() -> Iterator[object]:
    """A page that fails its test on any Content-Security-Policy violation."""
    with csp_checked_page(1280, 1000) as page:
        yield page


def test_run_page_shows_the_run_and_a_live_chart(
    live_server: tuple[str, str], browser_page: object
) -> None:
    from playwright.sync_api import Page, expect

    page: Page = browser_page  # type: ignore[assignment]
    base, key = live_server
    api = httpx.Client(base_url=f"{base}/api/v1", headers={"Authorization": f"Bearer {key}"})
    run = "/runs/admin/ui/live1"
    api.put(run, json={"name": EVIL, "state": "running", "config": {"lr": 0.01}}).raise_for_status()
    batch = [
        {"offset": i, "step": i, "data": {"loss": 1 / (i + 1), "acc": i / 100}} for i in range(50)
    ]
    api.post(run + "/history", json={"records": batch}).raise_for_status()
    dialogs: list[str] = []
    page.on("dialog", lambda dialog: (dialogs.append(dialog.message), dialog.dismiss()))

    page.goto(f"{base}/login?next=/admin/ui/runs/live1")
    page.fill("#api_key", key)
    page.click("button[type=submit]")
    page.wait_for_url(f"{base}/admin/ui/runs/live1")

    expect(page.locator("#run-name")).to_have_text(EVIL)
    expect(page.locator("#run-state")).to_have_text("running")
    loss = page.locator('.chart[data-metric="loss"]')
    expect(loss.locator("canvas")).to_have_count(1)
    expect(loss).to_have_attribute("data-last-step", "49")
    assert int(loss.get_attribute("data-points") or 0) == 50
    assert_charts_fill_their_card(page)

    api.post(
        run + "/history",
        json={"records": [{"offset": 50, "step": 50, "data": {"loss": 0.001, "acc": 0.5}}]},
    ).raise_for_status()
    expect(loss).to_have_attribute("data-last-step", "50", timeout=5000)
    expect(page.locator("#run-steps")).to_have_text("51")

    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / "server-run-page.png"), full_page=True)
    api.put(run, json={"state": "finished"}).raise_for_status()
    expect(page.locator("#run-state")).to_have_text("finished", timeout=5000)
    assert dialogs == []
    page.goto(f"{base}/admin/ui")
    expect(page.locator("#run-table tbody tr")).to_have_count(1)
    expect(page.locator("#run-table tbody td").first).to_have_text(EVIL)
    page.screenshot(path=str(ARTIFACTS / "server-run-table.png"), full_page=True)
    assert dialogs == []
    api.close()


def assert_charts_fill_their_card(page: object) -> None:
    """Each row of charts spans the card's width, at a wide and a narrow viewport."""
    from playwright.sync_api import Page

    assert isinstance(page, Page)
    measure = """() => {
        const root = document.getElementById('charts');
        const gap = parseFloat(getComputedStyle(root).columnGap) || 0;
        const rows = new Map();
        for (const box of root.querySelectorAll('.chart .uplot')) {
            const rect = box.getBoundingClientRect();
            const top = Math.round(rect.top);
            rows.set(top, (rows.has(top) ? rows.get(top) + gap : 0) + rect.width);
        }
        return [root.clientWidth, [...rows.values()]];
    }"""
    for width, per_row in ((1280, 2), (900, 1)):
        page.set_viewport_size({"width": width, "height": 1000})

        def filled(per_row: int = per_row) -> bool:
            space, rows = page.evaluate(measure)
            return len(rows) == 2 // per_row and all(0.97 * space <= r <= space for r in rows)

        wait_for(filled, timeout=5, what=f"the charts to fill the card at {width}px")
    page.set_viewport_size({"width": 1280, "height": 1000})


def test_logging_out_returns_to_the_login_page(
    live_server: tuple[str, str], browser_page: object
) -> None:
    from playwright.sync_api import Page, expect

    page: Page = browser_page  # type: ignore[assignment]
    base, key = live_server
    page.goto(f"{base}/login")
    page.fill("#api_key", key)
    page.click("button[type=submit]")
    page.wait_for_url(f"{base}/admin")
    page.click("text=Log out")
    page.wait_for_url(f"{base}/login")
    expect(page.locator("h1")).to_have_text("Log in")
