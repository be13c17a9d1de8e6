"""A ``.wandb`` log's summary records folded into the run's summary (each key's last JSON text).

They write nothing to the run until its end and depend on nothing else in the log, so they are
folded many at a time (:func:`nbtrack.importers.wandb.rows.summary_updates`), or one by one when
a batch holds anything unusual. Keys a fold removed are kept, so that the fold of a log's second
half can be laid over the first's (:meth:`Fold.after`).
"""

from __future__ import annotations

from typing import Any

from nbtrack.importers.wandb.rows import summary_updates

BATCH = 4096  # summary payloads folded together


def item_key(item: Any) -> str:
    return ".".join(item.nested_key) if item.nested_key else str(item.key)


class Fold:
    """``add(payloads)`` in file order; ``summary`` (key -> JSON text) once ``flush()``-ed."""

    def __init__(self, pb: Any) -> None:
        self.pb = pb
        self.summary: dict[str, str] = {}
        self.removed: set[str] = set()  # keys removed and not set again since
        self.pending: list[bytes] = []
        self.problems: list[str] = []

    def add(self, payloads: list[bytes]) -> None:
        self.pending += payloads
        if len(self.pending) >= BATCH:
            self.flush()

    def flush(self) -> None:
        """The payloads held, each once: where one recurs (wandb-core writes the same runtime
        record again and again), only its last time counts, as it sets the same keys again.
        In one batch, or one by one when that fails."""
        held, self.pending = self.pending, []
        held = list(dict.fromkeys(reversed(held)))[::-1]
        updates = summary_updates(self.pb, b"".join(held)) if held else []
        if updates is None:
            for data in held:
                try:
                    record = self.pb.SummaryRecord.FromString(data)
                except Exception as exc:  # a record wandb itself could not read
                    self.problems.append(f"unreadable record: {exc}")
                    continue
                self.fold(record)
            return
        self.summary.update(updates)
        if self.removed:
            self.removed.difference_update(key for key, _ in updates)

    def fold(self, record: Any) -> None:
        for item in record.update:
            self.summary[key := item_key(item)] = item.value_json
            self.removed.discard(key)
        for item in record.remove:
            self.summary.pop(key := item_key(item), None)
            self.removed.add(key)

    def after(self, summary: dict[str, str], removed: set[str]) -> None:
        """Lay a later part's fold (its summary and removed keys) over this one."""
        self.flush()
        for key in removed:
            self.summary.pop(key, None)
        self.summary.update(summary)
        self.removed = (self.removed - summary.keys()) | removed
