"""``nbtrack import tensorboard LOGDIR``: one nbtrack run per folder of event files under LOGDIR.

Scalars (``simple_value`` and the scalars plugin's tensors) become history rows, one per step,
with the event's wall time as ``_timestamp`` (``_runtime`` counts from the run's first event);
the hparams plugin's session values become the config; histograms (``histo`` and the histograms
plugin's tensors) and images (``image`` and the images plugin's tensors) become nbtrack media.
Events of several tags need not come in step order (a histogram logged after later scalars):
rows are kept back for up to 10,000 steps (``WINDOW``) and written in step order, so memory is
bounded whatever the length; a value later than that is dropped and counted in the report.
Other summaries (audio, text, graphs, ...) are left out and reported once per tag. The run is
named after its folder (relative to LOGDIR); the project is ``--project`` or LOGDIR's name.
Events are decoded with tensorboard's own protobuf definitions (the ``import-tensorboard`` extra).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from nbtrack.errors import UsageError
from nbtrack.importers import fingerprint, tfrecord
from nbtrack.importers.driver import Options, SourceRun, run_all
from nbtrack.importers.report import ImportReport
from nbtrack.importers.steporder import Block, StepOrder
from nbtrack.importers.tbrows import ScalarBlocks
from nbtrack.importers.tbvalues import ValueReader
from nbtrack.importers.writer import RunWriter

WINDOW = 10_000
BATCH = 4096  # events read together


def event_module() -> Any:
    try:
        from tensorboard.compat.proto import event_pb2
    except ImportError as exc:
        raise UsageError(
            "Reading TensorBoard event files needs the tensorboard package: "
            f"pip install 'nbtrack[import-tensorboard]' ({exc})"
        ) from None
    return event_pb2


def from_tensorboard(logdir: Path, **options: Any) -> ImportReport:
    event_pb2 = event_module()
    if not logdir.is_dir():
        raise UsageError(
            f"LOGDIR {str(logdir)!r} is not a folder; pass the folder TensorBoard reads."
        )
    settings = Options(**options)
    project = settings.project or logdir.resolve().name
    sources = [_source(event_pb2, logdir, folder, project) for folder in run_folders(logdir)]
    report = run_all("tensorboard", sources, settings)
    if not sources:
        report.problems.append(f"{logdir}: no event files (events.out.tfevents.*)")
    return report


def run_folders(logdir: Path) -> list[Path]:
    """Every folder under ``logdir`` (itself included) that holds event files."""
    found = {path.parent for path in logdir.rglob("*tfevents*") if path.is_file()}
    return sorted(found)


def event_files(folder: Path) -> list[Path]:
    return sorted(p for p in folder.iterdir() if "tfevents" in p.name and p.is_file())


def _source(event_pb2: Any, logdir: Path, folder: Path, project: str) -> SourceRun:
    files = event_files(folder)
    name = folder.relative_to(logdir).as_posix()
    name = logdir.resolve().name if name == "." else name
    stamp = fingerprint.of_files("tensorboard", files)
    info: dict[str, Any] = {"name": name, "project": project}
    created = _first_wall_time(event_pb2, files)
    if created is not None:
        info["created_at"] = created
    label = str(folder)
    return SourceRun(label, stamp, info, lambda w: EventsRun(event_pb2, files, w).read())


def _first_wall_time(event_pb2: Any, files: list[Path]) -> float | None:
    for path in files:
        for data in tfrecord.records(path, []):
            event = event_pb2.Event()
            event.ParseFromString(data)
            return float(event.wall_time)
    return None


class EventsRun:
    """Replays a folder's event files (in name order: TensorBoard's) into a RunWriter.

    Events are read in batches: a batch of plain scalars becomes a block of lines at once
    (:mod:`nbtrack.importers.tbrows`), any other batch is read event by event. The events of a
    batch's last step wait for the next batch, so that a block holds whole steps.
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
