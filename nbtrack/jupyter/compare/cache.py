"""A finished run's downsampled series, kept beside its log so the next compare() skips the read.

``compare-cache.json`` in the run directory holds what ``LogReader`` built (the run's fields and
every metric's ``Stream``) for one reading (``samples``, x key, keys), with the log's size and
modification time. It is used only while the log is unchanged (a resumed run appends, and the
cache is then ignored and rewritten), also for a reading of fewer metrics (``metrics=[...]``
after a reading of all of them); it is written only for runs that have ended. Writing is best
effort: a read-only run directory just means no cache.
"""

from __future__ import annotations

import os
from typing import Any

import orjson

from nbtrack import runlog
from nbtrack.jupyter.compare.runlogs import LogReader
from nbtrack.jupyter.compare.stream import Entry, Stream

NAME = "compare-cache.json"
VERSION = 1


def stamp(reader: LogReader) -> dict[str, Any] | None:
    """What the cache must match: the reading and the log's size and modification time."""
    try:
        info = os.stat(reader.path)
    except OSError:
        return None
    keys = sorted(reader.keys) if reader.keys is not None else None
    return {
        "version": VERSION,
        "size": info.st_size,
        "mtime_ns": info.st_mtime_ns,
        "samples": reader.samples,
        "x_key": reader.x_key,
        "keys": keys,
    }


def load(reader: LogReader) -> bool:
    """Fill ``reader.data`` from the cache if it matches the log; True if it did."""
    path = reader.path.parent / NAME
    try:
        cached = orjson.loads(path.read_bytes())
    except (OSError, orjson.JSONDecodeError):
        return False
    if not isinstance(cached, dict) or not _serves(cached.get("stamp"), stamp(reader)):
        return False
    data, keys = reader.data, reader.keys
    for field in ("name", "project", "config", "metrics", "state"):
        setattr(data, field, cached["data"][field])
    data.streams = {
        key: _stream(state)
        for key, state in cached["streams"].items()
        if keys is None or key in keys
    }
    reader.offset, reader.ended = cached["stamp"]["size"], True
    return True


def _serves(cached: Any, wanted: dict[str, Any] | None) -> bool:
    """The cache matches the log and the reading, its metrics being all or more of those wanted
    (each metric's stream does not depend on the others)."""
    if not isinstance(cached, dict) or wanted is None:
        return False
    if {**cached, "keys": None} != {**wanted, "keys": None}:
        return False
    return cached["keys"] is None or (
        wanted["keys"] is not None and set(wanted["keys"]) <= set(cached["keys"])
    )


def save(reader: LogReader) -> None:
    """Keep an ended run's reading beside its log (nothing for a run still going)."""
    current = stamp(reader)
    if not reader.ended or current is None or current["size"] != reader.offset:
        return
    if runlog.is_locked(reader.path):
        return
    data = reader.data
    body = {
        "stamp": current,
        "data": {f: getattr(data, f) for f in ("name", "project", "config", "metrics", "state")},
        "streams": {key: _state(stream) for key, stream in data.streams.items()},
    }
    target = reader.path.parent / NAME
    temporary = target.with_name(f".{NAME}.{os.getpid()}")
    try:
        temporary.write_bytes(orjson.dumps(body))
        os.replace(temporary, target)
    except (OSError, TypeError, orjson.JSONEncodeError):
        temporary.unlink(missing_ok=True)


def _state(stream: Stream) -> dict[str, Any]:
    return {
        "samples": stream.samples,
        "count": stream.count,
        "first": stream.first,
        "last": stream.last,
        "shift": stream.shift,
        "raw": stream.raw,
        "groups": [[key, pair[0], pair[1]] for key, pair in stream.groups.items()],
    }


def _entry(item: list[Any]) -> Entry:
    return (item[0], item[1], tuple(item[2]) if isinstance(item[2], list) else item[2])


def _stream(state: dict[str, Any]) -> Stream:
    stream = Stream(state["samples"])
    stream.count, stream.first, stream.last = state["count"], state["first"], state["last"]
    stream.shift = state["shift"]
    stream.raw = None if state["raw"] is None else [_entry(e) for e in state["raw"]]
    stream.groups = {g[0]: [_entry(g[1]), _entry(g[2])] for g in state["groups"]}
    return stream
