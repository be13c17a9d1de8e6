"""The first reading of the compared runs, shared with a helper process when there is much to read.

Ended runs come from their kept readings (``compare-cache.json``). When the logs left to read
hold ``HELPER_BYTES`` or more and the machine has more than one core, helper processes (this
module run with the kernel's python, one fewer than the cores, at most ``MAX_HELPERS``) read logs
from the front of the list while this process reads from the back, until they meet. A thread per
helper hands it one log at a time over a pipe and takes back the reader it built (offset, state,
downsampled streams), so the reading is the one this process would have made; the helper keeps
it beside the log as this process would. A log a helper could not read (it failed or exited) is
read here.

The helper is a fresh interpreter started with ``subprocess`` (no ``fork`` of the kernel, no
re-import of ``__main__``); it starts in about 0.1 s, while this process is already reading.
"""

from __future__ import annotations

import collections
import os
import pickle
import subprocess
import sys
import threading
from collections.abc import Sequence
from typing import IO, Any

from nbtrack import helperprocess
from nbtrack.jupyter.compare.sources import LocalSource, Source

HELPER_BYTES = 48 << 20  # less to read than this: no helper (its start would not pay)
MAX_HELPERS = 3  # helper processes at most (one fewer than the cores)


def load(sources: Sequence[Source]) -> None:
    """Load every source: kept readings first, then the logs, with a helper if it pays."""
    todo = [s for s in sources if not isinstance(s, LocalSource) or not s.cached()]
    local = collections.deque(s for s in todo if isinstance(s, LocalSource))
    for source in todo:
        if not isinstance(source, LocalSource):
            source.load()
    helpers = min(helperprocess.cores() - 1, len(local) - 1, MAX_HELPERS)
    if helpers > 0 and sum(s.unread() for s in local) >= HELPER_BYTES:
        _shared(local, helpers)
    for source in local:
        source.read_log()


def _shared(queue: collections.deque[LocalSource], helpers: int) -> None:
    """Read the logs in ``queue`` with helpers; those left (or failed) stay in ``queue``."""
    failed: list[LocalSource] = []
    started: list[subprocess.Popen[bytes]] = []
    for _ in range(helpers):
        try:
            started.append(_start())
        except OSError:  # no python to start (an embedded interpreter): fewer helpers
            break
    threads = [
        threading.Thread(target=_feed, args=(helper, queue, failed), daemon=True)
        for helper in started
    ]
    for thread in threads:
        thread.start()
    try:
        while True:
            try:
                source = queue.pop()
            except IndexError:
                break
            source.read_log()
    finally:
        for thread, helper in zip(threads, started, strict=True):
            thread.join()
            _stop(helper)
    queue.extend(failed)


def _start() -> subprocess.Popen[bytes]:
    pipes = {"stdin": subprocess.PIPE, "stdout": subprocess.PIPE}
    return helperprocess.start("nbtrack.jupyter.compare.loading", **pipes)


def _feed(
    helper: subprocess.Popen[bytes], queue: collections.deque[LocalSource], failed: list[Any]
) -> None:
    """The helper's side: one log at a time from the front of ``queue``."""
    assert helper.stdin is not None and helper.stdout is not None
    while True:
        try:
            source = queue.popleft()
        except IndexError:
            return
        try:
            _send(helper.stdin, source.job())
            reader = pickle.load(helper.stdout)
        except (OSError, EOFError, pickle.UnpicklingError):
            reader = None
        if reader is None:
            failed.append(source)
            return
        source.take(reader)


def _stop(helper: subprocess.Popen[bytes]) -> None:
    """Close the pipes (the helper exits at the end of its input) and wait for it."""
    try:
        for pipe in (helper.stdin, helper.stdout):
            if pipe is not None:
                pipe.close()
        helper.wait(timeout=10)
    except (OSError, subprocess.TimeoutExpired):
        helper.kill()
        helper.wait()


def _send(stream: IO[bytes], value: Any) -> None:
    pickle.dump(value, stream, protocol=pickle.HIGHEST_PROTOCOL)
    stream.flush()


def serve(jobs: IO[bytes], out: IO[bytes]) -> None:
    """The helper: read each log asked for and answer its reader (None if reading failed)."""
    while True:
        try:
            job = pickle.load(jobs)
        except EOFError:
            return
        try:
            source = LocalSource(*job)
            source.read_log()
            answer: Any = source.reader
        except Exception:  # any failure: the asking process reads that log itself
            answer = None
        _send(out, answer)


def main() -> None:
    """The helper's entry: answers go to the pipe that was stdout, anything printed to stderr."""
    answers = os.fdopen(os.dup(1), "wb")
    os.dup2(2, 1)
    serve(sys.stdin.buffer, answers)


if __name__ == "__main__":
    main()
