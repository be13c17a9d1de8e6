"""The JupyterLab extension's requests over the ``nbtrack`` comm: run state, sync, finish.

:mod:`nbtrack.jupyter.channel` hands every message whose type is in :data:`TYPES` to
:func:`receive`. A frontend that sent ``subscribe`` gets a ``state`` message at once and again
whenever the state changes (a watcher thread compares snapshots twice a second, so updates also
arrive while a cell is running). See "JupyterLab extension messages" in docs/jupyter-comm.md.
"""

from __future__ import annotations

import os
import socket
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal, TypedDict

from nbtrack import registry
from nbtrack.jupyter.hooks import report

if TYPE_CHECKING:
    from nbtrack._run import Run
    from nbtrack.jupyter.syncjob import SyncJob

PID = os.getpid()
HOST = socket.gethostname()
TYPES = frozenset({"subscribe", "state", "sync", "finish"})
PERIOD = 0.5
PENDING_EVERY = 10  # ticks between rescans of the run folder for unsynced runs
KEEP_RUNS = 20


class RunInfo(TypedDict):
    id: str
    name: str
    project: str
    state: str
    step: int
    url: str | None
    upload: str
    dir: str | None
    current: bool


class PendingRun(TypedDict):
    id: str
    name: str
    project: str
    state: str
    dir: str


class SyncInfo(TypedDict):
    state: Literal["idle", "syncing", "done", "error"]
    text: str


class StateMessage(TypedDict):
    type: Literal["state"]
    current: str | None
    runs: list[RunInfo]
    pending: list[PendingRun]
    sync: SyncInfo


class ResultMessage(TypedDict):
    type: Literal["result"]
    request: str
    ok: bool
    message: str


class LabState:
    """The runs this kernel started, the unsynced local runs and the sync job, for the frontends."""

    def __init__(self, period: float = PERIOD) -> None:
        self.period = period
        self.runs: list[Run] = []
        self.pending: list[PendingRun] = []
        self.found: list[RunInfo] = []
        self._started: dict[str, float] = {}
        self.job: SyncJob | None = None
        self._followed: list[SyncJob] = []
        self._comms: list[Any] = []
        self._last: StateMessage | None = None
        self._lock = threading.RLock()
        self._thread: threading.Thread | None = None
        self._ticks = 0
        self._running: frozenset[str] = frozenset()

    def receive(self, comm: Any, data: dict[str, Any]) -> StateMessage | ResultMessage:
        kind = data.get("type")
        if kind == "sync":
            return self.sync()
        if kind == "finish":
            return self.finish(data.get("run"))
        if kind == "subscribe":
            self.subscribe(comm)
        self.rescan()
        return self.snapshot()

    def subscribe(self, comm: Any) -> None:
        with self._lock:
            if comm not in self._comms:
                self._comms.append(comm)
            if self._thread is None or not self._thread.is_alive():
                self._thread = threading.Thread(target=self._watch, name="nbtrack-lab", daemon=True)
                self._thread.start()

    def snapshot(self) -> StateMessage:
        with self._lock:
            self._notice(registry.live())
            current = registry.current()
            found = {info["id"]: info for info in self.found}
            found.update((run.id, run_info(run, run is current)) for run in self.runs)
            runs = sorted(found.values(), key=lambda info: self._started.get(info["id"], 0.0))
            runs = runs[-KEEP_RUNS:]
            sync = self._sync_info()
            return {
                "type": "state",
                "current": current.id if current is not None else None,
                "runs": runs,
                "pending": list(self.pending),
                "sync": sync,
            }

    def rescan(self) -> None:
        """Read the run folder: the runs the server lacks, and the runs this process started
        (also those that began and ended before the frontend subscribed)."""
        from nbtrack.settings import resolve

        root = resolve().root
        self._follow(root)
        pending = pending_runs(root)
        unsynced = {run["dir"] for run in pending}
        found = list(self._own_runs(root, unsynced))
        on_disk = {info["id"] for info in found}
        with self._lock:
            self.pending, self.found = pending, found
            # a finished run reads the same from its run.json; stop asking the Run object
            self.runs = [r for r in self.runs if not (r.finished and r.id in on_disk)]

    def _own_runs(self, root: Path, unsynced: set[str]) -> Iterator[RunInfo]:
        from nbtrack import rundir

        for path in rundir.list_all(root):
            info = rundir.read_json(path / "run.json")
            if not isinstance(info, dict) or info.get("pid") != PID or info.get("host") != HOST:
                continue
            run_id = str(info.get("id") or rundir.parse_name(path.name)[2])
            self._started.setdefault(run_id, float(info.get("created_at") or 0.0))
            yield {
                "id": run_id,
                "name": str(info.get("name") or run_id),
                "project": str(info.get("project") or ""),
                "state": str(info.get("state") or "unknown"),
                "step": int(info.get("next_step") or 0),
                "url": info.get("url") if isinstance(info.get("url"), str) else None,
                "upload": "offline" if str(path) in unsynced else "synced",
                "dir": str(path),
                "current": False,
            }

    def sync(self) -> ResultMessage:
        """Start the kernel's sync job (the one the widgets' Sync buttons share)."""
        from nbtrack.settings import resolve

        job = self._follow(resolve().root)
        if not job.start():
            return result("sync", False, "a sync is already running")
        self.push()
        return result("sync", True, "sync started")

    def _follow(self, root: Path) -> SyncJob:
        """The sync job of ``root``; its end triggers a rescan and a push."""
        from nbtrack.jupyter import syncjob

        job = syncjob.job(root)
        with self._lock:
            if job not in self._followed:
                self._followed.append(job)
                job.on_done(lambda _: self._synced())
            self.job = job
        return job

    def finish(self, run_id: Any) -> ResultMessage:
        run = registry.current()
        if isinstance(run_id, str):
            run = next((r for r in registry.live() if r.id == run_id), None)
        if run is None or run.finished:
            return result("finish", False, "no running nbtrack run to finish")
        run.finish()
        self.rescan()
        self.push()
        return result("finish", True, f"finished run {run.name} ({run.id})")

    def push(self) -> None:
        """Send the state to every subscribed frontend if it changed since the last push."""
        state = self.snapshot()
        with self._lock:
            if state == self._last:
                return
            self._last = state
            self._comms = [c for c in self._comms if not getattr(c, "_closed", False)]
            comms = list(self._comms)
        for comm in comms:
            comm.send(state)

    def _notice(self, live: list[Run]) -> None:
        """Remember the live runs (finished ones stay listed: the panel shows the kernel's runs)."""
        known = {run.id for run in self.runs}
        new = [run for run in live if run.id not in known]
        for run in new:
            self._started.setdefault(run.id, run.start_time)
        self.runs = (self.runs + new)[-KEEP_RUNS:]

    def _sync_info(self) -> SyncInfo:
        job = self.job
        if job is None:
            return {"state": "idle", "text": ""}
        return {"state": job.state, "text": job.text}  # type: ignore[typeddict-item]

    def _synced(self) -> None:
        self.rescan()
        self.push()

    def _watch(self) -> None:
        stop = threading.Event()
        while self._comms:
            stop.wait(self.period)
            try:
                self._tick()
            except Exception:
                report("JupyterLab state")
                return

    def _tick(self) -> None:
        self._ticks += 1
        self.snapshot()
        running = frozenset(run.id for run in self.runs if not run.finished)
        if running != self._running or self._ticks % PENDING_EVERY == 0:
            self._running = running
            self.rescan()
        self.push()


def run_info(run: Run, current: bool) -> RunInfo:
    try:
        upload = str(run.upload_status()["state"])
    except Exception:
        upload = "unknown"
    return {
        "id": run.id,
        "name": run.name,
        "project": run.project,
        "state": run.state,
        "step": run.step,
        "url": run.url,
        "upload": upload,
        "dir": run.dir or None,
        "current": current,
    }


def pending_runs(root: Path) -> list[PendingRun]:
    """The local runs that the server does not hold completely, oldest first."""
    from nbtrack import rundir, syncing

    try:
        paths = syncing.pending_runs(root)
    except Exception:
        return []
    return [_pending(path, rundir) for path in paths]


def _pending(path: Path, rundir: Any) -> PendingRun:
    info = rundir.read_json(path / "run.json")
    info = info if isinstance(info, dict) else {}
    run_id = str(info.get("id") or rundir.parse_name(path.name)[2])
    return {
        "id": run_id,
        "name": str(info.get("name") or run_id),
        "project": str(info.get("project") or ""),
        "state": str(info.get("state") or "unknown"),
        "dir": str(path),
    }


def result(request: str, ok: bool, message: str) -> ResultMessage:
    return {"type": "result", "request": request, "ok": ok, "message": message}


STATE = LabState()


def receive(comm: Any, data: dict[str, Any]) -> StateMessage | ResultMessage:
    """Answer one message from the JupyterLab extension (the channel sends the answer back)."""
    return STATE.receive(comm, data)
