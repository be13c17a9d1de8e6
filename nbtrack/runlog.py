"""The run log: an append-only file of JSON lines, the single source of truth of a run.

Format (version 1), file ``run.nbtrack`` in the run directory. Every line is a JSON array
``[kind, payload]`` terminated by ``\\n``; a line's index in the file (0-based) is its *offset*,
the record's identity on the server. Non-finite floats are written as the bare literals
``NaN``, ``Infinity`` and ``-Infinity`` (as Python's :mod:`json` does).

==========  ====================================================================================
kind        payload
==========  ====================================================================================
nbtrack     header, always offset 0: ``{"format": 1, "run_id", "created_at"}``
run         run fields, merged in order: ``id name project entity tags notes group job_type mode
            created_at host pid``
config      config keys set or changed (merged in order)
h           one history row: ``_step``, ``_runtime``, ``_timestamp`` and the logged keys
summary     summary keys set explicitly (merged in order; later ``h`` rows also update it)
unset       summary keys removed (``del run.summary[k]``, ``pop``): a list of keys
metric      ``define_metric``, merged with earlier calls for the name (each replaces the last for
            its name): ``{"name", "step_metric", "step_sync", "hidden", "summary", "goal"}``,
            ``summary`` a list of ``min max mean last first best none`` or null. Readers that
            know it aggregate later rows' values into the summary (``{"min": 0.3}``); the run
            also writes the aggregated values as a ``summary`` (and ``unset``) record as it ends
preempting  ``run.mark_preempting()``: ``{"at"}``; the run reads as ``preempting`` until it ends
meta        run metadata merged in order (``program``, ``host``, ``python``, ``git``, ...)
file        a file stored under ``files/``: ``{"name", "size"}``
resume      the run was resumed: ``{"at", "pid", "host"}``
alert       ``run.alert()``: ``{"title", "text", "level", "at"}``, level ``INFO``/``WARN``/``ERROR``
artifact    ``run.log_artifact()``: ``{"name", "type", "description", "metadata", "aliases",
            "digest", "size", "files", "manifest"}``; ``manifest`` is the run-folder path of its
            manifest (``artifacts/manifests/<digest>.json``); its stored files are in
            ``artifacts/blobs/<ab>/<sha256>`` (see :mod:`nbtrack.artifacts`)
used        ``run.use_artifact()``: ``{"entity", "project", "name", "version", "digest"}``;
            ``version`` is null for an artifact known only locally (found by digest at sync)
system      one system-metrics sample (:mod:`nbtrack.system`), its own stream beside the history
            (not a step): ``{"_runtime", "_timestamp", "system.cpu", "system.memory", ...}``;
            read back by ``history(stream="system")``
exit        the run ended: ``{"state", "exit_code", "runtime", "at"}``
==========  ====================================================================================

Readers skip kinds they do not know, so a kind can be added within a format (``alert``, ``metric``,
``unset``, ``preempting``, ``artifact``, ``used`` and ``system`` were); the format number goes up
only when an existing kind changes meaning, and then old readers refuse the log instead of
misreading it. What an older reader misses: without ``metric``, a live run's summary shows last
values rather than aggregates (the final ``summary`` record corrects it as the run ends); without
``unset``, deleted summary keys stay; without ``preempting``, a preempting run reads as running;
without ``artifact`` and ``used``, the run's artifacts and their lineage are not uploaded; without
``system``, the system metrics are neither shown nor uploaded.

Crash safety: each record is handed to the kernel with one ``write`` before ``log()`` returns, so a
killed process loses nothing that was accepted; the writer fsyncs every second and at the end. A
torn last line (no newline, or not JSON) is skipped by readers and cut off before a resumed run
appends. While a run is written its writer holds an exclusive ``flock`` on the file: a reader that
can take the lock, on a log without an ``exit`` record, is looking at a crashed run.
"""

from __future__ import annotations

import fcntl
import json
import math
import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import orjson

from nbtrack.errors import RunLogError

FORMAT_VERSION = 1
LOG_NAME = "run.nbtrack"
TAIL_WINDOW = 4 << 20


def encode(kind: str, payload: Any) -> bytes:
    """One log line. Raises TypeError/OverflowError on values JSON cannot hold."""
    return b'["' + kind.encode() + b'",' + dumps(payload) + b"]\n"


def dumps(value: Any) -> bytes:
    """Compact JSON; non-finite floats as ``NaN``/``Infinity`` (orjson would write null)."""
    body = orjson.dumps(value, option=orjson.OPT_SERIALIZE_NUMPY)
    if b"null" in body and _has_non_finite(value):
        body = json.dumps(to_plain(value), allow_nan=True, separators=(",", ":")).encode()
    return body


def _has_non_finite(value: Any) -> bool:
    if isinstance(value, float):
        return not math.isfinite(value)
    if isinstance(value, dict):
        return any(_has_non_finite(v) for v in value.values())
    if isinstance(value, list | tuple):
        return any(_has_non_finite(v) for v in value)
    if hasattr(value, "tolist") and hasattr(value, "dtype"):
        return _has_non_finite(value.tolist())
    return False


def to_plain(value: Any) -> Any:
    """Numpy scalars and arrays become Python numbers and lists; the rest is left as is."""
    if isinstance(value, dict):
        return {k: to_plain(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [to_plain(v) for v in value]
    if hasattr(value, "tolist") and hasattr(value, "dtype"):
        return value.tolist()
    return value


def decode_line(line: bytes) -> tuple[str, Any] | None:
    """``(kind, payload)`` of one line, or None for a torn or foreign line."""
    try:
        item = orjson.loads(line)
    except orjson.JSONDecodeError:
        try:
            item = json.loads(line)
        except ValueError:
            return None
    if isinstance(item, list) and len(item) == 2 and isinstance(item[0], str):
        return item[0], item[1]
    return None


class Writer:
    """Appends records with one ``write`` each; holds the run's lock while open."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self.fd = os.open(path, os.O_RDWR | os.O_CREAT | os.O_APPEND, 0o644)
        try:
            fcntl.flock(self.fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            os.close(self.fd)
            raise RunLogError(
                f"Run log {path} is being written by another live process; "
                "finish that run first, or start a new run with a new id."
            ) from None
        cut_torn_tail(self.fd)
        self.offset = count_lines(self.fd)
        self.dirty = False

    def append(self, line: bytes) -> int:
        """Write one encoded line; returns its offset."""
        written = os.write(self.fd, line)
        if written != len(line):  # a short write (disk full, signal): finish the line or raise
            view = memoryview(line)[written:]
            while view:
                view = view[os.write(self.fd, view) :]
        self.dirty = True
        offset = self.offset
        self.offset += 1
        return offset

    def sync(self) -> None:
        if self.dirty:
            self.dirty = False
            os.fdatasync(self.fd)

    def close(self) -> None:
        if self.fd >= 0:
            self.sync()
            os.close(self.fd)  # releases the lock
            self.fd = -1


def cut_torn_tail(fd: int) -> int:
    """Drop a last line that lacks its newline or is not a record; returns the new size."""
    size = os.fstat(fd).st_size
    start = max(0, size - TAIL_WINDOW)
    tail = os.pread(fd, size - start, start)
    end = tail.rfind(b"\n") + 1
    while end > 0:
        begin = tail.rfind(b"\n", 0, end - 1) + 1
        if decode_line(tail[begin:end]) is not None:
            break
        end = begin
    keep = start + end
    if keep != size:
        os.ftruncate(fd, keep)
    return keep


def count_lines(fd: int) -> int:
    count, position = 0, 0
    while chunk := os.pread(fd, 1 << 20, position):
        count += chunk.count(b"\n")
        position += len(chunk)
    return count


def is_locked(path: Path) -> bool:
    """True while a live process holds the run log open for writing."""
    try:
        fd = os.open(path, os.O_RDONLY)
    except FileNotFoundError:
        return False
    try:
        fcntl.flock(fd, fcntl.LOCK_SH | fcntl.LOCK_NB)
    except BlockingIOError:
        return True
    finally:
        os.close(fd)
    return False


def last_record(path: Path) -> tuple[str, Any] | None:
    """The last complete record of a log (reads only its tail)."""
    with open(path, "rb") as stream:
        size = stream.seek(0, os.SEEK_END)
        stream.seek(max(0, size - TAIL_WINDOW))
        lines = stream.read().splitlines(keepends=True)
    for line in reversed(lines):
        record = decode_line(line) if line.endswith(b"\n") else None
        if record is not None:
            return record
    return None


def read(path: Path, start: int = 0) -> Iterator[tuple[int, str, Any]]:
    """Yield ``(offset, kind, payload)`` for every complete record from offset ``start``.

    Torn or foreign lines are skipped (their offsets are not reused). Refuses a newer format.
    """
    with open(path, "rb") as stream:
        for offset, line in enumerate(stream):
            if offset < start or not line.endswith(b"\n"):
                continue
            record = decode_line(line)
            if record is None:
                continue
            if offset == 0:
                check_header(path, record)
            yield offset, record[0], record[1]


def check_header(path: Path, record: tuple[str, Any]) -> None:
    kind, payload = record
    if kind != "nbtrack" or not isinstance(payload, dict):
        raise RunLogError(f"{path} is not an nbtrack run log (no header line).")
    version = payload.get("format")
    if not isinstance(version, int) or version > FORMAT_VERSION:
        raise RunLogError(
            f"{path} is in run-log format {version!r}, newer than this nbtrack reads "
            f"({FORMAT_VERSION}); upgrade nbtrack (pip install -U nbtrack) to read it."
        )
