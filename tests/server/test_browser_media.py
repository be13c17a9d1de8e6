"""Media on the run page in headless Chromium against a real uvicorn: a run logged by the real
client (images with boxes and masks, a gallery, a table with image cells, histograms, a confusion
matrix, a line chart, Html holding a script), synced, then opened: the image at a chosen slider
step (without reloading the page), the table sorted by the server, the histogram heatmap and its
ridgeline view, a point cloud turned by dragging, the confusion matrix, and the Html kept in a
sandbox. Hostile stored references show placeholders.
Screenshots go to test-artifacts/.
"""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Iterator
from typing import Any
from urllib.parse import quote

import httpx
import pytest

from tests.browser import csp_checked_page
from tests.server.support import REPO, log_as_client, ui_server
from tests.server.test_media import PNG

ARTIFACTS = REPO / "test-artifacts"
pytestmark = [pytest.mark.browser, pytest.mark.slow]
# in the page: the opaque pixels' alpha values of canvas c
ALPHA = (
    "c.getContext('2d').getImageData(0, 0, c.width, c.height).data"
    ".filter((v, i) => i % 4 === 3 && v)"
)
LOG_MEDIA = """
import json, sys
import numpy as np
import nbtrack

run = nbtrack.init(project="media", id="medrun01", name="media-run")
for step in range(12):
    img = np.zeros((32, 32, 3), dtype=np.uint8)
    img[:, :, step % 3] = 40 + step * 15
    mask = np.zeros((32, 32), dtype=np.uint8)
    mask[8:24, 8:24] = 1
    box = {"position": {"minX": 0.1, "maxX": 0.6, "minY": 0.2, "maxY": 0.7}, "class_id": 1}
    labels = {0: "bg", 1: "cat"}
    nbtrack.log({
        "pred": nbtrack.Image(img, caption=f"pred {step}",
                              boxes={"predictions": {"box_data": [box], "class_labels": labels}},
                              masks={"truth": {"mask_data": mask, "class_labels": labels}}),
        "weights": nbtrack.Histogram(np.random.default_rng(step).normal(step / 4, 1, 500)),
        "gallery": [nbtrack.Image(img[:, :, ::-1]), nbtrack.Image(255 - img)],
        "loss": 1 / (step + 1),
    })
thumb = lambda i: nbtrack.Image(np.full((8, 8), i * 4, dtype=np.uint8))
rows = [[i, float((i * 37) % 101), thumb(i)] for i in range(60)]
nbtrack.log({
    "preds": nbtrack.Table(columns=["id", "score", "thumb"], data=rows),
    "cm": nbtrack.plot.confusion_matrix(y_true=[0, 1, 2, 2, 1, 0, 2], preds=[0, 1, 2, 1, 1, 0, 0],
                                        class_names=["a", "b", "c"]),
    "page": nbtrack.Html("<p>hello</p><script>parent.document.title = 'owned'</script>"),
    "sound": nbtrack.Audio(np.sin(np.arange(8000) / 8).astype(np.float32), sample_rate=8000,
                           caption="tone"),
    "clip": nbtrack.Video(np.random.default_rng(1).integers(0, 255, (4, 3, 16, 16), dtype=np.uint8),
                          fps=2, caption="noise"),
    "cloud": nbtrack.Object3D(np.concatenate([
        np.random.default_rng(2).normal(0, 1, (400, 3)),
        np.tile([[230, 60, 40]], (400, 1))], axis=1)),
    "curve": nbtrack.plot.line(
        nbtrack.Table(columns=["x", "y"], data=[[i, i * i] for i in range(20)]), "x", "y",
        title="squares"),
})
points = nbtrack.Table(columns=["a", "b", "name"],
                       data=[[i, (i * 7) % 5, f"n{i}"] for i in range(9)])
truth = [0, 1, 1, 0, 1, 0]
probas = [[0.8, 0.2], [0.3, 0.7], [0.4, 0.6], [0.6, 0.4], [0.9, 0.1], [0.2, 0.8]]
nbtrack.log({
    "scatter": nbtrack.plot.scatter(points, "a", "b"),
    "bar": nbtrack.plot.bar(points, "name", "b"),
    "values": nbtrack.plot.histogram(points, "b"),
    "series": nbtrack.plot.line_series([0, 1, 2], [[1, 2, 3], [3, 2, 1]], keys=["up", "down"]),
    "pr": nbtrack.plot.pr_curve(truth, probas, labels=["no", "yes"]),
    "roc": nbtrack.plot.roc_curve(truth, probas, labels=["no", "yes"]),
})
run.finish()
other = nbtrack.init(project="media", id="medrun02", name="other-run")
for step in range(4):
    nbtrack.log({"pred": nbtrack.Image(np.full((16, 16), 60 * step, dtype=np.uint8))})
other.finish()
records = [json.loads(line) for line in open(f"{run.dir}/run.nbtrack")]
rows = [r[1] for r in records if isinstance(r, list) and r[0] == "h"]
print(json.dumps({"pred5": next(r["pred"]["path"] for r in rows if r["_step"] == 5)}))
"""


@pytest.fixture(scope="module")
def media_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, str, Any]]:
    """A real server holding the run logged by ``LOG_MEDIA`` (uploaded by the client itself)."""
    folder = tmp_path_factory.mktemp("media-ui")
    with ui_server(folder / "data") as (base, key):
        printed = log_as_client(folder, base, key, LOG_MEDIA, timeout=120)
        yield base, key, json.loads(printed.strip().splitlines()[-1])


@pytest.fixture
def page() -> Iterator[Any]:
    with csp_checked_page(1280, 1000) as page:
        yield page


@pytest.fixture
def api(media_server: tuple[str, str, Any]) -> Iterator[httpx.Client]:
    """The server's ``/api/v1`` as the admin, closed after the test."""
    base, key, _ = media_server
    auth = {"Authorization": f"Bearer {key}"}
    with httpx.Client(base_url=f"{base}/api/v1", headers=auth) as client:
        yield client


def note_dialog(dialogs: list[str], dialog: Any) -> None:
    dialogs.append(dialog.message)
    dialog.dismiss()


def log_in(page: Any, base: str, key: str, target: str) -> None:
    page.goto(f"{base}/login?next={quote(target, safe='')}")
    page.fill("#api_key", key)
    page.click("button[type=submit]")
    page.wait_for_url(f"{base}{target}")


def test_run_page_shows_media_at_a_slider_step_tables_histograms_and_charts(
    media_server: tuple[str, str, Any], page: Any
) -> None:
    from playwright.sync_api import expect

    base, key, expected = media_server
    dialogs: list[str] = []
    page.on("dialog", lambda dialog: note_dialog(dialogs, dialog))
    log_in(page, base, key, "/admin/media/runs/medrun01")
    expect(page.locator("#media")).to_have_attribute("data-keys", "16")

    pred = page.locator('.media-key[data-key="pred"]')
    expect(pred).to_have_attribute("data-step", "11")
    page.evaluate("window.__samePage = true")
    documents: list[str] = []
    page.on("request", lambda r: documents.extend([r.url] if r.resource_type == "document" else []))
    pred.locator("input[type=range]").fill("5")
    expect(pred).to_have_attribute("data-step", "5")
    image = pred.locator("figure.media-image img")
    expect(image).to_have_attribute(
        "src", f"/api/v1/runs/admin/media/medrun01/files/{expected['pred5']}"
    )
    expect(pred.locator("figcaption")).to_have_text("pred 5")
    page.wait_for_function(
        "(img) => img.complete && img.naturalWidth === 32", arg=image.element_handle()
    )
    assert page.evaluate("window.__samePage") is True and documents == []
    assert overlay_pixels(page, pred) > 0
    pred.locator('input[data-layer="boxes:predictions"]').uncheck()
    pred.locator('input[data-layer="mask:truth"]').uncheck()
    page.wait_for_function(
        f"(c) => {ALPHA}.length === 0", arg=pred.locator("canvas.overlay").element_handle()
    )

    table = page.locator('.media-table[data-key="preds"]')
    table.locator('button[data-column="score"]').click()
    expect(table).to_have_attribute("data-sort", "score:asc")
    table.locator('button[data-column="score"]').click()
    expect(table).to_have_attribute("data-sort", "score:desc")
    scores = [float(t) for t in table.locator("tbody tr td:nth-child(2)").all_inner_texts()]
    assert scores == sorted((float((i * 37) % 101) for i in range(60)), reverse=True)[:25]
    expect(table.locator("tbody tr").first.locator("img.cell-image")).to_have_count(1)
    expect(table.locator(".count")).to_have_text("1\u201325 of 60 rows")

    weights = page.locator('.media-key[data-key="weights"]')
    expect(weights).to_have_attribute("data-steps", "12")
    expect(weights).to_have_attribute("data-view", "heatmap")
    assert painted(page, weights.locator("canvas.heatmap")) > 100
    weights.locator('button[data-view="ridgeline"]').click()
    expect(weights).to_have_attribute("data-view", "ridgeline")
    expect(weights.locator("canvas.heatmap")).to_have_count(0)
    ridges = weights.locator("canvas.ridgeline")
    expect(ridges).to_have_attribute("data-ridges", "12")
    assert painted(page, ridges) > 1000
    assert ridge_peaks_move_right(page, ridges)  # the logged means grow with the step
    weights.locator("canvas.ridgeline").screenshot(path=str(ARTIFACTS / "server-media-ridges.png"))
    weights.locator('button[data-view="heatmap"]').click()
    expect(weights.locator("canvas.heatmap")).to_have_count(1)

    cloud = page.locator('.media-key[data-key="cloud"] canvas.points')
    expect(cloud).to_have_attribute("data-points", "400")
    before = red_pixels(page, cloud)
    assert before > 50  # the points' own colour (230, 60, 40) on the dark background
    cloud.scroll_into_view_if_needed()
    box = cloud.bounding_box()
    page.mouse.move(box["x"] + 200, box["y"] + 180)
    page.mouse.down()
    page.mouse.move(box["x"] + 320, box["y"] + 120, steps=5)
    page.mouse.up()
    expect(cloud).not_to_have_attribute("data-yaw", "-0.600")
    assert red_pixels(page, cloud) > 50
    cloud.screenshot(path=str(ARTIFACTS / "server-media-cloud.png"))

    matrix = page.locator('.plot[data-chart="confusion_matrix"] table.confusion')
    expect(matrix.locator('td[data-actual="a"][data-predicted="a"]')).to_have_text("2")
    expect(matrix.locator('td[data-actual="c"][data-predicted="b"]')).to_have_text("1")
    expect(matrix.locator('td[data-actual="a"][data-predicted="c"]')).to_have_text("0")
    for chart in ("line", "scatter", "bar", "histogram", "line_series", "pr_curve", "roc_curve"):
        drawn = page.locator(f'.plot[data-chart="{chart}"]')
        expect(drawn.locator("canvas")).to_have_count(1)
        expect(drawn.locator(".media-missing")).to_have_count(0)
    expect(page.locator('.plot[data-chart="roc_curve"] .u-legend .u-series')).to_have_count(3)

    sound = page.locator('.media-key[data-key="sound"] audio')
    expect(sound).to_have_attribute("src", re.compile(r"/files/media/[0-9a-f]{64}\.wav$"))
    page.wait_for_function(
        "(a) => a.readyState >= 1 && a.duration === 1", arg=sound.element_handle()
    )
    clip = page.locator('.media-key[data-key="clip"] figure.media-player img')
    expect(clip).to_have_attribute("src", re.compile(r"\.gif$"))
    page.wait_for_function("(i) => i.complete && i.naturalWidth === 16", arg=clip.element_handle())
    frame = page.locator("iframe.media-html")
    expect(frame).to_have_attribute("sandbox", "")
    expect(page.frame_locator("iframe.media-html").locator("p")).to_have_text("hello")
    assert page.title() == "media-run · nbtrack" and dialogs == []
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / "server-media-run-page.png"), full_page=True)


def overlay_pixels(page: Any, card: Any) -> int:
    canvas = card.locator("canvas.overlay")
    page.wait_for_function("(c) => c.width > 0", arg=canvas.element_handle())
    return painted(page, canvas)


def red_pixels(page: Any, canvas: Any) -> int:
    """Pixels of a canvas close to the colour (230, 60, 40)."""
    data = "c.getContext('2d').getImageData(0, 0, c.width, c.height).data"
    script = (
        f"(c) => {{ const d = {data}; let n = 0; for (let i = 0; i < d.length; i += 4) "
        "n += Math.abs(d[i] - 230) < 30 && d[i + 1] < 100 && d[i + 2] < 90 ? 1 : 0; return n; }"
    )
    return int(page.evaluate(script, canvas.element_handle()))


def ridge_peaks_move_right(page: Any, canvas: Any) -> bool:
    """The back ridge's highest pixel of its own colour lies left of the front ridge's."""
    script = """(c) => {
      const d = c.getContext('2d').getImageData(0, 0, c.width, c.height).data;
      const peak = (rgb) => { const [r, g, b] = rgb.split(',').map(Number);
        for (let i = 0; i < d.length; i += 4)
          if (d[i] === r && d[i + 1] === g && d[i + 2] === b) return (i / 4) % c.width;
        return -1; };
      const fills = c.dataset.fills.split(' ');
      return [peak(fills[0]), peak(fills[fills.length - 1])];
    }"""
    first, last = page.evaluate(script, canvas.element_handle())
    return bool(0 < first < last)


def painted(page: Any, canvas: Any) -> int:
    """How many pixels of a canvas are not transparent (waits for at least one)."""
    count = f"(c) => {ALPHA}.length"
    page.wait_for_function(count, arg=canvas.element_handle())
    return int(page.evaluate(count, canvas.element_handle()))


def test_hostile_references_show_placeholders_and_run_nothing(
    media_server: tuple[str, str, Any], page: Any, api: httpx.Client
) -> None:
    from playwright.sync_api import expect

    base, key, _ = media_server
    run = "/runs/admin/media/hostile1"
    api.put(run, json={"state": "finished"}).raise_for_status()
    evil = {
        "_type": "image-file",
        "path": "../../../etc/passwd",
        "caption": "<img src=x onerror=alert(1)>",
    }
    rows = [
        {"_step": 0, "a": evil, "b": {"_type": "html-file", "path": "javascript:alert(1)"}},
        {
            "_step": 1,
            "a": evil | {"path": "media/" + "f" * 64 + ".png"},
            "t": {"_type": "table-file", "path": "x"},
        },
    ]
    records = [{"offset": i, "step": r["_step"], "data": r} for i, r in enumerate(rows)]
    api.post(run + "/history", json={"records": records}).raise_for_status()
    dialogs: list[str] = []
    page.on("dialog", lambda dialog: note_dialog(dialogs, dialog))
    log_in(page, base, key, "/admin/media/runs/hostile1")
    expect(page.locator("#media")).to_have_attribute("data-keys", "3")
    card = page.locator('.media-key[data-key="a"]')
    expect(card.locator(".media-missing")).to_have_text("file missing (not uploaded)")
    expect(card.locator("figcaption")).to_have_text(evil["caption"])
    card.locator("input[type=range]").fill("0")
    expect(card.locator(".media-missing")).to_contain_text("not allowed")
    expect(page.locator('.media-key[data-key="b"] .media-missing')).to_contain_text("not allowed")
    expect(page.locator('.media-key[data-key="t"] .count')).to_contain_text("not allowed")
    assert page.locator("iframe").count() == 0 and dialogs == []
    page.screenshot(path=str(ARTIFACTS / "server-media-hostile.png"), full_page=True)


def test_the_comparison_page_moves_every_run_to_one_step(
    media_server: tuple[str, str, Any], page: Any
) -> None:
    from playwright.sync_api import expect

    base, key, _ = media_server
    log_in(page, base, key, "/admin/media/media?key=pred&run=medrun01&run=medrun02")
    columns = page.locator(".run-column")
    expect(columns).to_have_count(2)
    first, second = (columns.nth(i).locator(".media-key") for i in range(2))
    expect(first).to_have_attribute("data-step", "11")
    expect(second).to_have_attribute("data-step", "3")
    page.fill("#step-all", "2")
    page.dispatch_event("#step-all", "change")
    expect(first).to_have_attribute("data-step", "2")
    expect(second).to_have_attribute("data-step", "2")
    expect(first.locator("figcaption")).to_have_text("pred 2")
    page.click("#latest-all")
    expect(first).to_have_attribute("data-step", "11")
    page.screenshot(path=str(ARTIFACTS / "server-media-compare.png"), full_page=True)


def test_a_running_run_shows_new_media_steps_as_they_arrive(
    media_server: tuple[str, str, Any], page: Any, api: httpx.Client
) -> None:
    from playwright.sync_api import expect

    base, key, _ = media_server
    run = "/runs/admin/media/growing1"
    api.put(run, json={"state": "running"}).raise_for_status()

    def log_image(step: int) -> None:
        content = PNG + bytes([step])
        name = f"media/{hashlib.sha256(content).hexdigest()}.png"
        api.put(f"{run}/files/{name}", content=content).raise_for_status()
        row = {"_step": step, "live": {"_type": "image-file", "path": name, "caption": f"s{step}"}}
        records = [{"offset": step, "step": step, "data": row}]
        api.post(f"{run}/history", json={"records": records}).raise_for_status()

    log_image(0)
    log_in(page, base, key, "/admin/media/runs/growing1")
    card = page.locator('.media-key[data-key="live"]')
    expect(card).to_have_attribute("data-step", "0")
    log_image(1)
    expect(card).to_have_attribute("data-step", "1", timeout=20_000)  # polled every 5 s
    expect(card.locator("figcaption")).to_have_text("s1")
