"""Media references in history rows (``docs/media-format.md``): indexed at ingest, read per key.

A history value that is an object with a known ``_type`` (``image-file``, ``table-file``,
``histogram``, ...) is copied into ``media_refs`` under ``(run, key, offset)`` with its step, so a
run page lists its media keys and a key's steps without reading the run's other rows. What goes
back to a browser is *presented*: a file path is kept only when it names a content-addressed run
file under ``media/`` (``media/<sha256>.<ext>``) and becomes a ``url`` when that file was uploaded;
anything else in a stored reference is data the page shows as text.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from typing import Any

from sqlalchemy import Connection, bindparam, text

from nbtrack.server.database import bulk, rows
from nbtrack.server.values import stored_object
from nbtrack.server.wire import dumps

KINDS = frozenset(
    {
        "image-file",
        "images/separated",
        "histogram",
        "table-file",
        "html-file",
        "audio-file",
        "video-file",
        "object3D-file",
        "plot",
    }
)
MAX_DEPTH = 16  # deeper parts of a stored reference are left out
MARK = '"_type"'  # in the stored text of every row that holds a reference
MEDIA_NAME = re.compile(r"media/[0-9a-f]{64}(\.[a-z0-9]{1,12}){1,2}")
Record = tuple[int, int, dict[str, Any]]  # offset, step, data


def found_in(data: dict[str, Any]) -> list[tuple[str, str, dict[str, Any]]]:
    """(key, kind, reference) for each media value of one history row."""
    found = []
    for key, value in data.items():
        if type(value) is dict:
            kind = value.get("_type")
            if kind in KINDS and _indexable(key):
                found.append((key, str(kind), value))
    return found


def _indexable(key: str) -> bool:
    return "\x00" not in key and 0 < len(key) <= 1000


def index(conn: Connection, run_pk: int, records: Iterable[Record]) -> None:
    """Copy the media references of freshly stored records into ``media_refs``."""
    values = [
        (run_pk, key, offset, step, kind, dumps(ref))
        for offset, step, data in records
        for key, kind, ref in found_in(data)
    ]
    if values:
        bulk(
            conn,
            "INSERT INTO media_refs (run_pk, media_key, log_offset, step, kind, ref) "
            "VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT (run_pk, media_key, log_offset) DO NOTHING",
            values,
        )


def backfill(conn: Connection) -> None:
    """Index the references of rows stored before ``media_refs`` existed (migration)."""
    after = (-1, -1)
    while True:
        page = rows(
            conn,
            "SELECT run_pk, log_offset, step, data FROM history_rows WHERE "
            "(run_pk > :r OR (run_pk = :r AND log_offset > :o)) AND data LIKE '%\"_type\"%' "
            "ORDER BY run_pk, log_offset LIMIT 1000",
            {"r": after[0], "o": after[1]},
        )
        if not page:
            return
        for r in page:
            index(conn, r["run_pk"], [(r["log_offset"], r["step"], stored_object(r["data"]))])
        after = (page[-1]["run_pk"], page[-1]["log_offset"])


def keys(conn: Connection, run_pk: int) -> list[dict[str, Any]]:
    """Each media key with its type (that of its latest step), count and first/last step."""
    found = rows(
        conn,
        "SELECT media_key, kind, COUNT(*) AS n, MIN(step) AS first, MAX(step) AS last "
        "FROM media_refs WHERE run_pk = :r GROUP BY media_key, kind ORDER BY media_key",
        {"r": run_pk},
    )
    merged: dict[str, dict[str, Any]] = {}
    for r in found:  # a key holding several types: the type of its latest step
        entry = merged.setdefault(
            r["media_key"],
            {
                "key": r["media_key"],
                "type": r["kind"],
                "count": 0,
                "first_step": r["first"],
                "last_step": r["last"],
            },
        )
        if r["last"] > entry["last_step"]:
            entry["type"] = r["kind"]
        entry["count"] += r["n"]
        entry["first_step"] = min(entry["first_step"], r["first"])
        entry["last_step"] = max(entry["last_step"], r["last"])
    return list(merged.values())


def steps(conn: Connection, run_pk: int, key: str) -> tuple[list[int], list[str]]:
    """The key's distinct steps, ascending, and the type at each."""
    found = rows(
        conn,
        "SELECT step, kind FROM media_refs WHERE run_pk = :r AND media_key = :k "
        "ORDER BY step, log_offset",
        {"r": run_pk, "k": key},
    )
    by_step = {r["step"]: r["kind"] for r in found}
    return list(by_step), list(by_step.values())


def at(conn: Connection, run_pk: int, key: str, step: int | None) -> dict[str, Any] | None:
    """The key's reference at ``step`` (the latest at or before it; the latest with ``None``)."""
    found = rows(
        conn,
        "SELECT step, ref FROM media_refs WHERE run_pk = :r AND media_key = :k AND step <= :s "
        "ORDER BY step DESC, log_offset DESC LIMIT 1",
        {"r": run_pk, "k": key, "s": 2**63 - 1 if step is None else step},
    )
    if not found:
        return None
    return {"step": found[0]["step"], "ref": stored_object(found[0]["ref"])}


def all_refs(conn: Connection, run_pk: int, key: str, kind: str) -> list[tuple[int, Any]]:
    """(step, reference) of every row of the key holding ``kind``, by step (last one per step)."""
    found = rows(
        conn,
        "SELECT step, ref FROM media_refs WHERE run_pk = :r AND media_key = :k AND kind = :t "
        "ORDER BY step, log_offset",
        {"r": run_pk, "k": key, "t": kind},
    )
    by_step = {r["step"]: r["ref"] for r in found}
    return [(s, stored_object(ref)) for s, ref in by_step.items()]


def uploaded(conn: Connection, run_pk: int, names: Iterable[str]) -> set[str]:
    """Which of these run file names the server holds."""
    wanted = sorted(set(names))
    if not wanted:
        return set()
    query = text("SELECT name FROM run_files WHERE run_pk = :r AND name IN :names").bindparams(
        bindparam("names", expanding=True)
    )
    held: set[str] = set()
    for start in range(0, len(wanted), 500):
        chunk = wanted[start : start + 500]
        held.update(r[0] for r in conn.execute(query, {"r": run_pk, "names": chunk}))
    return held


def paths_in(value: Any, depth: int = 0) -> list[str]:
    """Every well-formed media file name a presented value may link to."""
    if depth > MAX_DEPTH:
        return []
    if isinstance(value, dict):
        own = [value["path"]] if _media_path(value.get("path")) else []
        nested = [p for v in value.values() for p in paths_in(v, depth + 1)]
        return own + nested
    if isinstance(value, list):
        return [p for v in value for p in paths_in(v, depth + 1)]
    return []


def present(value: Any, files_url: str, held: set[str], depth: int = 0) -> Any:
    """The value for a browser: each ``path`` checked and given a ``url`` (or ``None``)."""
    if depth > MAX_DEPTH:
        return None
    if isinstance(value, list):
        return [present(v, files_url, held, depth + 1) for v in value]
    if not isinstance(value, dict):
        return value
    shown = {str(k): present(v, files_url, held, depth + 1) for k, v in value.items()}
    if "path" in value:
        shown.update(_link(value.get("path"), files_url, held))
    return shown


def _link(path: Any, files_url: str, held: set[str]) -> dict[str, Any]:
    if not _media_path(path):
        return {"url": None, "problem": "file name not allowed (not media/<sha256>.<ext>)"}
    if path not in held:
        return {"url": None, "problem": "file missing (not uploaded)"}
    return {"url": f"{files_url}/{path}", "problem": None}


def _media_path(path: Any) -> bool:
    return isinstance(path, str) and MEDIA_NAME.fullmatch(path) is not None


def presented(conn: Connection, run_pk: int, values: Sequence[Any], files_url: str) -> list[Any]:
    """``present`` for several values, with one look-up of the files they name."""
    held = uploaded(conn, run_pk, [p for v in values for p in paths_in(v)])
    return [present(v, files_url, held) for v in values]
