"""Rows released in step order through a bounded window."""

from __future__ import annotations

from typing import Any

from nbtrack.importers.tensorboard.steporder import StepOrder


def test_late_steps_join_their_rows_within_the_window() -> None:
    written: list[dict[str, Any]] = []
    rows = StepOrder(3, written.append)
    for step, key in [(0, "a"), (1, "a"), (2, "a"), (1, "b"), (5, "a"), (3, "h"), (6, "a")]:
        row = rows.row(step, dict)
        assert row is not None
        row.setdefault("_step", step)
        row[key] = step
    assert [r["_step"] for r in written] == [0, 1, 2]  # more than 3 held: the lowest went out
    assert rows.row(0, dict) is None and rows.dropped == 1  # too late: dropped, counted
    rows.flush()
    assert [r["_step"] for r in written] == [0, 1, 2, 3, 5, 6]
    assert written[1] == {"_step": 1, "a": 1, "b": 1}
