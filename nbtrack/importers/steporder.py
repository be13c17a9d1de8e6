"""Rows gathered by step from values that need not arrive in step order (TensorBoard's tags),
released in step order once more than ``window`` are held: memory bounded whatever the length,
and O(1) per step for the usual in-order stream."""

from __future__ import annotations

import heapq
from collections import deque
from collections.abc import Callable
from typing import Any

Row = dict[str, Any]


class StepOrder:
    def __init__(self, window: int, write: Callable[[Row], None]) -> None:
        self.window, self.write = window, write
        self.ordered: dict[int, Row] = {}  # steps that came in rising order
        self.order: deque[int] = deque()  # those steps, lowest first
        self.late: dict[int, Row] = {}  # steps that came behind them
        self.late_steps: list[int] = []  # a heap of the late steps
        self.last = -1  # the highest step held or written
        self.written = 0  # every step below this one is written (or dropped)
        self.dropped = 0

    def row(self, step: int, make: Callable[[], Row]) -> Row | None:
        """The row of ``step`` (made when new); None when that step is already written."""
        row = self.ordered.get(step)
        if row is None:
            row = self.late.get(step)
        if row is not None:
            return row
        if step < self.written:
            self.dropped += 1
            return None
        row = make()
        if step > self.last:
            self.ordered[step] = row
            self.order.append(step)
            self.last = step
        else:
            self.late[step] = row
            heapq.heappush(self.late_steps, step)
        if len(self.ordered) + len(self.late) > self.window:
            self._release()
        return row

    def _release(self) -> None:
        order = self.order
        if self.late_steps and (not order or self.late_steps[0] < order[0]):
            step = heapq.heappop(self.late_steps)
            row = self.late.pop(step)
        else:
            step = order.popleft()
            row = self.ordered.pop(step)
        self.written = step + 1
        self.write(row)

    def flush(self) -> None:
        while self.ordered or self.late:
            self._release()
