"""Rows gathered by step from values that need not arrive in step order (TensorBoard's tags),
released in step order once more than ``window`` are held: memory bounded whatever the length,
and O(1) per step for the usual in-order stream.

A run of rows already encoded (a :class:`Block`, made many at a time from rows that came in
order) is held whole, and opened into rows only when a late value falls inside it; it leaves
when the rows held after it still fill the window.
"""

from __future__ import annotations

import heapq
from collections import deque
from collections.abc import Callable
from typing import Any, NamedTuple

from nbtrack import runlog

Row = dict[str, Any]


class Block(NamedTuple):
    first: int  # step of the first row
    last: int  # step of the last row
    rows: int
    text: bytes  # the rows as run-log lines
    runtime: float  # of the last row
    summary: dict[str, Any]  # the last value of each key


class StepOrder:
    def __init__(
        self,
        window: int,
        write: Callable[[Row], None],
        write_block: Callable[[Block], None] | None = None,
    ) -> None:
        self.window, self.write, self.write_block = window, write, write_block
        self.ordered: dict[int, Row] = {}  # steps that came in rising order
        self.order: deque[int | Block] = deque()  # those steps (and blocks), lowest first
        self.late: dict[int, Row] = {}  # steps that came behind them
        self.late_steps: list[int] = []  # a heap of the late steps
        self.block_rows = 0  # rows held in blocks
        self.last = -1  # the highest step held or written
        self.written = 0  # every step below this one is written (or dropped)
        self.dropped = 0

    @property
    def held(self) -> int:
        return len(self.ordered) + len(self.late) + self.block_rows

    def row(self, step: int, make: Callable[[], Row]) -> Row | None:
        """The row of ``step`` (made when new); None when that step is already written."""
        row = self.ordered.get(step)
        if row is None:
            row = self.late.get(step)
        if row is None and self.block_rows and self.written <= step <= self.last:
            self._open(step)
            row = self.ordered.get(step)
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
        self._trim()
        return row

    def add_block(self, block: Block) -> None:
        """Rows after every step held or written (``block.first > last``)."""
        self.order.append(block)
        self.block_rows += block.rows
        self.last = block.last
        self._trim()

    def _open(self, step: int) -> None:
        """The block holding ``step`` (if any) becomes rows again."""
        found = [b for b in self.order if isinstance(b, Block) and b.first <= step <= b.last]
        if not found:
            return
        order: deque[int | Block] = deque()
        for item in self.order:
            if item is not found[0]:
                order.append(item)
                continue
            for line in item.text.splitlines(keepends=True):
                record = runlog.decode_line(line)
                assert record is not None and record[0] == "h"
                self.ordered[record[1]["_step"]] = record[1]
                order.append(record[1]["_step"])
        self.order = order
        self.block_rows -= found[0].rows

    def _trim(self) -> None:
        while self.held > self.window and self._release(False):
            pass

    def _release(self, all: bool) -> bool:
        order = self.order
        front = order[0] if order else None
        first = front.first if isinstance(front, Block) else front
        if self.late_steps and (first is None or self.late_steps[0] < first):
            step = heapq.heappop(self.late_steps)
            self.written = step + 1
            self.write(self.late.pop(step))
        elif isinstance(front, Block):
            if not all and self.held - front.rows < self.window:
                return False  # the rows after it do not fill the window yet
            order.popleft()
            self.block_rows -= front.rows
            self.written = front.last + 1
            assert self.write_block is not None
            self.write_block(front)
        elif front is not None:
            self.written = front + 1
            order.popleft()
            self.write(self.ordered.pop(front))
        return bool(order or self.late_steps)

    def flush(self) -> None:
        while (self.order or self.late_steps) and self._release(True):
            pass
