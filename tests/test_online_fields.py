"""Run fields on a real server: the preempting state, metadata merged across records."""

from __future__ import annotations

import requests

import nbtrack
from nbtrack.api import RunView
from tests.liveserver import LiveServer


def remote_run(target: LiveServer, project: str, run_id: str) -> RunView:
    return nbtrack.Api(target.url, target.admin_key).run(f"admin/{project}/{run_id}")


def page(target: LiveServer, path: str) -> str:
    headers = {"Authorization": f"Bearer {target.admin_key}"}
    answer = requests.get(f"{target.url}{path}", headers=headers, timeout=30)
    assert answer.status_code == 200, answer.text
    return answer.text


def test_metadata_recorded_later_is_merged_not_replacing_earlier_keys(target: LiveServer) -> None:
    run = nbtrack.init(project="meta-merge")
    run.log({"x": 1})
    run.summary["best"] = 1  # a summary record ends an upload chunk: the next meta is sent alone
    run.record_metadata(notebook_path="analysis/train.ipynb")
    run.finish()
    assert nbtrack.sync().ok
    metadata = remote_run(target, "meta-merge", run.id).metadata
    assert metadata["notebook_path"] == "analysis/train.ipynb"
    assert metadata["python"] == run.metadata["python"]  # recorded at init, in an earlier chunk
    assert {k: metadata[k] for k in run.metadata} == run.metadata


def test_preempting_is_shown_by_the_server_until_the_run_ends(target: LiveServer) -> None:
    run = nbtrack.init(project="preempt")
    run.log({"loss": 0.5})
    run.mark_preempting()
    run.log({"loss": 0.4})
    assert nbtrack.sync().ok  # the live run, as it is now
    api = nbtrack.Api(target.url, target.admin_key)
    assert remote_run(target, "preempt", run.id).state == "preempting"
    chosen = api.runs("admin/preempt", filters={"state": "preempting"})
    assert [r.id for r in chosen] == [run.id]
    assert [r.id for r in api.runs("admin/preempt", filters={"state": "running"})] == []
    listed = page(target, "/api/v1/projects/admin/preempt/runs?state=preempting")
    assert run.id in listed and '"preempting"' in listed
    assert 'class="state amber">preempting<' in page(target, f"/admin/preempt/runs/{run.id}")
    table = page(target, "/admin/preempt?state=preempting")
    assert run.id in table and 'class="state amber">preempting<' in table
    run.finish()
    assert nbtrack.sync().ok
    assert remote_run(target, "preempt", run.id).state == "finished"
    assert list(api.runs("admin/preempt", filters={"state": "preempting"})) == []
