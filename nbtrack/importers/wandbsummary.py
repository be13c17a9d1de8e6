"""A ``.wandb`` log's summary records folded into the run's summary (each key's last JSON text).

wandb-core writes two summary records for every history row (the row's values, then the
runtime), so in a long run they are two thirds of the records. They write nothing to the run
until its end and depend on nothing else in the log, so a long log's are folded by a helper
process (this module run with the same python) while this process writes the history: the
payloads go down a pipe in batches, in file order (joined, with their lengths), and the summary
comes back at the end. A log
shorter than ``HELPER_BYTES`` (or a machine with one core) folds them here.
"""

from __future__ import annotations

import array
import functools
import itertools
import os
import pickle
import struct
import subprocess
import sys
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import IO, Any

from nbtrack.importers.wandbrows import summary_updates

BATCH = 4096  # summary payloads folded (or sent) together
HELPER_BYTES = 64 << 20  # a log shorter than this folds its summaries in this process
HEAD = struct.Struct("<II")  # a batch sent to the helper: its count of payloads and their size


def item_key(item: Any) -> str:
    return ".".join(item.nested_key) if item.nested_key else str(item.key)


class Fold:
    """``add(payloads)`` in file order, then ``result()``: the summary (key -> JSON text) and
    the problems met (records that could not be read)."""

    def __init__(self, pb: Any) -> None:
        self.pb = pb
        self.summary: dict[str, str] = {}
        self.pending: list[bytes] = []
        self.problems: list[str] = []

    def add(self, payloads: list[bytes]) -> None:
        self.pending += payloads
        if len(self.pending) >= BATCH:
            self.flush()

    def flush(self) -> None:
        held, self.pending = self.pending, []
        if held:
            self.take(b"".join(held), lambda: held)

    def take(self, joined: bytes, payloads: Callable[[], list[bytes]]) -> None:
        """Summary payloads (joined) in one batch, or one by one (``payloads()``) when that
        fails."""
        updates = summary_updates(self.pb, joined)
        if updates is not None:
            self.summary.update(updates)
            return
        for data in payloads():
            try:
                record = self.pb.SummaryRecord.FromString(data)
            except Exception as exc:  # a record wandb itself could not read
                self.problems.append(f"unreadable record: {exc}")
                continue
            self.fold(record)

    def fold(self, record: Any) -> None:
        for item in record.update:
            self.summary[item_key(item)] = item.value_json
        for item in record.remove:
            self.summary.pop(item_key(item), None)

    def result(self) -> tuple[dict[str, str], list[str]]:
        self.flush()
        return self.summary, self.problems


class Helper:
    """The same as :class:`Fold`, done by a helper process started with the first full batch
    (a log with fewer summary records folds them here); where the helper cannot start, this
    process folds them, and where it stops answering, what it was sent is lost to the summary
    and reported."""

    def __init__(self, pb: Any) -> None:
        self.here = Fold(pb)
        self.process: subprocess.Popen[bytes] | None = None
        self.pending: list[bytes] = []
        self.broken: str | None = None

    def add(self, payloads: list[bytes]) -> None:
        self.pending += payloads
        if len(self.pending) >= BATCH:
            self._send()

    def _send(self) -> None:
        held, self.pending = self.pending, []
        if self.process is None:
            self.process = _start()
        if self.process is None:
            self.here.add(held)
        elif self.broken is None:
            try:
                _write(self.process.stdin, held)
            except OSError as exc:
                self.broken = f"the summary helper stopped: {exc}"

    def result(self) -> tuple[dict[str, str], list[str]]:
        if self.process is None:
            self.here.add(self.pending)
            return self.here.result()
        self._send()
        summary, problems = _answer(self.process)
        return summary, ([self.broken] if self.broken and not problems else problems)


def _start() -> subprocess.Popen[bytes] | None:
    root = str(Path(__file__).resolve().parents[2])
    path = os.pathsep.join([root, *filter(None, [os.environ.get("PYTHONPATH")])])
    try:
        return subprocess.Popen(
            [sys.executable, "-m", "nbtrack.importers.wandbsummary"],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            env={**os.environ, "PYTHONPATH": path},
        )
    except OSError:  # no python to start (an embedded interpreter)
        return None


def _answer(process: subprocess.Popen[bytes]) -> tuple[dict[str, str], list[str]]:
    """The helper's answer, once its input is closed."""
    stdin, stdout = process.stdin, process.stdout
    assert stdin is not None and stdout is not None
    try:
        stdin.close()
        summary, problems = pickle.load(stdout)
    except (OSError, EOFError, pickle.UnpicklingError, ValueError) as exc:
        summary, problems = {}, [f"the summary helper stopped: {exc}"]
    finally:
        stdout.close()
        process.wait()
    return summary, problems


def folder(pb: Any, size: int) -> Fold | Helper:
    """A helper process for a long log on a machine with a core to spare, else a :class:`Fold`."""
    return Helper(pb) if size >= HELPER_BYTES and _cores() > 1 else Fold(pb)


def _cores() -> int:
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # not on Linux
        return os.cpu_count() or 1


def _write(stream: IO[bytes] | None, payloads: list[bytes]) -> None:
    """A batch down the pipe: count, size, each payload's length, the payloads joined."""
    assert stream is not None
    joined = b"".join(payloads)
    lengths = array.array("I", map(len, payloads))
    stream.write(HEAD.pack(len(payloads), len(joined)) + lengths.tobytes() + joined)
    stream.flush()


def _batches(stream: IO[bytes]) -> Iterator[tuple[bytes, array.array[int]]]:
    """``_write``'s batches: ``(joined payloads, their lengths)``, until the end of input."""
    while head := stream.read(HEAD.size):
        count, size = HEAD.unpack(head)
        lengths = array.array("I")
        lengths.frombytes(stream.read(4 * count))
        joined = stream.read(size)
        if len(lengths) != count or len(joined) != size:
            raise EOFError("a batch was cut short")
        yield joined, lengths


def _split(joined: bytes, lengths: array.array[int]) -> list[bytes]:
    ends = list(itertools.accumulate(lengths))
    return [joined[end - length : end] for end, length in zip(ends, lengths, strict=True)]


def serve(batches: IO[bytes], out: IO[bytes]) -> None:
    """The helper: fold each batch read, answer ``(summary, problems)`` at the end of input."""
    from nbtrack.importers import wandbproto

    fold = Fold(wandbproto.records())
    try:
        for joined, lengths in _batches(batches):
            fold.take(joined, functools.partial(_split, joined, lengths))
    except EOFError as exc:
        fold.problems.append(f"the summary helper was cut short: {exc}")
    pickle.dump(fold.result(), out, protocol=pickle.HIGHEST_PROTOCOL)
    out.flush()


def main() -> None:
    """The helper's entry: the answer goes to the pipe that was stdout, anything printed to
    stderr."""
    answer = os.fdopen(os.dup(1), "wb")
    os.dup2(2, 1)
    serve(sys.stdin.buffer, answer)


if __name__ == "__main__":
    main()
