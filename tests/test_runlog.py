"""Crash safety of the run log: SIGKILL, torn tails, newer formats."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

import nbtrack
from nbtrack import runlog
from nbtrack.errors import RunLogError

CHILD = """
import sys, nbtrack
run = nbtrack.init(project="crash")
print(run.dir, flush=True)
step = 0
while True:
    run.log({"step_value": step, "loss": 1.0 / (step + 1)})
    print(step, flush=True)
    step += 1
"""


def test_sigkill_loses_no_acknowledged_step() -> None:
    with subprocess.Popen(
        [sys.executable, "-c", CHILD], stdout=subprocess.PIPE, text=True, env=os.environ.copy()
    ) as child:
        assert child.stdout is not None
        run_dir = Path(child.stdout.readline().strip())
        acknowledged = -1
        deadline = time.monotonic() + 30
        while acknowledged < 20_000 and time.monotonic() < deadline:
            acknowledged = int(child.stdout.readline())
        child.send_signal(signal.SIGKILL)
        child.wait()
        rest = [int(line) for line in child.stdout.read().split()]
    acknowledged = max([acknowledged, *rest])
    assert acknowledged >= 20_000
    view = nbtrack.Api.local().run(str(run_dir))
    values = [row["step_value"] for row in view.scan_history()]
    assert values[: acknowledged + 1] == list(range(acknowledged + 1))
    assert values == list(range(len(values)))  # nothing out of order, nothing twice
    assert view.state == "crashed"


def _run_with_rows(count: int) -> Path:
    run = nbtrack.init(project="p")
    for i in range(count):
        run.log({"i": i})
    run.finish()
    return Path(run.dir)


def test_torn_tail_is_skipped_and_hides_nothing() -> None:
    path = _run_with_rows(5)
    log = path / runlog.LOG_NAME
    with open(log, "ab") as stream:
        stream.write(b'["h",{"_step":5,"i":')
    rows = list(nbtrack.Api.local().run(str(path)).scan_history())
    assert [r["i"] for r in rows] == [0, 1, 2, 3, 4]


def test_garbage_tail_from_power_loss_is_skipped() -> None:
    path = _run_with_rows(3)
    with open(path / runlog.LOG_NAME, "ab") as stream:
        stream.write(b"\0" * 4096 + b"\n")
    assert [r["i"] for r in nbtrack.Api.local().run(str(path)).scan_history()] == [0, 1, 2]


def test_resume_cuts_the_torn_tail_before_appending() -> None:
    run = nbtrack.init(project="p", id="torn0001")
    run.log({"i": 0})
    run.finish()
    with open(Path(run.dir) / runlog.LOG_NAME, "ab") as stream:
        stream.write(b'["h",{"_st')
    again = nbtrack.init(project="p", id="torn0001", resume="must")
    again.log({"i": 1})
    again.finish()
    lines = (Path(run.dir) / runlog.LOG_NAME).read_bytes().splitlines()
    assert all(runlog.decode_line(line + b"\n") for line in lines)
    assert [r["i"] for r in nbtrack.Api.local().run("torn0001").scan_history()] == [0, 1]


def test_newer_format_is_refused_clearly(tmp_path: Path) -> None:
    folder = tmp_path / "nbtrack" / "offline-run-20260101_000000-future01"
    folder.mkdir(parents=True)
    header = json.dumps(["nbtrack", {"format": 99, "run_id": "future01"}])
    (folder / runlog.LOG_NAME).write_text(header + "\n")
    with pytest.raises(RunLogError, match=r"format 99, newer than this nbtrack reads .*upgrade"):
        nbtrack.Api.local().run("future01")


def test_a_live_run_cannot_be_opened_twice() -> None:
    run = nbtrack.init(project="p", id="locked01")
    with pytest.raises(RunLogError, match="being written by another live process"):
        runlog.Writer(Path(run.dir) / runlog.LOG_NAME)
    assert runlog.is_locked(Path(run.dir) / runlog.LOG_NAME)
    assert nbtrack.Api.local().run("locked01").state == "running"
    run.finish()
    assert not runlog.is_locked(Path(run.dir) / runlog.LOG_NAME)


def test_two_processes_never_collide(tmp_path: Path) -> None:
    code = (
        "import nbtrack\n"
        "for i in range(15):\n"
        "    r = nbtrack.init(project='shared', reinit=True)\n"
        "    r.log({'i': i}); r.finish()\n"
    )
    children = [
        subprocess.Popen([sys.executable, "-c", code], env=os.environ.copy()) for _ in range(2)
    ]
    assert [c.wait() for c in children] == [0, 0]
    runs = nbtrack.Api.local().runs("shared")
    assert len(runs) == 30
    assert len({r.id for r in runs}) == 30
    assert len({r.name.rsplit("-", 1)[1] for r in runs}) == 30
    assert {r.state for r in runs} == {"finished"}


def test_offsets_are_line_indexes() -> None:
    path = _run_with_rows(3)
    records = list(runlog.read(path / runlog.LOG_NAME))
    assert [offset for offset, _, _ in records] == list(range(len(records)))
    assert records[0][1] == "nbtrack"


def test_state_without_replaying_the_log() -> None:
    from nbtrack import runstate

    finished = _run_with_rows(3)
    assert runstate.state_of(finished) == "finished"
    live = nbtrack.init(project="p", reinit="create_new")
    assert runstate.state_of(Path(live.dir)) == "running"
    live.finish(exit_code=2)
    assert runstate.state_of(Path(live.dir)) == "failed"
    (Path(live.dir) / "run.json").unlink()  # the log alone still says how it ended
    assert runstate.state_of(Path(live.dir)) == "failed"
    code = "import nbtrack, os\nr = nbtrack.init(project='p')\nr.log({'a': 1})\nos._exit(9)\n"
    subprocess.run([sys.executable, "-c", code], check=False, env=os.environ.copy())
    crashed = Path(nbtrack.Api.local().runs("p", order="-created_at")[0].dir or "")
    assert runstate.state_of(crashed) == "crashed" == runstate.replay(crashed).state


class SyncWatch:
    """Records fdatasync/fsync calls on one descriptor (the real call still happens)."""

    def __init__(self, monkeypatch: pytest.MonkeyPatch) -> None:
        self.fd = -1
        self.times: list[float] = []
        self.seen = threading.Event()
        self.last_write = 0.0
        for name in ("fdatasync", "fsync"):
            monkeypatch.setattr(os, name, self._wrap(getattr(os, name)))
        monkeypatch.setattr(os, "write", self._watch_write(os.write))

    def _watch_write(self, real: Callable[[int, Any], int]) -> Callable[[int, Any], int]:
        def call(fd: int, data: Any) -> int:
            written = real(fd, data)
            if fd == self.fd:
                self.last_write = time.monotonic()
            return written

        return call

    def _wrap(self, real: Callable[[int], None]) -> Callable[[int], None]:
        def call(fd: int) -> None:
            real(fd)
            if fd == self.fd:
                self.times.append(time.monotonic())
                self.seen.set()

        return call

    def wait(self, timeout: float) -> float:
        """Seconds until the next sync of the descriptor (``timeout`` if none came)."""
        self.seen.clear()
        started = time.monotonic()
        self.seen.wait(timeout)
        return time.monotonic() - started


def test_the_log_is_fsynced_within_a_second_and_at_finish(monkeypatch: pytest.MonkeyPatch) -> None:
    watch = SyncWatch(monkeypatch)
    run = nbtrack.init(project="durable")
    watch.fd = run._writer.fd
    delays = []
    for i in range(3):
        run.log({"i": i})  # then wait: the background thread makes it durable on its own
        delays.append(watch.wait(10))
    assert max(delays) < 2.5, delays  # every second (slack for a busy machine), not never
    run.log({"i": 3})
    run.finish()
    assert watch.times[-1] >= watch.last_write  # finish() syncs the log's last bytes
