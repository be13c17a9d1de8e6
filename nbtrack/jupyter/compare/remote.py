"""Runs on a tracking server (``nbtrack.Api()`` results), read through the batched series query.

All the server runs of one project are read with one ``POST /projects/{entity}/{project}/series``
per refresh; each run's ``cursor`` goes back as ``since``, so a poll of live runs carries only
their new points (a ``"full"`` answer starts that run's lines over). The points land in the same
``Stream``s as local reads: by step for ``x="_step"``, else in the order the server answers them,
each carrying its x.
"""

from __future__ import annotations

import time
from typing import Any

from nbtrack.jupyter.compare.runlogs import RunData
from nbtrack.jupyter.compare.stream import Stream

LIVE = ("running", "preempting")
MAX_KEYS = 100


class ServerProject:
    """The compared runs of one server project, polled together."""

    def __init__(self, transport: Any, entity: str, project: str, samples: int, x: str) -> None:
        self.transport, self.path = transport, f"/projects/{entity}/{project}/series"
        self.samples, self.x = samples, x
        self.runs: list[RemoteSource] = []
        self.keys: list[str] = []
        self.polled = 0.0
        self.changed: set[str] = set()

    def poll(self) -> None:
        """One query for every run of the project (at most once per refresh)."""
        if time.monotonic() - self.polled < 0.2:
            return
        self.polled = time.monotonic()
        body = {
            "runs": [r.data.run_id for r in self.runs],
            "keys": self.keys[:MAX_KEYS],
            "x": self.x,
            "samples": self.samples,
            "since": {r.data.run_id: r.cursor for r in self.runs if r.cursor is not None},
        }
        answer = self.transport.call("POST", self.path, body)
        by_id = {r.data.run_id: r for r in self.runs}
        self.changed = {a["id"] for a in answer["runs"] if by_id[a["id"]].take(a)}


class RemoteSource:
    """One server run, as ``LocalSource`` offers it to the widget."""

    def __init__(self, view: Any, project: ServerProject) -> None:
        self.project, self.cursor = project, None
        self.data = RunData(
            run_id=view.id, name=view.name, project=view.project, config=dict(view.config)
        )
        self.data.state = view.state
        self.ended = view.state not in LIVE

    @property
    def live(self) -> bool:
        return not self.ended

    def load(self) -> None:
        self.poll()

    def poll(self, budget: int | None = None) -> bool:
        self.project.poll()
        return self.data.run_id in self.project.changed

    @property
    def sampled(self) -> bool:
        return False

    def use_x(self, x: str) -> None:
        """The server answers one x per query: another x is a full query for every run."""
        if x != self.project.x:
            self.project.x, self.project.polled = x, 0.0
            for run in self.project.runs:
                run.cursor = None
        self.poll()

    def take(self, answer: dict[str, Any]) -> bool:
        """Apply one run's answer; True if it brought anything."""
        self.data.state = str(answer.get("state") or self.data.state)
        self.ended = self.data.state not in LIVE
        if answer.get("mode") != "append":
            self.data.streams = {}
        self.cursor = answer.get("cursor")
        found = answer.get("mode") != "append"
        for key, line in (answer.get("series") or {}).items():
            found = self._add(key, line["xs"], line["ys"]) or found
        return found

    def _add(self, key: str, xs: list[float], ys: list[float]) -> bool:
        stream = self.data.streams.get(key)
        if stream is None:
            stream = self.data.streams[key] = Stream(self.project.samples)
        by_step = self.project.x == "_step"
        for at, value in zip(xs, ys, strict=True):
            step = int(at) if by_step else stream.count
            if stream.count == 0 or step > stream.last:
                stream.add(step, value, None if by_step else (at, at, at))
        return bool(xs)


def sources(views: list[Any], samples: int, x: str, keys: list[str] | None) -> list[RemoteSource]:
    """Remote sources for server ``RunView``s, one batched query per project."""
    projects: dict[tuple[int, str, str], ServerProject] = {}
    out = []
    for view in views:
        transport = view._store.transport
        place = (id(transport), str(view.entity), view.project)
        if place not in projects:
            projects[place] = ServerProject(transport, str(view.entity), view.project, samples, x)
        project = projects[place]
        wanted = keys or [k for k, v in view.summary.items() if _chartable(k, v)]
        project.keys += [k for k in wanted if k not in project.keys]
        source = RemoteSource(view, project)
        project.runs.append(source)
        out.append(source)
    return out


def _chartable(key: str, value: Any) -> bool:
    return not key.startswith("_") and type(value) in (int, float)


def is_remote(item: Any) -> bool:
    """A ``RunView`` of a server run (read through the server, not a run directory)."""
    from nbtrack.api.remote import RemoteStore

    return isinstance(getattr(item, "_store", None), RemoteStore) and not item.dir
