"""LabState in this process: what the extension is told about runs, without a kernel."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import nbtrack
from nbtrack.jupyter.labcomm import LabState, run_info


def ask(data: dict[str, Any], lab: LabState | None = None, comm: Any = None) -> dict[str, Any]:
    return dict((lab or LabState()).receive(comm or Comm(), data))


class Comm:
    """Collects what the kernel would send to the frontend."""

    def __init__(self) -> None:
        self.sent: list[dict[str, Any]] = []
        self._closed = False

    def send(self, data: dict[str, Any]) -> None:
        self.sent.append(data)


def test_runs_of_this_process_are_listed_with_the_unsynced_ones(isolated: Path) -> None:
    done = nbtrack.init(project="p", name="done-run")
    done.log({"a": 1})
    done.finish()
    live = nbtrack.init(project="p", name="live-run")
    state = ask({"type": "state"})
    assert state["type"] == "state"
    assert [(r["name"], r["state"], r["current"]) for r in state["runs"]] == [
        ("done-run", "finished", False),
        ("live-run", "running", True),
    ]
    assert state["current"] == live.id
    assert [p["name"] for p in state["pending"]] == ["done-run", "live-run"]
    assert state["runs"][0]["step"] == 1 and state["runs"][0]["upload"] == "offline"


def test_runs_of_other_processes_are_not_listed(isolated: Path) -> None:
    run = nbtrack.init(project="p")
    run.finish()
    run_json = Path(run.dir) / "run.json"
    run_json.write_text(run_json.read_text().replace(f'"pid": {os.getpid()}', '"pid": 1'))
    state = ask({"type": "state"})
    assert state["runs"] == []
    assert len(state["pending"]) == 1


def test_subscribers_get_a_push_only_when_something_changed(isolated: Path) -> None:
    lab, comm = LabState(period=3600), Comm()
    first = ask({"type": "subscribe"}, lab, comm)
    lab.push()
    lab.push()
    assert comm.sent == [first]  # the first push repeats the answer; then nothing changed
    run = nbtrack.init(project="p", name="pushed")
    lab.push()
    assert [r["name"] for r in comm.sent[-1]["runs"]] == ["pushed"]
    answer = ask({"type": "finish", "run": run.id}, lab, comm)
    assert answer == {
        "type": "result",
        "request": "finish",
        "ok": True,
        "message": f"finished run pushed ({run.id})",
    }
    assert comm.sent[-1]["runs"][0]["state"] == "finished"
    assert ask({"type": "finish", "run": "nope"}, lab, comm)["ok"] is False


def test_run_info_reports_an_online_url() -> None:
    class Fake:
        id, name, project, state, step, url, dir = "i", "n", "p", "running", 3, "http://x/r", "/d"

        def upload_status(self) -> dict[str, Any]:
            return {"state": "syncing"}

    info = run_info(Fake(), True)  # type: ignore[arg-type]
    assert info == {
        "id": "i",
        "name": "n",
        "project": "p",
        "state": "running",
        "step": 3,
        "url": "http://x/r",
        "upload": "syncing",
        "dir": "/d",
        "current": True,
    }
