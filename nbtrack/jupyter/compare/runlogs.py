"""Reading a local run log incrementally: only the bytes written since the last read.

``LogReader`` keeps its byte offset in ``run.nbtrack`` and turns new complete lines into
``RunData``: the run's fields, config, metric definitions, state and one ``Stream`` per metric
(each point carrying its ``_runtime``, ``_timestamp`` and the chosen x key's value). A torn last
line is left for the next read. Rows are parsed one at a time, so memory stays flat whatever the
run's length.
"""

from __future__ import annotations

import dataclasses
import itertools
import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import orjson

from nbtrack import runlog
from nbtrack.jupyter.compare.stream import Stream

CHUNK = 4 << 20
FIELDS = ("run", "config", "metric", "exit", "resume", "preempting")
Extra = tuple[float | None, float | None, float | None]  # (_runtime, _timestamp, x key's value)


@dataclasses.dataclass
class RunData:
    """What the compare widget knows of one run: fields, config and downsampled metrics."""

    run_id: str
    name: str = ""
    project: str = ""
    config: dict[str, Any] = dataclasses.field(default_factory=dict)
    metrics: dict[str, Any] = dataclasses.field(default_factory=dict)  # define_metric records
    state: str = "running"
    streams: dict[str, Stream] = dataclasses.field(default_factory=dict)


class LogReader:
    """One run directory's log, read from where the last read stopped."""

    def __init__(
        self,
        folder: Path,
        data: RunData,
        samples: int,
        x_key: str | None = None,
        keys: frozenset[str] | None = None,
    ) -> None:
        self.path = folder / runlog.LOG_NAME
        self.data, self.samples, self.x_key, self.keys = data, samples, x_key, keys
        self.offset = 0
        self.ended = False
        self.follow_step_metric = False  # the live run's charts: x from define_metric
        self.skipped = 0  # bytes passed over by ``skip_to`` (their rows are not drawn)

    def skip_to(self, budget: int) -> None:
        """Keep up with a fast writer: when more than ``budget`` bytes are waiting, pass over all
        but the newest ``budget`` of them (from the next line start)."""
        try:
            size = os.path.getsize(self.path)
        except OSError:
            return
        if size - self.offset <= budget:
            return
        with open(self.path, "rb") as stream:
            stream.seek(size - budget)
            head = stream.read(min(budget, 1 << 16))
        cut = head.find(b"\n")
        if cut >= 0:
            self.skipped += size - budget + cut + 1 - self.offset
            self.offset = size - budget + cut + 1

    def read(self, limit: int | None = None) -> bool:
        """Read what is new (at most ``limit`` bytes); True if any record was read."""
        try:
            size = os.path.getsize(self.path)
        except OSError:
            return False
        if size <= self.offset:
            return False
        with open(self.path, "rb") as stream:
            stream.seek(self.offset)
            left = size - self.offset if limit is None else min(limit, size - self.offset)
            found = False
            while left > 0:
                block = stream.read(min(CHUNK, left))
                end = block.rfind(b"\n") + 1
                if end == 0:
                    break
                found = self._lines(block[:end]) or found
                self.offset += end
                left -= end
                stream.seek(self.offset)
        return found

    def _lines(self, block: bytes) -> bool:
        loads, found = orjson.loads, False
        columns = Columns(self.x_key, self.keys)
        for line in block.splitlines():
            try:
                record = loads(line)
            except orjson.JSONDecodeError:
                record = runlog.decode_line(line)
            if type(record) is list and len(record) == 2:
                found = True
                if record[0] == "h":
                    columns.row(record[1])
                elif record[0] in FIELDS:
                    self._field(record[0], record[1])
                    columns.x_key = self.x_key
        columns.into(self.data.streams, self.samples)
        return found

    def _field(self, kind: str, payload: Any) -> None:
        data = self.data
        if kind == "run" and isinstance(payload, dict):
            data.name = str(payload.get("name") or data.name)
            data.project = str(payload.get("project") or data.project)
        elif kind == "config" and isinstance(payload, dict):
            data.config.update(payload)
        elif kind == "metric" and isinstance(payload, dict) and "name" in payload:
            data.metrics[str(payload["name"])] = payload
            if self.follow_step_metric and self.x_key is None and payload.get("step_metric"):
                self.x_key = str(payload["step_metric"])
        elif kind == "exit" and isinstance(payload, dict):
            data.state, self.ended = str(payload.get("state", "finished")), True
        elif kind == "resume":
            data.state, self.ended = "running", False
        elif kind == "preempting":
            data.state = "preempting"

    def settle(self) -> None:
        """After a read: a log without an exit record whose writer is gone is a crashed run."""
        if not self.ended and not runlog.is_locked(self.path):
            self.data.state, self.ended = "crashed", True


class Columns:
    """One block's rows as columns: per metric the row numbers and values, per row its x values.

    Only numbers are kept per metric (objects the garbage collector does not track), so a
    block of many thousand rows is gathered without collector pauses.
    """

    def __init__(self, x_key: str | None, keys: frozenset[str] | None) -> None:
        self.x_key, self.keys = x_key, keys
        self.steps: list[int] = []
        self.runtimes: list[Any] = []
        self.timestamps: list[Any] = []
        self.xs: list[float | None] = []
        self.metrics: dict[str, tuple[list[int], list[float]]] = {}

    def row(self, row: Any) -> None:
        if type(row) is not dict or type(row.get("_step")) is not int:
            return
        index = len(self.steps)
        self.steps.append(row["_step"])
        self.runtimes.append(row.get("_runtime"))
        self.timestamps.append(row.get("_timestamp"))
        self.xs.append(_number(row.get(self.x_key)) if self.x_key else None)
        metrics, keys = self.metrics, self.keys
        for key, value in row.items():
            if key[0] == "_" or (keys is not None and key not in keys):
                continue
            if type(value) is not float or value - value != 0.0:  # not a finite float
                value = _number(value)
                if value is None:
                    continue
            column = metrics.get(key)
            if column is None:
                column = metrics[key] = ([], [])
            column[0].append(index)
            column[1].append(value)

    def into(self, streams: dict[str, Stream], samples: int) -> None:
        """Add every metric's points to its stream (a step not above the last one is dropped)."""
        steps, extras = self.steps, Extras(self.runtimes, self.timestamps, self.xs)
        for key, (rows, values) in self.metrics.items():
            stream = streams.get(key)
            if stream is None:
                stream = streams[key] = Stream(samples)
            at = [steps[i] for i in rows]
            keep = _rising(at, stream.last if stream.count else None)
            if keep is not None:
                rows, values = [rows[i] for i in keep], [values[i] for i in keep]
                at = [steps[i] for i in rows]
            stream.extend(at, values, extras.at(rows))


class Extras:
    """The x values of a block's rows, made into ``Extra`` tuples only for the points kept."""

    def __init__(self, runtimes: list[Any], timestamps: list[Any], xs: list[Any]) -> None:
        self.columns = (runtimes, timestamps, xs)

    def at(self, rows: list[int]) -> Picked:
        return Picked(self.columns, rows)


class Picked:
    """``Extras`` of some rows, as a sequence (``picked[i]`` is the i-th row's ``Extra``)."""

    def __init__(self, columns: tuple[list[Any], list[Any], list[Any]], rows: list[int]) -> None:
        self.columns, self.rows = columns, rows

    def __len__(self) -> int:
        return len(self.rows)

    def __iter__(self) -> Iterator[Extra]:
        return (self[i] for i in range(len(self.rows)))

    def __getitem__(self, index: int) -> Extra:
        row = self.rows[index]
        runtime, timestamp, x = (column[row] for column in self.columns)
        return (_number(runtime), _number(timestamp), x)


def _rising(steps: list[int], after: int | None) -> list[int] | None:
    """None when ``steps`` rise strictly (and start above ``after``); else the indexes that do."""
    if (after is None or steps[0] > after) and all(a < b for a, b in itertools.pairwise(steps)):
        return None
    keep, previous = [], after
    for index, step in enumerate(steps):
        if previous is None or step > previous:
            keep.append(index)
            previous = step
    return keep


def _number(value: Any) -> float | None:
    """A chartable float (as ``nbtrack.series.numeric``): a finite float or an int, not a bool."""
    kind = type(value)
    if kind is float:
        return value if value - value == 0.0 else None
    if kind is int:
        try:
            return float(value)
        except OverflowError:
            return None
    return None
