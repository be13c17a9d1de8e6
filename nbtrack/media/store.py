"""A run's ``files/media/``: files written once each, off the caller's thread, then recorded.

The history row referring to a file is written at ``log()`` time; its file is encoded and written
here, to a temporary name then renamed, and only then does the run log gain the ``file`` record
that makes the uploader send it. ``wait()`` (called by ``finish()``) lets pending files finish,
and helps: it writes the waiting ones from the last back while the writer thread goes on from
the first (encoding releases the GIL, so a run that logged many images ends sooner on a machine
with a core to spare). Each file is written once, by whichever thread claims it first.
"""

from __future__ import annotations

import hashlib
import os
import tempfile
import threading
from collections.abc import Callable, Iterable
from concurrent.futures import Future, ThreadPoolExecutor
from pathlib import Path
from typing import Any

from nbtrack import console
from nbtrack.media.base import MEDIA_DIR, FileJob

Recorder = Callable[[str, dict[str, Any]], None]


class MediaStore:
    """Writes media files of one run directory (none at all when ``folder`` is None)."""

    def __init__(self, folder: Path | None, record: Recorder, name: str = "run") -> None:
        self._folder = folder
        self._record = record
        self._seen: set[str] = set()
        self._lock = threading.Lock()
        self._futures: list[Future[None]] = []
        self._waiting: dict[str, FileJob] = {}  # submitted, not claimed by a thread yet
        self._prune_at = 64  # futures kept before the done ones are dropped
        self._pool = ThreadPoolExecutor(1, thread_name_prefix=f"nbtrack-media-{name}")

    def put(self, jobs: Iterable[FileJob]) -> None:
        """Write the files not written yet, in the background."""
        if self._folder is None:
            return
        with self._lock:
            fresh = {job.name: job for job in jobs if job.name not in self._seen}
            self._seen.update(fresh)
            self._waiting.update(fresh)
            self._futures += [self._pool.submit(self._write, job) for job in fresh.values()]
            if len(self._futures) >= self._prune_at:  # the done ones let go, now and then
                self._futures = [f for f in self._futures if not f.done()]
                self._prune_at = 2 * len(self._futures) + 64

    def pending(self) -> int:
        with self._lock:
            return sum(not f.done() for f in self._futures)

    def wait(self) -> None:
        """Let every pending file be written and recorded (helping with the waiting ones); say
        which failed."""
        with self._lock:
            futures, self._futures = self._futures, []
            waiting = list(self._waiting.values())
        outcomes: list[Future[None] | FileJob] = [*reversed(waiting), *futures]
        for outcome in outcomes:
            try:
                if isinstance(outcome, FileJob):
                    self._write(outcome)
                else:
                    outcome.result()
            except Exception as exc:
                console.say(f"a media file could not be written: {exc!r}")
        self._pool.shutdown(wait=True)

    def _write(self, job: FileJob) -> None:
        assert self._folder is not None
        with self._lock:
            if self._waiting.pop(job.name, None) is None:
                return  # written by another thread

        target = self._folder / job.name
        if target.is_file():  # a resumed run logging what it logged before
            data = target.read_bytes()
        else:
            data = job.content()
            _write_atomic(target, data)
        self._record("file", {"name": job.name, "size": len(data), "sha256": _sha(data)})


def copies(source_files: Path) -> list[FileJob]:
    """Jobs that copy another run's media files (a fork keeps the media its rows refer to)."""
    folder = source_files / MEDIA_DIR
    found = sorted(p for p in folder.glob("*") if p.is_file() and not p.name.startswith("."))
    return [FileJob(f"{MEDIA_DIR}/{p.name}", encode=p.read_bytes) for p in found]


def _write_atomic(target: Path, data: bytes) -> None:
    target.parent.mkdir(parents=True, exist_ok=True)
    fd, temp = tempfile.mkstemp(dir=target.parent, prefix=".", suffix=".part")
    try:
        os.fchmod(fd, 0o644)
        with os.fdopen(fd, "wb") as stream:
            stream.write(data)
        os.replace(temp, target)
    except BaseException:
        Path(temp).unlink(missing_ok=True)
        raise


def _sha(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()
