"""What a run log says about its run, rebuilt by replaying the records in order.

Used to resume a run and to read local runs back (:mod:`nbtrack.api`). The human-readable files
next to the log are a convenience; the log decides.
"""

from __future__ import annotations

import dataclasses
from pathlib import Path
from typing import TYPE_CHECKING, Any

from nbtrack import rundir, runlog

if TYPE_CHECKING:
    from nbtrack.runparts.metrics import Metrics

LIVE_STATES = (None, "running", "preempting")


@dataclasses.dataclass
class RunState:
    path: Path
    info: dict[str, Any] = dataclasses.field(default_factory=dict)
    config: dict[str, Any] = dataclasses.field(default_factory=dict)
    summary: dict[str, Any] = dataclasses.field(default_factory=dict)
    metadata: dict[str, Any] = dataclasses.field(default_factory=dict)
    exit: dict[str, Any] | None = None
    next_step: int = 0
    runtime: float = 0.0
    history_count: int = 0
    records: int = 0
    metrics: Metrics | None = None
    preempting: bool = False

    @property
    def state(self) -> str:
        """finished / failed / killed from the exit record; else running (or preempting) or
        crashed."""
        if self.exit is not None:
            return str(self.exit.get("state", "finished"))
        if not runlog.is_locked(self.path / runlog.LOG_NAME):
            return "crashed"
        return "preempting" if self.preempting else "running"


def replay(path: Path) -> RunState:
    """Read a run directory's log from the start."""
    state = RunState(path=path)
    for offset, kind, payload in runlog.read(path / runlog.LOG_NAME):
        state.records = offset + 1
        apply(state, kind, payload)
    return state


def apply(state: RunState, kind: str, payload: Any) -> None:
    if kind == "h":
        state.summary.update(payload)
        if state.metrics is not None:
            state.metrics.before_write(payload)
            state.metrics.summarize(payload, state.summary)
        state.next_step = int(payload.get("_step", state.next_step)) + 1
        state.runtime = float(payload.get("_runtime", state.runtime))
        state.history_count += 1
    elif kind in MERGED:
        getattr(state, MERGED[kind]).update(payload)
    elif kind == "unset" and isinstance(payload, list):
        for key in payload:
            state.summary.pop(key, None)
    elif kind == "metric":
        _define(state, payload)
    elif kind == "preempting":
        state.preempting = True
    elif kind == "resume":
        state.exit, state.preempting = None, False
    elif kind == "exit":
        state.exit = payload
        state.runtime = float(payload.get("runtime", state.runtime))


def _define(state: RunState, payload: Any) -> None:
    from nbtrack.runparts.metrics import Metric, Metrics

    if isinstance(payload, dict) and isinstance(payload.get("name"), str):
        state.metrics = state.metrics or Metrics()
        state.metrics.define(Metric.from_record(payload), overwrite=True)


MERGED = {"run": "info", "config": "config", "summary": "summary", "meta": "metadata"}


def state_of(path: Path) -> str:
    """The run's state without replaying its log: run.json, the writer's lock, the last record."""
    info = rundir.read_json(path / "run.json")
    if isinstance(info, dict) and info.get("state") not in LIVE_STATES:
        return str(info["state"])
    log = path / runlog.LOG_NAME
    if runlog.is_locked(log):
        preempting = isinstance(info, dict) and info.get("state") == "preempting"
        return "preempting" if preempting else "running"
    last = runlog.last_record(log)
    if last is not None and last[0] == "exit" and isinstance(last[1], dict):
        return str(last[1].get("state", "finished"))
    return "crashed"


def quick(path: Path) -> RunState:
    """The state from the human-readable files of a finished run, else a full replay."""
    info = rundir.read_json(path / "run.json")
    if isinstance(info, dict) and info.get("state") not in LIVE_STATES:
        return RunState(
            path=path,
            info=info,
            config=rundir.read_json(path / "config.json") or {},
            summary=rundir.read_json(path / "summary.json") or {},
            metadata=rundir.read_json(path / "metadata.json") or {},
            exit=info.get("exit") or {"state": info["state"]},
            next_step=int(info.get("next_step", 0)),
            runtime=float(info.get("runtime", 0.0)),
            history_count=int(info.get("history_count", 0)),
            records=int(info.get("records", 0)),
        )
    return replay(path)
