"""The run page says what a run's facts are: the code's kind, no repository, dates, short
durations; and every page has a favicon. (Charts filling their card: test_browser.py.)"""

from __future__ import annotations

import re

import httpx

from nbtrack.server.media import store as media
from nbtrack.server.web import pages
from tests.server.support import Server
from tests.server.test_webui import log_in


def run_page(server: Server, uid: str, body: dict[str, object]) -> str:
    name, key = server.new_user()
    server.ok("PUT", f"/runs/{name}/p{uid}/r", key, json=body)
    with server.new_client() as client:
        log_in(client, key)
        answer = client.get(f"/{name}/p{uid}/runs/r")
        assert answer.status_code == 200, answer.text[:300]
        return answer.text


def fact(page: str, label: str) -> str | None:
    found = re.search(rf"<dt>{label}</dt><dd[^>]*>([^<]*)</dd>", page)
    return found.group(1) if found else None


def test_a_script_is_labelled_script_and_a_notebook_notebook(server: Server, uid: str) -> None:
    script = run_page(server, uid, {"metadata": {"program": "/home/ada/train.py"}})
    assert fact(script, "Script") == "/home/ada/train.py" and fact(script, "Notebook") is None
    notebook = {"program": None, "notebook": {"path": "/home/ada/nb/mnist.ipynb", "name": "x"}}
    page = run_page(server, uid, {"metadata": notebook})
    assert fact(page, "Notebook") == "/home/ada/nb/mnist.ipynb" and fact(page, "Script") is None


def test_a_run_outside_any_repository_says_so_not_dirty_no(server: Server, uid: str) -> None:
    page = run_page(server, uid, {"git": {"repository": False}})
    assert "not in a git repository" in page and "<dt>Dirty</dt>" not in page
    page = run_page(server, uid, {"git": {"repository": True, "commit": "abc", "dirty": False}})
    assert fact(page, "Dirty") == "no" and "not in a git repository" not in page


def test_timestamps_show_as_dates_and_short_runs_in_milliseconds(server: Server, uid: str) -> None:
    body = {"summary": {"_timestamp": 1795970000.25, "acc": 0.5}, "runtime": 0.25}
    page = run_page(server, uid, body)
    assert "2026-11-29 16:33:20 UTC" in page and "1.79597e+09" not in page
    assert fact(page, "Duration") == "250ms"
    assert pages.duration({"runtime": 0.0}) == "0ms"
    assert pages.duration({"runtime": 61.5}) == "1m 1s"


def test_media_in_the_summary_read_as_one_line_not_as_raw_references(
    server: Server, uid: str
) -> None:
    image = {
        "_type": "image-file",
        "path": "media/a.png",
        "sha256": "a",
        "width": 256,
        "height": 64,
    }
    table = {"_type": "table-file", "path": "media/b.table.json", "nrows": 10, "ncols": 3}
    histogram = {"_type": "histogram", "bins": [0, 1, 2], "values": [4, 5]}
    gallery = {"_type": "images/separated", "count": 3, "items": [image] * 3}
    odd = {"_type": "<b>x</b>", "path": "p"}
    summary = {"pred": image, "t": table, "h": histogram, "g": gallery, "odd": odd}
    page = run_page(server, uid, {"summary": summary})
    for text in (
        "image 256x64 (see Media)",
        "table 10 rows, 3 columns (see Media)",
        "histogram, 2 bins (see Media)",
        "3 images (see Media)",
    ):
        assert text in page
    assert "media/a.png" not in page and "sha256" not in page
    assert "&lt;b&gt;x&lt;/b&gt;" in page and "x&lt;/b&gt; (see Media)" not in page  # not media
    assert set(pages.MEDIA_NAMES) == media.KINDS  # a name for every kind the server stores


def test_every_page_links_a_favicon_that_is_served(server: Server) -> None:
    login = server.client.get("/login").text
    link = re.search(r'<link rel="icon" href="([^"]+)" type="image/svg\+xml">', login)
    assert link is not None, login[:500]
    icon: httpx.Response = server.client.get(link.group(1))
    assert icon.status_code == 200 and icon.headers["content-type"].startswith("image/svg+xml")
    assert icon.text.startswith("<svg")
