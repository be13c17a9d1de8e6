"""The project workspace in headless Chromium against a real uvicorn: select runs, change smoothing
and the x-axis, zoom (a new series query for the range), live points through since-cursors, the
view restored from its URL, and no Content-Security-Policy violation; screenshot in
test-artifacts/.
"""

from __future__ import annotations

import json
import math
from collections.abc import Iterator
from typing import Any

import httpx
import pytest

from nbtrack import series
from tests.browser import csp_checked_page
from tests.liveserver import wait_for
from tests.server.support import REPO, ui_server

ARTIFACTS = REPO / "test-artifacts"
RUNS = ["wsa00001", "wsb00002", "wse00021", "wsd00004"]  # the first and third share a slot
pytestmark = [pytest.mark.browser, pytest.mark.slow]


@pytest.fixture(scope="module")
def live_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, httpx.Client]]:
    with ui_server(tmp_path_factory.mktemp("ws")) as (base, key):
        headers = {"Authorization": f"Bearer {key}"}
        with httpx.Client(base_url=f"{base}/api/v1", headers=headers) as api:
            seed_runs(api)
            yield base, api


def seed_runs(api: httpx.Client) -> None:
    for i, run_id in enumerate(RUNS):
        fields = {
            "name": f"lr-{i}",
            "config": {"lr": 10.0**-i, "opt": "adam" if i % 2 else "sgd"},
        }
        fields |= {
            "summary": {"acc": 0.5 + i / 10},
            "state": "running" if i == 0 else "finished",
        }
        api.put(f"/runs/admin/ws/{run_id}", json=fields).raise_for_status()
        rows = [
            {
                "loss": 2.0 if s == 700 + i else 1 / (s + 1) + i / 10 + 0.01 * math.sin(s),
                "_runtime": s / 4,
            }
            for s in range(3000)
        ]
        records = [{"offset": s, "step": s, "data": r} for s, r in enumerate(rows)]
        api.post(f"/runs/admin/ws/{run_id}/history", json={"records": records}).raise_for_status()
    api.patch("/projects/admin/ws", json={"visibility": "public"}).raise_for_status()


@pytest.fixture
def page() -> Iterator[Any]:
    with csp_checked_page(1400, 1100) as tab:
        yield tab


def queries(page: Any) -> int:
    return int(page.locator("#panels").get_attribute("data-queries") or 0)


def test_select_smooth_change_axis_zoom_and_follow_live_runs(
    live_server: tuple[str, httpx.Client], page: Any
) -> None:
    from playwright.sync_api import expect

    base, api = live_server
    series_bodies: list[dict[str, Any]] = []
    page.on(
        "request",
        lambda r: (
            series_bodies.append(json.loads(r.post_data or "{}"))
            if r.url.endswith("/series")
            else None
        ),
    )
    page.goto(f"{base}/admin/ws/workspace?runs={RUNS[0]},{RUNS[1]}&panels=loss")  # anonymous
    loss = page.locator('.panel[data-metric="loss"]')
    expect(loss).to_have_attribute("data-lines", "2")
    expect(loss.locator("canvas")).to_have_count(1)
    assert 0 < int(loss.get_attribute("data-points") or 0) <= 2 * 3000

    page.locator(f'#ws-runs tr[data-run="{RUNS[2]}"] input[type=checkbox]').check()
    expect(loss).to_have_attribute("data-lines", "3")
    swatches = page.locator("#ws-runs tr[data-run] .swatch").evaluate_all(
        "els => els.map(e => [e.closest('tr').dataset.run, getComputedStyle(e).backgroundColor])"
    )
    assert sorted(run for run, _ in swatches) == sorted(RUNS)
    drawn = series.colours(RUNS[:3])  # the colours nbtrack.compare() gives these runs
    assert series.slot(RUNS[0]) == series.slot(RUNS[2]) and len(set(drawn.values())) == 3
    for run, painted in swatches:
        want = drawn.get(run) or series.PALETTE[series.slot(run)]
        assert painted == f"rgb({int(want[1:3], 16)}, {int(want[3:5], 16)}, {int(want[5:], 16)})"
    assert f"runs={RUNS[0]}%2C{RUNS[1]}%2C{RUNS[2]}" in page.url
    assert series_bodies[-1]["runs"] == RUNS[:3]

    values = [1.0, None, 3.0, 0.25, -7.5, 5.0]
    in_page = page.evaluate("(v) => window.nbtrackViews.ema(v, 0.6)", values)
    assert in_page == pytest.approx(series.ema(values, 0.6))  # the page smooths as Python does
    page.locator("#smoothing").fill("0.6")
    wait_for(lambda: "smooth=0.6" in page.url, timeout=5, what="smoothing in the URL")

    before = queries(page)
    page.select_option("#x-axis", "_runtime")
    expect(loss).to_have_attribute("data-x-axis", "_runtime")
    assert queries(page) == before + 1 and series_bodies[-1]["x"] == "_runtime"
    assert "x=_runtime" in page.url
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / "server-workspace.png"), full_page=True)

    over = loss.locator(".u-over")
    box = over.bounding_box()
    page.mouse.move(box["x"] + box["width"] * 0.2, box["y"] + box["height"] / 2)
    page.mouse.down()
    page.mouse.move(box["x"] + box["width"] * 0.3, box["y"] + box["height"] / 2, steps=5)
    page.mouse.up()
    wait_for(lambda: loss.get_attribute("data-zoom") not in ("", None), timeout=10, what="a zoom")
    zoom = series_bodies[-1]
    assert zoom["keys"] == ["loss"] and zoom["min_x"] < zoom["max_x"]
    expect(page.locator(".panel .legend tr")).to_have_count(3)

    page.select_option("#top-order", "max")
    page.fill("#top-n", "2")
    page.click("#top-apply")
    expect(loss).to_have_attribute("data-lines", "2")
    assert series_bodies[-1]["runs"] == [RUNS[3], RUNS[2]]  # highest acc first
    expect(page.locator("#scatter")).to_have_attribute("data-points", "2")
    expect(page.locator("#parallel")).to_have_attribute("data-lines", "2")
    assert int(page.locator("#diff").get_attribute("data-differing") or 0) >= 3
    page.locator("#visible-only").check()
    expect(page.locator("#ws-runs tbody tr")).to_have_count(2)

    page.goto(page.url.replace(f"runs={RUNS[3]}%2C{RUNS[2]}", f"runs={RUNS[0]}"))
    expect(loss).to_have_attribute("data-lines", "1")
    expect(page.locator("#x-axis")).to_have_value("_runtime")
    expect(page.locator("#smoothing")).to_have_value("0.6")
    points = int(loss.get_attribute("data-points") or 0)
    polls_before = len([b for b in series_bodies if b.get("since")])
    more = [
        {"offset": 3000 + i, "step": 3000 + i, "data": {"loss": 0.5, "_runtime": 750 + i / 4}}
        for i in range(5)
    ]
    api.post(f"/runs/admin/ws/{RUNS[0]}/history", json={"records": more}).raise_for_status()
    wait_for(
        lambda: int(loss.get_attribute("data-points") or 0) == points + 5,
        timeout=15,
        what="live points",
    )
    polls = [b for b in series_bodies if b.get("since")][polls_before:]
    assert polls and polls[-1]["since"][RUNS[0]] >= 2999
