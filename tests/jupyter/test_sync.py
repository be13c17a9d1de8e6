"""The widget against a real ``nbtrack server``: the Sync button, online runs' link and uploads."""

from __future__ import annotations

import ast
from pathlib import Path
from typing import Any

import pytest

import nbtrack
from tests.jupyter.conftest import (
    WIDGET_VIEW,
    button_id,
    click,
    client_for,
    notebook,
    run_widgets,
    runs_on_disk,
    widget_states,
)
from tests.liveserver import LiveServer

pytestmark = [pytest.mark.slow, pytest.mark.timeout(180)]

WAIT_FOR_SYNC = (
    "import time\n"
    "from nbtrack.jupyter.extension import widget_for\n"
    "job = widget_for(run).sync_job\n"
    "deadline = time.monotonic() + 60\n"
    "while job.state in ('idle', 'syncing') and time.monotonic() < deadline:\n"
    "    time.sleep(0.02)\n"
    "(job.state, job.text)"
)


def test_sync_button_uploads_every_pending_run(target: LiveServer, isolated: Path) -> None:
    nb = notebook(
        "import nbtrack\nold = nbtrack.init(project='nb-sync', mode='offline')\n"
        "for i in range(30):\n    old.log({'i': i})\nold.finish()",
        "run = nbtrack.init(project='nb-sync', mode='offline')\n"
        "for i in range(20):\n    run.log({'loss': 1 / (i + 1)})\nrun.finish()",
        WAIT_FOR_SYNC,
        WAIT_FOR_SYNC.replace("deadline = ", "job.start()\ndeadline = "),
    )
    client = client_for(nb, isolated)
    with client.setup_kernel():
        client.execute_cell(nb.cells[0], 0)
        client.execute_cell(nb.cells[1], 1)
        run_id = run_widgets(client)[-1]["run_id"]
        click(client, button_id(widget_states(client), run_id, "Sync offline runs"))
        client.execute_cell(nb.cells[2], 2)
        state, text = ast.literal_eval(nb.cells[2].outputs[0]["data"]["text/plain"])
        assert state == "done", text
        records = sum(s.records for s in runs_on_disk(isolated))
        assert text == f"synced 2 runs, {records} records sent"
        for widget in run_widgets(client):  # the other run's widget shows the sync as well
            assert widget["sync_state"] == "done" and widget["sync_result"] == text
            assert widget["upload_state"] == "synced"
        assert len(run_widgets(client)) == 2
        client.execute_cell(nb.cells[3], 3)  # again: nothing left to send
        state, text = ast.literal_eval(nb.cells[3].outputs[0]["data"]["text/plain"])
        assert (state, text) == ("done", "nothing to sync: every run is uploaded")
    api = nbtrack.Api(target.url, target.admin_key)
    for local in runs_on_disk(isolated):
        remote = api.run(f"admin/nb-sync/{local.info['id']}")
        assert len(list(remote.scan_history())) == local.history_count


def test_sync_failure_is_reported_with_its_reason(
    target: LiveServer, isolated: Path, monkeypatch: Any
) -> None:
    monkeypatch.setenv("NBTRACK_API_KEY", "nbt_not_a_key_of_this_server")
    nb = notebook(
        "import nbtrack\nrun = nbtrack.init(project='nb-fail', mode='offline')\nrun.finish()",
        WAIT_FOR_SYNC.replace("deadline = ", "job.start()\ndeadline = "),
    )
    client = client_for(nb, isolated)
    client.execute()
    state, text = ast.literal_eval(nb.cells[1].outputs[0]["data"]["text/plain"])
    assert state == "error"
    assert text.startswith("synced 0 runs, 0 records sent; 1 failed: offline-run-")
    assert "API key" in text or "401" in text, text


def test_online_run_links_to_its_page_and_shows_uploads(
    target: LiveServer, isolated: Path, monkeypatch: Any
) -> None:
    monkeypatch.setenv("NBTRACK_MODE", "online")
    nb = notebook(
        "import nbtrack\nrun = nbtrack.init(project='nb-online')\n"
        "for i in range(50):\n    run.log({'i': i})",
        "run.finish()\nrun.upload_status()['state']",
    )
    client = client_for(nb, isolated)
    client.execute()
    (widget,) = run_widgets(client)
    assert nb.cells[1].outputs[-1]["data"]["text/plain"] == "'synced'"
    assert widget["offline"] is False
    assert widget["link"] == f"{target.url}/admin/nb-online/runs/{widget['run_id']}"
    assert widget["status"] == "finished" and widget["upload_state"] == "synced"


def test_track_refused_by_the_server_is_a_usage_error(
    target: LiveServer, isolated: Path, monkeypatch: Any
) -> None:
    monkeypatch.setenv("NBTRACK_API_KEY", "nbt_not_a_key_of_this_server")
    nb = notebook("%load_ext nbtrack\nimport nbtrack", "%%track --mode online --project p\n1")
    client = client_for(nb, isolated, allow_errors=True)
    client.execute()
    (output,) = nb.cells[1].outputs
    assert output["output_type"] == "stream" and output["text"].startswith("UsageError: ")
    assert "nbtrack login" in output["text"]
    assert runs_on_disk(isolated) == []


def test_nbtrack_sync_magic_shows_a_progress_bar_widget(target: LiveServer, isolated: Path) -> None:
    nb = notebook(
        "import nbtrack\nrun = nbtrack.init(project='magic-sync', mode='offline')\n"
        "for i in range(30):\n    run.log({'i': i})\nrun.finish()",
        "%nbtrack sync",
    )
    client = client_for(nb, isolated)
    client.execute()
    (local,) = runs_on_disk(isolated)
    printed = "".join(o.get("text", "") for o in nb.cells[1].outputs)
    assert printed == f"nbtrack: synced 1 run, {local.records} records sent\n"
    assert any(WIDGET_VIEW in o.get("data", {}) for o in nb.cells[1].outputs)  # the bar
    states = widget_states(client).values()
    (bar,) = [s for s in states if s.get("_model_name") == "FloatProgressModel"]
    assert bar["value"] == bar["max"] == local.records


def test_the_summary_counts_in_words() -> None:
    from nbtrack.jupyter.syncjob import summary
    from nbtrack.syncing import RunSync, SyncReport

    one = RunSync("nbtrack/run-x", "x", sent=1, ok=True, complete=True)
    assert summary(SyncReport([one])) == "synced 1 run, 1 record sent"
    two = [RunSync(f"nbtrack/run-{i}", str(i), sent=5, ok=True, complete=True) for i in (1, 2)]
    assert summary(SyncReport(two)) == "synced 2 runs, 10 records sent"
