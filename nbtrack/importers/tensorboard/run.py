"""A folder's event files replayed into a run, in step order (what maps where:
:mod:`nbtrack.importers.tensorboard`)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from nbtrack.importers.tensorboard import tfrecord
from nbtrack.importers.tensorboard.rows import ScalarBlocks
from nbtrack.importers.tensorboard.steporder import Block, StepOrder
from nbtrack.importers.tensorboard.values import ValueReader
from nbtrack.importers.writer import RunWriter

WINDOW = 10_000
BATCH = 4096  # events read together


class EventsRun:
    """Replays a folder's event files (in name order: TensorBoard's) into a RunWriter.

    Events are read in batches: a batch of plain scalars becomes a block of lines at once
    (:mod:`nbtrack.importers.tensorboard.rows`), any other batch is read event by event. The
    events of a batch's last step wait for the next batch, so that a block holds whole steps.
    """

    def __init__(self, event_pb2: Any, files: list[Path], writer: RunWriter) -> None:
        self.event_pb2, self.files, self.writer = event_pb2, files, writer
        self.values = ValueReader(writer)
        self.start = float(writer.info["created_at"])
        self.rows = StepOrder(WINDOW, self._write, self._write_block)
        self.blocks = ScalarBlocks(event_pb2, self.start)

    def read(self) -> str:
        held: list[bytes] = []
        for path in self.files:
            for found in tfrecord.batches(path, self.writer.problems):
                held += found
                while len(held) >= BATCH:
                    held = self._batch(held[:BATCH], False) + held[BATCH:]
        self._batch(held, True)
        self.rows.flush()
        self.writer.dropped += self.rows.dropped  # later than the window allows
        self.writer.add_config(self.values.hparams)
        return "finished"

    def _batch(self, held: list[bytes], end: bool) -> list[bytes]:
        """Reads ``held`` but the events of its last step (unless at the ``end``): those are
        returned, to start the next batch."""
        events = self.blocks.events(held) if held else None
        if events is None:
            self._one_by_one(held)
            return []
        cut = len(held) if end else _last_step_start(events.steps) or len(held)
        lead = _lead(events.steps, self.rows.last)
        block = None
        if lead == 0 and cut == len(held):
            block = self.blocks.block(events)
        elif cut > lead:
            part = self.blocks.events(held[lead:cut])
            block = self.blocks.block(part) if part is not None else None
        if block is None:
            self._one_by_one(held[:cut])
        else:
            self._one_by_one(held[:lead])
            self.rows.add_block(block)
        return held[cut:]

    def _one_by_one(self, held: list[bytes]) -> None:
        parse = self.event_pb2.Event
        for data in held:
            event = parse()
            event.ParseFromString(data)
            if event.HasField("summary"):
                self._summary(event)

    def _summary(self, event: Any) -> None:
        at = event.wall_time
        row = self.rows.row(
            event.step, lambda: {"_step": event.step, "_runtime": at - self.start, "_timestamp": at}
        )
        if row is None:
            return
        for item in event.summary.value:
            if item.WhichOneof("value") == "simple_value":
                row[item.tag] = item.simple_value
            elif (got := self.values.read(item)) is not None:
                row[item.tag] = got

    def _write(self, row: dict[str, Any]) -> None:
        if len(row) > 3:
            self.writer.add_row(row)

    def _write_block(self, block: Block) -> None:
        self.writer.summary.update(block.summary)
        self.writer.add_block(block.text, block.rows, block.last, block.runtime)


def _last_step_start(steps: list[int]) -> int:
    """Where the events of the last step begin."""
    cut = len(steps)
    while cut > 0 and steps[cut - 1] == steps[-1]:
        cut -= 1
    return cut


def _lead(steps: list[int], last: int) -> int:
    """How many events at the start belong to steps already held or written."""
    return next((i for i, step in enumerate(steps) if step > last), len(steps))
