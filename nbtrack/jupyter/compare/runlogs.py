"""Reading a local run log incrementally: only the bytes written since the last read.

``LogReader`` keeps its byte offset in ``run.nbtrack`` and turns new complete lines into
``RunData``: the run's fields, config, metric definitions, state and one ``Stream`` per metric
(each point carrying its ``_runtime``, ``_timestamp`` and the chosen x key's value). A torn last
line is left for the next read. The log is parsed a block (``CHUNK`` bytes) at a time, so memory
stays flat whatever the run's length: decoded by msgspec into the row keys needed
(:mod:`nbtrack.jupyter.compare.typed`), or, when it refuses the block, as JSON
(:mod:`nbtrack.jupyter.compare.rows`); both give the same records.
"""

from __future__ import annotations

import dataclasses
import os
from pathlib import Path
from typing import Any

from nbtrack import runlog
from nbtrack.jupyter.compare import rows as rows_module
from nbtrack.jupyter.compare import typed
from nbtrack.jupyter.compare.stream import Stream

CHUNK = 1 << 20  # a block of rows parsed at once (its objects live until its points are added)
FIELDS = ("run", "config", "metric", "exit", "resume", "preempting")


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
        self.row_keys: frozenset[str] | None = None  # the keys history rows were seen to hold

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
                if end == 0 and len(block) < left:  # a line longer than a block
                    block += stream.readline(left - len(block))
                    end = len(block) if block.endswith(b"\n") else 0
                if end == 0:
                    break
                with rows_module.no_collection():
                    found = self._lines(block[:end]) or found
                self.offset += end
                left -= end
                stream.seek(self.offset)
        return found

    def _lines(self, block: bytes) -> bool:
        decoding = self._decoding(block)
        records = None if decoding is None else decoding.decode(block)
        if decoding is None or records is None:
            return self._records(block)
        history = decoding.history
        others = []
        if set(map(type, records)) != {history}:
            others = [index for index, record in enumerate(records) if type(record) is not history]
        start = 0
        for index in [*others, len(records)]:  # runs of rows, each up to a record of other kind
            self._add_structs([record.payload for record in records[start:index]], decoding)
            if index < len(records):
                kind = decoding.kind(records[index])
                if kind in FIELDS:  # rows before a definition: as in _records
                    self._field(kind, typed.payload(records[index]))
            start = index + 1
        return bool(records)

    def _decoding(self, block: bytes) -> typed.Decoding | None:
        """msgspec's decoding of the keys wanted, or of every key the rows were seen to hold
        (at first: the keys of the block's first history row)."""
        if self.keys is not None:
            return typed.decoding(typed.keys_of(self.keys, self.x_key), False)
        if self.row_keys is None:
            self.row_keys = typed.first_row_keys(block)
            if self.row_keys is None:
                return None
        return typed.decoding(typed.keys_of(self.row_keys, self.x_key), True)

    def _add_structs(self, rows: list[Any], decoding: typed.Decoding) -> None:
        if rows:
            streams, samples = self.data.streams, self.samples
            rows_module.add_structs(rows, decoding.fields, streams, samples, self.x_key, self.keys)

    def _records(self, block: bytes) -> bool:
        parsed = rows_module.records(block)
        history = rows_module.history(parsed, block)
        if history is not None:  # the common block: history rows only
            self._add(history)
            return bool(history)
        found, rows = False, []
        for record in parsed:
            if type(record) is not list or len(record) != 2:
                continue
            found = True
            if record[0] == "h":
                rows.append(record[1])
            elif record[0] in FIELDS:
                self._add(rows)  # rows before a definition keep the x key they were read with
                rows = []
                self._field(record[0], record[1])
        self._add(rows)
        return found

    def _add(self, rows: list[Any]) -> None:
        if rows:
            rows_module.add_rows(rows, self.data.streams, self.samples, self.x_key, self.keys)
            if self.keys is None:
                seen = set().union(*(row for row in rows if type(row) is dict))
                self.row_keys = frozenset(seen.union(self.row_keys or ()))

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
