"""Media on the server: the run page with 1,000 images under one key, and a 100k-row table.

A fresh ``nbtrack server`` (SQLite); a client process logs the run online (1,000 64x64 RGB
``Image``s under ``pred``, one ``Table`` of 100k rows x 10 columns) and finishes once all of it is
uploaded. Then, in headless Chromium (``/usr/bin/chromium``, Playwright), logged in:

- *run page open*: from ``page.goto`` to the ``pred`` card showing its latest image, decoded
  (median of fresh page loads);
- *slider move*: from moving the slider to the image of that step decoded, with no page load
  (median over moves to steps not seen before);

and over HTTP, before the page has asked for the table: its first page (the file parsed), a first
sort by a column, a later sorted page, a first filter and another. Prints a Markdown section;
``bench_media.py`` runs the same measurement and writes it into RESULTS.md's Media section.
"""

from __future__ import annotations

import argparse
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import harness
import provenance
import requests

LOG_RUN = """
import numpy as np
import nbtrack

images, rows = {images}, {rows}
run = nbtrack.init(project="bench-media", id="media1k")
rng = np.random.default_rng(0)
for step in range(images):
    pixels = rng.integers(0, 255, size=(64, 64, 3), dtype=np.uint8)
    nbtrack.log({{"pred": nbtrack.Image(pixels, caption=f"step {{step}}")}})
columns = [f"c{{i}}" for i in range(10)]
data = rng.random((rows, 10)).round(6).tolist()
nbtrack.log({{"table": nbtrack.Table(columns=columns, data=data)}})
run.finish()
"""
SIZES = {"full": (1000, 100_000), "quick": (100, 10_000)}  # images, table rows
CARD = '.media-key[data-key="pred"]'
SHOWN = """([card, step]) => {
  const img = document.querySelector(card + ' figure.media-image img');
  const at = document.querySelector(card);
  return !!img && at.dataset.step === step && img.complete && img.naturalWidth > 0;
}"""


def log_run(server: harness.NbServer, folder: Path, images: int, rows: int) -> float:
    env = harness.clean_env(folder) | provenance.nbtrack_path_env() | server.env("online")
    env["NBTRACK_CONFIG_DIR"] = str(folder / "config")
    start = time.perf_counter()
    script = LOG_RUN.format(images=images, rows=rows)
    subprocess.run(
        [str(harness.NBTRACK_PYTHON), "-c", script], cwd=folder, env=env, check=True, timeout=900
    )
    return time.perf_counter() - start


def browser_figures(server: harness.NbServer, images: int, opens: int, moves: int) -> Any:
    from playwright.sync_api import sync_playwright

    page_url = f"{server.url}/admin/bench-media/runs/media1k"
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path="/usr/bin/chromium", headless=True, args=["--no-sandbox"]
        )
        page = browser.new_page(viewport={"width": 1280, "height": 1000})
        page.goto(f"{server.url}/login")
        page.fill("#api_key", server.key)
        page.click("button[type=submit]")
        page.wait_for_url(f"{server.url}/admin")
        open_times = [open_page(page, page_url, images) for _ in range(opens)]
        documents: list[str] = []
        page.on(
            "request", lambda r: documents.extend([r.url] if r.resource_type == "document" else [])
        )
        move_times = [move(page, index) for index in spread(images, moves)]
        browser.close()
    return open_times, move_times, len(documents)


def open_page(page: Any, url: str, images: int) -> float:
    start = time.perf_counter()
    page.goto(url)
    page.wait_for_function(SHOWN, arg=[CARD, str(images - 1)], polling="raf", timeout=60_000)
    return time.perf_counter() - start


def spread(images: int, moves: int) -> list[int]:
    return [round(i * (images - 2) / max(1, moves - 1)) for i in range(moves)]


def move(page: Any, index: int) -> float:
    slider = page.locator(f"{CARD} input[type=range]")
    start = time.perf_counter()
    slider.fill(str(index))
    page.wait_for_function(SHOWN, arg=[CARD, str(index)], polling="raf", timeout=30_000)
    return time.perf_counter() - start


def table_figures(server: harness.NbServer) -> dict[str, float]:
    url = f"{server.url}/api/v1/runs/admin/bench-media/media1k/media/table"
    auth = {"Authorization": f"Bearer {server.key}"}
    steps = {
        "first page (file parsed)": {"key": "table"},
        "first sort by a column": {"key": "table", "sort": "c3", "order": "desc"},
        "sorted page 2000": {"key": "table", "sort": "c3", "order": "desc", "offset": 50_000},
        "first filter (rows' text made)": {"key": "table", "q": "0.12345"},
        "another filter": {"key": "table", "q": "0.999"},
    }
    found = {}
    for label, params in steps.items():
        start = time.perf_counter()
        requests.get(url, params=params, headers=auth, timeout=120).raise_for_status()
        found[label] = time.perf_counter() - start
    return found


def lines(data: dict[str, Any], images: int, rows: int) -> list[harness.Line]:
    """The table's rows: page open and slider move (with their targets), then the table API."""
    opens, moves, documents = data["browser"]
    load = f"{provenance.load():.2f}"
    found = [
        harness.Line(
            f"run page open, {images:,} images under one key",
            "nbtrack, Chromium, SQLite",
            f"{statistics.median(opens) * 1000:.0f} ms",
            f"median of {len(opens)} loads to the latest of {images} images decoded",
            load,
            harness.target_text(statistics.median(opens), 1.0, "≤ 1 s"),
        ),
        harness.Line(
            "slider move",
            "nbtrack, Chromium, SQLite",
            f"{statistics.median(moves) * 1000:.0f} ms",
            f"median of {len(moves)} moves to unseen steps; {documents} page loads meanwhile",
            load,
            "no refetch of the page: " + ("pass" if documents == 0 else "FAIL"),
        ),
    ]
    for label, seconds in data["table"].items():
        found.append(
            harness.Line(
                f"table API: {label}",
                "nbtrack, SQLite",
                f"{seconds * 1000:.0f} ms",
                f"{rows:,} rows x 10 columns",
                load,
            )
        )
    return found


def report(data: dict[str, Any], images: int, rows: int) -> str:
    head = (
        f"Measured {provenance.now()} by `bench/bench_media_server.py`, "
        f"{provenance.commit_text()}. Machine: {provenance.machine()}. "
        f"Logging and uploading the run took {data['log_seconds']:.1f} s."
    )
    table = harness.table(lines(data, images, rows))
    return "\n".join(["## Media on the server", "", head, "", *table])


def measure(images: int, rows: int) -> dict[str, Any]:
    """Log the run to a fresh server, then time the table API and the run page."""
    with tempfile.TemporaryDirectory() as tmp:
        scratch = harness.Scratch(Path(tmp))
        with harness.nbtrack_server(scratch) as server:
            data: dict[str, Any] = {
                "log_seconds": log_run(server, scratch.folder("log"), images, rows)
            }
            data["table"] = table_figures(server)  # first: the table is not parsed yet
            data["browser"] = browser_figures(server, images, opens=7, moves=20)
    return data


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--quick", action="store_true", help="100 images, 10k rows")
    args = parser.parse_args()
    images, rows = SIZES["quick" if args.quick else "full"]
    data = measure(images, rows)
    print(report(data, images, rows))
    return 0


if __name__ == "__main__":
    sys.exit(main())
