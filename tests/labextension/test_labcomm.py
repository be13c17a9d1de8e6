"""The kernel side of the extension's messages (nbtrack.jupyter.labcomm) in a real kernel."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

import nbtrack
from tests.labextension.conftest import Frontend
from tests.liveserver import LiveServer

pytestmark = [pytest.mark.slow, pytest.mark.timeout(120)]


def is_state(check: Callable[[dict[str, Any]], bool] = lambda data: True) -> Any:
    return lambda data: data.get("type") == "state" and check(data)


def first_run(data: dict[str, Any]) -> dict[str, Any]:
    return dict(data["runs"][0]) if data["runs"] else {}


def test_state_is_pushed_while_a_cell_runs_and_finish_works(
    frontend: Frontend, isolated: Path
) -> None:
    frontend.run("%load_ext nbtrack")
    frontend.open({"type": "subscribe"})
    empty = frontend.wait(is_state())
    assert empty["runs"] == [] and empty["current"] is None
    assert empty["sync"] == {"state": "idle", "text": ""}

    frontend.run("import time, nbtrack\nrun = nbtrack.init(project='lab', name='pushed')")
    frontend.start("for i in range(400):\n    nbtrack.log({'x': i})\n    time.sleep(0.01)")
    # pushes arrive while the cell is still running (the kernel is busy)
    moving = frontend.wait(is_state(lambda d: 0 < first_run(d).get("step", 0) < 400))
    run = first_run(moving)
    assert run["name"] == "pushed" and run["state"] == "running" and run["current"] is True
    assert run["project"] == "lab" and run["upload"] == "offline" and run["url"] is None
    assert moving["current"] == run["id"]
    assert [p["id"] for p in moving["pending"]] == [run["id"]]  # offline: not synced

    frontend.send({"type": "finish", "run": None})
    final = frontend.wait(is_state(lambda d: first_run(d).get("state") == "finished"))
    assert final["current"] is None and first_run(final)["step"] == 400
    done = frontend.wait(lambda d: d.get("type") == "result")  # the answer follows the push
    assert done == {
        "type": "result",
        "request": "finish",
        "ok": True,
        "message": f"finished run pushed ({run['id']})",
    }
    assert nbtrack.Api.local(isolated).run(run["id"]).state == "finished"

    frontend.send({"type": "finish", "run": None})
    again = frontend.wait(lambda d: d.get("type") == "result")
    assert again["ok"] is False and "no running nbtrack run" in again["message"]


def test_sync_sends_offline_runs_to_the_server(
    frontend: Frontend, nbtrack_server: LiveServer
) -> None:
    frontend.run(
        "import os, nbtrack\n"
        f"os.environ['NBTRACK_BASE_URL'] = {nbtrack_server.url!r}\n"
        f"os.environ['NBTRACK_API_KEY'] = {nbtrack_server.admin_key!r}\n"
        "run = nbtrack.init(project='labsync', mode='offline')\n"
        "for i in range(25):\n    run.log({'loss': 1 / (i + 1)})\n"
        "run.finish()"
    )
    frontend.open({"type": "state"})
    before = frontend.wait(is_state())
    (pending,) = before["pending"]
    assert pending["project"] == "labsync" and pending["state"] == "finished"

    frontend.send({"type": "subscribe"})
    frontend.send({"type": "sync"})
    after = frontend.wait(is_state(lambda d: d["sync"]["state"] in ("done", "error")))
    started = frontend.wait(lambda d: d.get("type") == "result", earlier=True)
    assert started["ok"] is True and started["request"] == "sync"
    assert after["sync"]["state"] == "done", after["sync"]
    assert after["sync"]["text"].startswith("synced 1 run, "), after["sync"]
    assert after["pending"] == []
    remote = nbtrack.Api(nbtrack_server.url, nbtrack_server.admin_key)
    view = remote.run(f"admin/labsync/{pending['id']}")
    assert view.state == "finished" and len(list(view.scan_history())) == 25


def test_unknown_requests_get_an_error(frontend: Frontend) -> None:
    frontend.run("%load_ext nbtrack")
    frontend.open({"type": "what"})
    answer = frontend.wait(lambda d: True)
    assert answer["type"] == "error"
