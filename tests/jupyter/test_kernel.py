"""The Jupyter layer in real kernels (nbclient): widget state, reinit, magics, comm, exit."""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

import pytest
from jupyter_core.utils import run_sync
from nbclient.exceptions import DeadKernelError

from nbtrack import runstate
from nbtrack.jupyter.hooks import REEXECUTED
from tests.conftest import git, make_repo
from tests.jupyter.conftest import (
    WIDGET_VIEW,
    button_id,
    child_ids,
    click,
    client_for,
    notebook,
    run_widgets,
    runs_on_disk,
    states,
    view_ids,
    widget_states,
)
from tests.liveserver import LiveServer

pytestmark = [pytest.mark.slow, pytest.mark.timeout(120)]

INIT = "import nbtrack\nrun = nbtrack.init(project='kernel-test')"


def outputs_text(cell: Any) -> str:
    parts = []
    for output in cell.outputs:
        parts.append(output.get("text", ""))
        parts.append(json.dumps(output.get("data", {})))
        parts.append(f"{output.get('ename', '')}: {output.get('evalue', '')}")
    return "\n".join(parts)


def test_widget_shows_the_run_and_its_final_state(isolated: Path) -> None:
    nb = notebook(
        INIT,
        "for i in range(20):\n    nbtrack.log({'loss': 1 / (i + 1), 'acc': i / 20})",
        "run",
        "run.name = 'renamed'\nrun.save()",
        "run.finish()",
    )
    client = client_for(nb, isolated)
    client.execute()
    (widget,) = run_widgets(client)
    (state,) = runs_on_disk(isolated)
    assert widget["run_id"] == state.info["id"]
    assert widget["run_name"] == "renamed" == state.info["name"]
    assert widget["status"] == "finished" and state.state == "finished"
    assert widget["offline"] is True and widget["upload_state"] == "offline"
    assert widget["link"] == os.path.relpath(state.path, isolated)
    assert widget["project"] == "kernel-test"
    init_views, run_views = view_ids(nb.cells[0]), view_ids(nb.cells[2])
    assert init_views == run_views and len(init_views) == 1  # `run` shows the same widget
    data = nb.cells[2].outputs[0]["data"]
    assert state.info["id"] in data["text/html"] and state.info["id"] in data["text/plain"]
    assert len(nb.cells[0].outputs) == 1  # one widget and nothing else printed


def test_an_online_run_in_a_kernel_prints_no_link_line(
    isolated: Path, target: LiveServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("NBTRACK_MODE", "online")
    monkeypatch.setenv("NBTRACK_SILENT", "false")
    nb = notebook(INIT, "run.finish()")
    client = client_for(nb, isolated)
    client.execute()
    (widget,) = run_widgets(client)
    assert widget["link"].startswith(f"{target.url}/admin/kernel-test/runs/")
    printed = "".join(
        o.get("text", "") for o in nb.cells[0].outputs if o["output_type"] == "stream"
    )
    assert widget["link"] not in printed and "nbtrack: Run " not in printed  # the widget says it


def test_reexecuting_the_init_cell_finishes_the_previous_runs(isolated: Path) -> None:
    nb = notebook(INIT, "run.id", "%nbtrack status")
    client = client_for(nb, isolated)
    with client.setup_kernel():
        for _ in range(3):
            client.execute_cell(nb.cells[0], 0)
        client.execute_cell(nb.cells[1], 1)
        client.execute_cell(nb.cells[2], 2)  # init() loaded the extension: magics are there
        assert "nbtrack: 1 live run\n" in outputs_text(nb.cells[2])
        assert states(isolated) == ["finished", "finished", "running"]
        widgets = run_widgets(client)
        assert [w["status"] for w in widgets] == ["finished", "finished", "running"]
        assert [w["finish_reason"] for w in widgets[:2]] == [REEXECUTED, REEXECUTED]
        running = [s for s in runs_on_disk(isolated) if s.state == "running"]
        assert nb.cells[1].outputs[0]["data"]["text/plain"] == repr(running[0].info["id"])
    assert states(isolated) == ["finished"] * 3  # kernel shutdown finishes the live run


def test_init_in_another_cell_finishes_the_previous_run(isolated: Path) -> None:
    """The notebook default (reinit='finish_previous') in a real kernel, no re-execution."""
    nb = notebook(
        INIT,
        "nbtrack.log({'loss': 1.0})",
        "second = nbtrack.init(project='kernel-test')",
        "(run.finished, second.finished, second is not run)",
    )
    client = client_for(nb, isolated)
    with client.setup_kernel():
        for index, cell in enumerate(nb.cells):
            client.execute_cell(cell, index)
        assert "(True, False, True)" in outputs_text(nb.cells[3])
        assert states(isolated) == ["finished", "running"]
        first, second = run_widgets(client)
        assert first["status"] == "finished" and second["status"] == "running"
        assert first["finish_reason"] == "finished by a new init()"


def test_track_cell_that_raises_leaves_a_failed_run(isolated: Path) -> None:
    nb = notebook(
        "%load_ext nbtrack\nimport nbtrack",
        "%%track --project t --config lr=0.5 opt='adam'\n"
        "nbtrack.log({'loss': 1.0})\nraise ValueError('bad batch')",
        "%%track --project t\nnbtrack.log({'loss': 0.5})\n'done'",
        "%%track --nope\n1",
    )
    client = client_for(nb, isolated, allow_errors=True)
    client.execute()
    assert "ValueError" in outputs_text(nb.cells[1]) and "bad batch" in outputs_text(nb.cells[1])
    assert "'done'" in outputs_text(nb.cells[2])
    error_output = nb.cells[3].outputs[0]
    assert "UsageError" in outputs_text(nb.cells[3]) and error_output["output_type"] == "stream"
    failed, finished = sorted(runs_on_disk(isolated), key=lambda s: s.state)
    assert failed.state == "failed" and finished.state == "finished"
    assert failed.config == {"lr": 0.5, "opt": "adam"}
    assert failed.metadata["error"]["message"] == "bad batch"
    widgets = {w["run_id"]: w for w in run_widgets(client)}
    assert widgets[failed.info["id"]]["status"] == "failed"
    assert "ValueError: bad batch" in widgets[failed.info["id"]]["finish_reason"]


def test_widget_updates_live_and_throttled(isolated: Path) -> None:
    live = (
        "import time\n"
        "from nbtrack.jupyter.extension import widget_for\n"
        "widget = widget_for(run)\n"
        "start = time.monotonic()\n"
        "while time.monotonic() - start < 3:\n"
        "    nbtrack.log({'loss': 1.0})\n"
        "nbtrack.log({'final': 7})\n"
        "deadline = time.monotonic() + 5\n"
        "while 'final' not in widget.body.value and time.monotonic() < deadline:\n"
        "    time.sleep(0.01)\n"
        "'final <b>7</b>' in widget.body.value"
    )
    nb = notebook(
        INIT, live, "run.finish()\nfrom nbtrack.jupyter.ticker import TICKER\nwidget in TICKER"
    )
    client = client_for(nb, isolated)
    sent: list[tuple[float, str]] = []
    handle = client.handle_comm_msg

    def record(outs: Any, msg: Any, cell_index: int) -> None:
        if msg["msg_type"] == "comm_msg" and cell_index == 1:
            sent.append((msg["header"]["date"].timestamp(), msg["content"]["comm_id"]))
        handle(outs, msg, cell_index)

    client.handle_comm_msg = record  # type: ignore[method-assign]
    client.execute()
    assert "True" in outputs_text(nb.cells[1])  # the last value reached the widget while running
    assert "False" in outputs_text(nb.cells[2])  # finished: no more refreshing at all
    assert len(sent) >= 4, sent  # it did update while the cell was running
    for comm in {c for _, c in sent}:  # a refresh sends one message per widget it changes
        times = sorted(t for t, c in sent if c == comm)
        for first in times:
            window = [t for t in times if first <= t < first + 1.0]
            assert len(window) <= 2, window  # the promise: at most two updates a second


def test_notebook_announced_over_the_comm_wins(isolated: Path) -> None:
    repo = make_repo(isolated / "repo")
    nb_dir = repo / "analysis"
    nb_dir.mkdir()
    (nb_dir / "study.ipynb").write_text("{}")
    git(repo, "add", "analysis/study.ipynb")
    git(repo, "commit", "-q", "-m", "notebook")
    (nb_dir / "study.ipynb").write_text('{"changed": true}')
    nb = notebook("%load_ext nbtrack", INIT, "run.finish()")
    client = client_for(nb, nb_dir)
    with client.setup_kernel():
        client.execute_cell(nb.cells[0], 0)
        reply = open_comm(
            client, {"type": "notebook", "path": "analysis/study.ipynb", "root": str(repo)}
        )
        assert reply == {"type": "ack", "path": str(nb_dir / "study.ipynb")}
        for index, cell in enumerate(nb.cells[1:], 1):
            client.execute_cell(cell, index)
    (state,) = runs_on_disk(nb_dir)
    notebook_meta = state.metadata["notebook"]
    assert notebook_meta["source"] == "jupyterlab"
    assert notebook_meta["path"] == str(nb_dir / "study.ipynb")
    assert notebook_meta["repo_path"] == "analysis/study.ipynb"
    assert notebook_meta["modified"] is True
    assert state.metadata["git"]["program"] == "analysis/study.ipynb"
    assert state.metadata["git"]["commit"] == git(repo, "rev-parse", "HEAD")
    saved = state.path / "files" / "code" / "study.ipynb"
    assert saved.read_text() == '{"changed": true}'
    assert "nbtrack.init" in (state.path / "files" / "code" / "cells.py").read_text()


def test_kernel_offers_the_comm_and_takes_the_answer(isolated: Path) -> None:
    (isolated / "offered.ipynb").write_text("{}")
    nb = notebook("%load_ext nbtrack", INIT, "run.finish()")
    client = client_for(nb, isolated)
    opened: list[dict[str, Any]] = []
    handle = client.handle_comm_msg

    def record(outs: Any, msg: Any, cell_index: int) -> None:
        if msg["msg_type"] == "comm_open" and msg["content"]["target_name"] == "nbtrack":
            opened.append(msg["content"])
        handle(outs, msg, cell_index)

    client.handle_comm_msg = record  # type: ignore[method-assign]
    with client.setup_kernel():
        client.execute_cell(nb.cells[0], 0)
        (offer,) = opened
        assert offer["data"] == {"type": "hello", "protocol": 1}
        missing = {"type": "notebook", "path": "gone.ipynb", "root": str(isolated)}
        assert send_comm(client, offer["comm_id"], missing, "comm_msg") == {
            "type": "ack",
            "path": None,
        }
        answer = {"type": "notebook", "path": "offered.ipynb", "root": str(isolated)}
        reply = send_comm(client, offer["comm_id"], answer, "comm_msg")
        assert reply == {"type": "ack", "path": str(isolated / "offered.ipynb")}
        assert send_comm(client, offer["comm_id"], {"type": "what"}, "comm_msg")["type"] == "error"
        for index, cell in enumerate(nb.cells[1:], 1):
            client.execute_cell(cell, index)
    (state,) = runs_on_disk(isolated)
    assert state.metadata["notebook"]["source"] == "jupyterlab"
    assert state.metadata["notebook"]["modified"] is None  # not in a git repository


def open_comm(client: Any, data: dict[str, Any]) -> dict[str, Any]:
    """Open the ``nbtrack`` comm as the JupyterLab extension does; return the kernel's answer."""
    return send_comm(client, "nbtrack-test-comm", data, "comm_open")


def send_comm(client: Any, comm_id: str, data: dict[str, Any], kind: str) -> dict[str, Any]:
    kc = client.kc
    content = {"comm_id": comm_id, "data": data}
    if kind == "comm_open":
        content["target_name"] = "nbtrack"
    kc.shell_channel.send(kc.session.msg(kind, content))
    while True:
        msg = run_sync(kc.get_iopub_msg)(timeout=30)
        if msg["msg_type"] == "comm_msg" and msg["content"]["comm_id"] == comm_id:
            return dict(msg["content"]["data"])


def test_notebook_name_setting_and_say_once(
    isolated: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("NBTRACK_SILENT")
    (isolated / "named.ipynb").write_text("{}")
    nb = notebook(
        INIT,
        INIT,
        "import os\nos.environ['NBTRACK_NOTEBOOK_NAME'] = 'named.ipynb'\n" + INIT,
        "run.finish()",
    )
    client = client_for(nb, isolated)
    client.execute()
    said = [outputs_text(cell).count("NBTRACK_NOTEBOOK_NAME=") for cell in nb.cells[:3]]
    assert sum(said) == 1  # said once, briefly
    named = [s for s in runs_on_disk(isolated) if s.metadata.get("notebook")]
    assert [s.metadata["notebook"]["source"] for s in named] == ["NBTRACK_NOTEBOOK_NAME"]
    assert named[0].metadata["notebook"]["path"] == str(isolated / "named.ipynb")


def test_killed_kernel_leaves_a_crashed_run(isolated: Path) -> None:
    nb = notebook(INIT, "import os, signal\nos.kill(os.getpid(), signal.SIGKILL)")
    client = client_for(nb, isolated)
    with pytest.raises(DeadKernelError):
        client.execute()
    (state,) = runs_on_disk(isolated)
    assert runstate.replay(state.path).state == "crashed"


def test_widget_view_outputs_have_a_readable_fallback(isolated: Path) -> None:
    nb = notebook(INIT, "run", "run.finish()\nrun")
    client = client_for(nb, isolated)
    client.execute()
    for cell in nb.cells:
        (output,) = cell.outputs
        assert {"text/plain", "text/html", WIDGET_VIEW} <= set(output["data"])
    final_html = nb.cells[2].outputs[0]["data"]["text/html"]
    assert "nbtrack-finished" in final_html and "run directory" in final_html
    init_html = nb.cells[0].outputs[0]["data"]["text/html"]  # updated when the run ended
    assert "nbtrack-finished" in init_html and "nbtrack-running" not in init_html
    assert WIDGET_VIEW in nb.cells[0].outputs[0]["data"]


def test_name_box_renames_and_finish_button_finishes(isolated: Path) -> None:
    nb = notebook(INIT, "run.name, run.finished, run.finish_reason")
    client = client_for(nb, isolated)
    with client.setup_kernel():
        client.execute_cell(nb.cells[0], 0)
        states_now = widget_states(client)
        (widget,) = run_widgets(client)
        box = next(mid for mid, s in states_now.items() if s.get("run_id") == widget["run_id"])
        name_box = child_ids(states_now, box)[0]
        kc = client.kc
        update = {"method": "update", "state": {"value": "edited-name"}, "buffer_paths": []}
        kc.shell_channel.send(kc.session.msg("comm_msg", {"comm_id": name_box, "data": update}))
        click(client, button_id(states_now, widget["run_id"], "Finish run"))
        client.execute_cell(nb.cells[1], 1)
    assert nb.cells[1].outputs[0]["data"]["text/plain"] == (
        "('edited-name', True, 'finished from the widget')"
    )
    (state,) = runs_on_disk(isolated)
    assert state.info["name"] == "edited-name" and state.state == "finished"


def test_widget_keeps_updating_after_the_cell_without_making_the_kernel_busy(
    isolated: Path,
) -> None:
    train = (
        "import threading, time\n"
        "stop = threading.Event()\n"
        "def train():\n"
        "    step = 0\n"
        "    while not stop.is_set():\n"
        "        run.log({'step_seen': step})\n"
        "        step += 1\n"
        "        time.sleep(0.005)  # a training step\n"
        "threading.Thread(target=train, daemon=True).start()"
    )
    nb = notebook(INIT, train, "stop.set()\nrun.finish()")
    client = client_for(nb, isolated)
    with client.setup_kernel():
        client.execute_cell(nb.cells[0], 0)
        client.execute_cell(nb.cells[1], 1)  # returns at once; training goes on
        kc, updates, statuses = client.kc, [], []
        while len(updates) < 3:
            msg = run_sync(kc.get_iopub_msg)(timeout=10)  # Empty after 10 s: the test fails
            if msg["msg_type"] == "status":
                statuses.append(msg["content"]["execution_state"])
            elif msg["msg_type"] == "comm_msg" and "step_seen" in str(msg["content"]["data"]):
                updates.append(msg)
        assert statuses == []  # the kernel stayed idle while the widget updated
        client.execute_cell(nb.cells[2], 2)
    (state,) = runs_on_disk(isolated)
    assert state.state == "finished" and state.history_count > 0


def test_kernel_restart_finishes_live_runs(isolated: Path) -> None:
    nb = notebook(INIT, "side = nbtrack.init(project='kernel-test', reinit='create_new')")
    client = client_for(nb, isolated)
    with client.setup_kernel():
        client.execute_cell(nb.cells[0], 0)
        client.execute_cell(nb.cells[1], 1)
        assert states(isolated) == ["running", "running"]
        run_sync(client.km.restart_kernel)(now=False)
        assert states(isolated) == ["finished", "finished"]
    reasons = {s.exit["reason"] for s in runs_on_disk(isolated) if s.exit}
    assert reasons == {"process exit"}


def test_notebook_is_recorded_when_init_and_finish_share_a_cell(
    isolated: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    make_repo(isolated)  # git capture takes a while: finish() must wait for it
    (isolated / "quick.ipynb").write_text("{}")
    monkeypatch.setenv("NBTRACK_NOTEBOOK_NAME", "quick.ipynb")
    nb = notebook(INIT + "\nrun.log({'a': 1})\nrun.finish()")
    client_for(nb, isolated).execute()
    (state,) = runs_on_disk(isolated)
    assert state.metadata["notebook"]["path"] == str(isolated / "quick.ipynb")
    assert state.metadata["git"]["program"] == "quick.ipynb"
    assert (state.path / "files" / "code" / "quick.ipynb").is_file()
