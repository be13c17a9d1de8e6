"""The second half of a long ``.wandb`` log, read by a helper process while this one reads the
first half: the two halves of the work (framing and checking records, turning history into
lines, folding the summary) take the two cores.

The helper (this module run with the same python) reads from the middle block on (after the
end of a record begun before it) and writes what it read, in order, to a temporary file (a
hidden one beside the run being written, on the disk that must hold the run anyway):
``("block", Block)`` for lines made, ``("rows", payloads)`` for history to read one by one,
``("record", bytes)`` for any other record, and last ``("end", summary, removed keys,
problems)``. This process, done with its half, takes those in order as if it had read them
(a block whose first step is not past the rows before it is read row by row). If the helper
fails, this process reads the second half itself. A log shorter than ``HALF_BYTES``, or a
machine with one core, is read here alone.
"""

from __future__ import annotations

import os
import pickle
import subprocess
import sys
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import IO, Any

from nbtrack import helperprocess
from nbtrack.importers.wandb.logfile import BLOCK, LogReader
from nbtrack.importers.wandb.replay import Replay
from nbtrack.importers.wandb.rows import Block

HALF_BYTES = 64 << 20  # a log shorter than this is read by one process


def middle(log: Path) -> int | None:
    """The block where the helper starts; None to read the log here alone."""
    size = log.stat().st_size
    return (size // BLOCK) // 2 if size >= HALF_BYTES and helperprocess.cores() > 1 else None


class Half:
    """``with Half(log, middle, folder) as half:`` starts the helper (when ``middle`` is not
    None); ``segments()`` waits for it and yields what it read (None if it failed)."""

    def __init__(self, log: Path, middle: int | None, folder: Path) -> None:
        self.log, self.folder = log, folder  # the temporary file's folder
        self.middle = middle  # None once no helper runs (none asked for, or none could start)
        self.process: subprocess.Popen[bytes] | None = None
        self.path: Path | None = None

    def __enter__(self) -> Half:
        if self.middle is not None:
            handle, name = tempfile.mkstemp(prefix=".wandb-", suffix=".half", dir=self.folder)
            os.close(handle)
            self.path = Path(name)
            self.process = _start(self.log, self.middle, self.path)
            self.middle = self.middle if self.process is not None else None
        return self

    def __exit__(self, *exc: Any) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.kill()
            self.process.wait()
        if self.path is not None:
            self.path.unlink(missing_ok=True)

    def segments(self) -> Iterator[tuple[Any, ...]] | None:
        assert self.process is not None and self.path is not None
        if self.process.wait() != 0:
            return None
        return _read(self.path)


def _start(log: Path, middle: int, out: Path) -> subprocess.Popen[bytes] | None:
    module = "nbtrack.importers.wandb.half"
    try:
        return helperprocess.start(
            module, str(log), str(middle), str(out), stdin=subprocess.DEVNULL
        )
    except OSError:  # no python to start (an embedded interpreter): read here alone
        return None


def _read(path: Path) -> Iterator[tuple[Any, ...]]:
    with open(path, "rb") as stream:
        while True:
            try:
                yield pickle.load(stream)
            except EOFError:
                return


class HalfReader(Replay):
    """The helper's side: what it reads goes to ``out``, in order."""

    def __init__(self, pb: Any, out: IO[bytes]) -> None:
        super().__init__(pb)
        self.out = out
        self.next = 0  # past the last block made (the rows read one by one are not counted)

    @property
    def next_step(self) -> int:
        return self.next

    def emit(self, *segment: Any) -> None:
        pickle.dump(segment, self.out, protocol=pickle.HIGHEST_PROTOCOL)

    def on_block(self, block: Block) -> None:
        self.emit("block", block)
        self.next = block.step + 1

    def on_rows(self, payloads: list[bytes]) -> None:
        self.emit("rows", payloads)

    def on_record(self, kind: str, record: Any) -> None:
        self.emit("record", record.SerializeToString())


def main() -> None:
    from nbtrack.importers.wandb import proto

    log, first, out = Path(sys.argv[1]), int(sys.argv[2]), Path(sys.argv[3])
    reader = LogReader(log)
    with open(out, "wb") as stream:
        half = HalfReader(proto.records(), stream)
        half.replay(reader.batches(first))
        half.summaries.flush()
        problems = half.problems + half.summaries.problems + reader.problems
        half.emit("end", half.summaries.summary, half.summaries.removed, problems)


if __name__ == "__main__":
    main()
