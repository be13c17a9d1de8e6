"""The workspace page over HTTP: its data block, escaping, and the project's permissions (the
browser test is test_workspace_browser.py)."""

from __future__ import annotations

import json
import re
from pathlib import Path

import nbtrack
from nbtrack import runlog, series
from tests.server.support import Server
from tests.server.test_webui import log_in

EVIL = "</script><script>alert(1)</script>"


def data_of(page: str) -> dict:  # type: ignore[type-arg]
    found = re.search(
        r'<script type="application/json" id="workspace-data">(.*?)</script>', page, re.S
    )
    assert found is not None, page[:500]
    return json.loads(found.group(1))  # type: ignore[no-any-return]


def test_the_workspace_lists_runs_without_git_or_paths(server: Server, uid: str) -> None:
    name, key = server.new_user()
    project = f"{name}/w{uid}"
    server.ok(
        "PUT",
        f"/runs/{project}/wsrun1",
        key,
        json={
            "name": EVIL,
            "config": {"opt": {"lr": 0.1}, "_private": 1},
            "summary": {"acc": 0.9},
            "git": {"commit": "c0ffee1234", "remote": "git@example.com:me/secret.git"},
            "metadata": {"cwd": "/home/secret-user/work", "notebook": "nb/train.ipynb"},
        },
    )
    rows = [{"offset": 0, "step": 0, "data": {"loss": 1.0, "val/acc": 0.5}}]
    server.ok("POST", f"/runs/{project}/wsrun1/history", key, json={"records": rows})
    with server.new_client() as anonymous:
        assert anonymous.get(f"/{project}/workspace", follow_redirects=False).status_code in (
            303,
            404,
        )
    server.ok("PATCH", f"/projects/{project}", key, json={"visibility": "public"})
    for signed_in in (False, True):
        with server.new_client() as client:
            if signed_in:
                log_in(client, key)
            response = client.get(f"/{project}/workspace")
            assert response.status_code == 200
            assert "script-src 'self'" in response.headers["content-security-policy"]
            page = response.text
            assert "<script>alert(1)" not in page
            assert (
                "c0ffee1234" not in page and "secret-user" not in page and "secret.git" not in page
            )
            data = data_of(page)
            assert data["metrics"] == ["loss", "val/acc"]
            (entry,) = data["runs"]
            assert entry["name"] == EVIL and entry["config"] == {"opt.lr": 0.1}
            assert entry["summary"]["acc"] == 0.9
            assert data["series_url"] == f"/api/v1/projects/{project}/series"
    with server.new_client() as client:
        assert 'id="workspace-link"' in client.get(f"/{project}").text


def test_a_run_has_the_colour_compare_gives_it(server: Server, uid: str, tmp_path: Path) -> None:
    name, key = server.new_user()
    project = f"{name}/c{uid}"
    ids = [f"col{uid}{index}"[:32] for index in range(8)]
    folders = []
    for run_id in ids:
        server.ok("PUT", f"/runs/{project}/{run_id}", key, json={"name": run_id})
        folder = tmp_path / f"run-20260101_000000-{run_id}"
        folder.mkdir()
        row = {"_step": 0, "_runtime": 0.0, "_timestamp": 1e9, "loss": 1.0}
        (folder / runlog.LOG_NAME).write_bytes(runlog.encode("h", row))
        folders.append(folder)
    with server.new_client() as client:
        log_in(client, key)
        page = client.get(f"/{project}/workspace")
    data = data_of(page.text)
    assert data["palette"] == list(series.PALETTE)
    assert {run["id"]: run["slot"] for run in data["runs"]} == {i: series.slot(i) for i in ids}
    in_the_notebook = {run["id"]: run["colour"] for run in nbtrack.compare(folders).runs}
    assert in_the_notebook == series.colours(ids)  # what the page computes from the slots
