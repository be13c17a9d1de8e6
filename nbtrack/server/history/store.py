"""History: rows appended idempotently by their offset in the client's run log, and read back.

Each row is stored whole (JSON text) under ``(run, offset)``, so a re-sent or overlapping batch is
ignored row by row. For charts (``charts.py``), every finite numeric value also lands in per-metric
buckets at five levels (16, 256, 4096, 65536 and 1048576 steps wide) holding the count and the min
and max point.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Sequence
from itertools import pairwise
from typing import Any

from sqlalchemy import Connection

from nbtrack.server.database import Dialect, bulk, known_offsets, rows, run
from nbtrack.server.media import store as media
from nbtrack.server.problems import ApiError
from nbtrack.server.values import check, encode, stored_object
from nbtrack.server.wire import dumps

SHIFTS = (4, 8, 12, 16, 20)  # bucket width 2**shift per level
INF = math.inf
Record = tuple[int, int, dict[str, Any]]  # offset, step, data
Partial = list[Any]  # n, min_step, min_value, max_step, max_value


def append(
    conn: Connection,
    dialect: Dialect,
    run_row: dict[str, Any],
    records: Sequence[Record],
    now: float,
) -> tuple[int, int]:
    """Store the records whose offsets are new; answer (inserted, highest offset stored)."""
    run_pk = run_row["pk"]
    fresh = _new_records(conn, run_pk, records)
    if fresh:
        stored = _rows(run_pk, fresh)
        bulk(
            conn,
            "INSERT INTO history_rows (run_pk, log_offset, step, data) VALUES (?, ?, ?, ?)",
            stored,
        )
        add_buckets(conn, dialect, run_pk, [(s, d) for _, s, d in fresh])
        media.index(
            conn, run_pk, [r for r, row in zip(fresh, stored, strict=True) if media.MARK in row[3]]
        )
    max_offset = max([run_row["max_offset"], *(o for o, _, _ in fresh)])
    _update_run(conn, run_row, fresh, max_offset, now)
    return len(fresh), max_offset


def _rows(run_pk: int, records: list[Record]) -> list[tuple[int, int, int, str]]:
    """(run, offset, step, stored JSON text); a 400 names the first record that cannot be stored
    (looked for only then: the hot path encodes each record once)."""
    try:
        return [(run_pk, o, s, encode(d, "data")) for o, s, d in records]
    except ApiError:
        for offset, _, data in records:
            check(data, f"The record at offset {offset}: data")
        raise


def _new_records(conn: Connection, run_pk: int, records: Sequence[Record]) -> list[Record]:
    unique: dict[int, Record] = {}
    for record in records:
        unique.setdefault(record[0], record)
    if not unique:
        return []
    known = known_offsets(conn, "history_rows", run_pk, unique)
    return [r for o, r in sorted(unique.items()) if o not in known]


def _update_run(
    conn: Connection, run_row: dict[str, Any], fresh: list[Record], max_offset: int, now: float
) -> None:
    values: dict[str, Any] = {"pk": run_row["pk"], "t": now, "n": len(fresh), "m": max_offset}
    last_step = run_row["last_step"]
    newer = [r for r in fresh if last_step is None or r[1] >= last_step]
    summary_sql = ""
    if newer:
        summary = stored_object(run_row["summary"])
        for _, _, data in _in_step_order(newer):
            summary.update(data)  # the last value of every key, sparse keys included
        values |= {"s": dumps(summary), "ls": max(r[1] for r in newer)}
        summary_sql = ", summary = :s, last_step = :ls"
    run(
        conn,
        "UPDATE runs SET heartbeat_at = :t, updated_at = :t, "
        f"history_count = history_count + :n, max_offset = :m{summary_sql} WHERE pk = :pk",
        values,
    )


def _in_step_order(records: list[Record]) -> list[Record]:
    """Records (in offset order) by step, then offset; usually they already are."""
    steps = [r[1] for r in records]
    if all(a <= b for a, b in pairwise(steps)):
        return records
    return sorted(records, key=lambda r: (r[1], r[0]))


def partials(points: Iterable[tuple[int, dict[str, Any]]]) -> dict[tuple[str, int], Partial]:
    """Level-0 buckets of the finite numeric values (keys starting with '_' excluded).

    Rows of one bucket usually come one after another: their values gather per key in ``rows``,
    which joins the result when the bucket changes."""
    acc: dict[tuple[str, int], Partial] = {}
    chartable: dict[str, bool] = {}
    shift = SHIFTS[0]
    current, rows = 0, dict[str, Partial]()
    for step, data in points:
        bucket = step >> shift
        if bucket != current:
            _gather(acc, rows, current)
            current, rows = bucket, dict[str, Partial]()
        for key, value in data.items():
            if type(value) is not float:
                if type(value) is not int:
                    continue
                try:
                    value = float(value)
                except OverflowError:
                    continue
            if not -INF < value < INF:
                continue
            part = rows.get(key)
            if part is None:
                ok = chartable.get(key)
                if ok is None:
                    ok = chartable[key] = _chartable(key)
                if ok:
                    rows[key] = [1, step, value, step, value]
                continue
            part[0] += 1
            if value < part[2]:
                part[1], part[2] = step, value
            elif value > part[4]:
                part[3], part[4] = step, value
    _gather(acc, rows, current)
    return acc


def _gather(acc: dict[tuple[str, int], Partial], rows: dict[str, Partial], bucket: int) -> None:
    for key, part in rows.items():
        found = acc.get((key, bucket))
        if found is None:
            acc[(key, bucket)] = part
        else:
            merge(found, part)


def _chartable(key: str) -> bool:
    """Keys that get charts: not starting with '_', storable as text (no NUL, valid Unicode)."""
    if key.startswith("_") or "\x00" in key or len(key) > 1000:
        return False
    try:
        key.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True


def merge(into: Partial, part: Partial) -> None:
    into[0] += part[0]
    if part[2] < into[2]:
        into[1], into[2] = part[1], part[2]
    if part[4] > into[4]:
        into[3], into[4] = part[3], part[4]


def levels(level0: dict[tuple[str, int], Partial]) -> list[dict[tuple[str, int], Partial]]:
    """Every level, each merged from the one below it."""
    out = [level0]
    for below, shift in pairwise(SHIFTS):
        up: dict[tuple[str, int], Partial] = {}
        for (key, bucket), part in out[-1].items():
            target = (key, bucket >> (shift - below))
            if target in up:
                merge(up[target], part)
            else:
                up[target] = list(part)
        out.append(up)
    return out


def add_buckets(
    conn: Connection, dialect: Dialect, run_pk: int, points: Iterable[tuple[int, dict[str, Any]]]
) -> None:
    level0 = partials(points)
    if not level0:
        return
    values = [
        (run_pk, key, level, bucket, *p)
        for level, parts in enumerate(levels(level0))
        for (key, bucket), p in parts.items()
    ]
    bulk(conn, _upsert_sql(dialect), values)
    keys = sorted({key for key, _ in level0})
    run(
        conn,
        "INSERT INTO history_keys (run_pk, metric) VALUES (:r, :m) "
        "ON CONFLICT (run_pk, metric) DO NOTHING",
        [{"r": run_pk, "m": k} for k in keys],
    )


def _upsert_sql(d: Dialect) -> str:
    return (
        "INSERT INTO metric_buckets (run_pk, metric, level, bucket, n, min_step, min_value, "
        "max_step, max_value) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?) "
        "ON CONFLICT (run_pk, metric, level, bucket) DO UPDATE SET "
        "n = metric_buckets.n + excluded.n, "
        "min_step = CASE WHEN excluded.min_value < metric_buckets.min_value "
        "THEN excluded.min_step ELSE metric_buckets.min_step END, "
        f"min_value = {d.least}(metric_buckets.min_value, excluded.min_value), "
        "max_step = CASE WHEN excluded.max_value > metric_buckets.max_value "
        "THEN excluded.max_step ELSE metric_buckets.max_step END, "
        f"max_value = {d.greatest}(metric_buckets.max_value, excluded.max_value)"
    )


def rebuild_buckets(conn: Connection) -> None:
    """Recompute every run's buckets from its stored rows (migration backfill)."""
    dialect_name = conn.engine.dialect.name
    from nbtrack.server.database import POSTGRESQL, SQLITE

    dialect = SQLITE if dialect_name == "sqlite" else POSTGRESQL
    for found in rows(conn, "SELECT DISTINCT run_pk FROM history_rows"):
        data = rows(
            conn, "SELECT step, data FROM history_rows WHERE run_pk = :r", {"r": found["run_pk"]}
        )
        add_buckets(
            conn, dialect, found["run_pk"], [(r["step"], stored_object(r["data"])) for r in data]
        )


def metrics(conn: Connection, run_pk: int) -> list[str]:
    return [
        r["metric"]
        for r in rows(
            conn, "SELECT metric FROM history_keys WHERE run_pk = :r ORDER BY metric", {"r": run_pk}
        )
    ]


def page(
    conn: Connection,
    run_pk: int,
    lo: int | None,
    hi: int | None,
    keys: list[str] | None,
    limit: int,
) -> tuple[list[Any], int | None]:
    """Rows ordered by step; a step is never split across pages (unless it alone fills one)."""
    found = rows(
        conn,
        "SELECT step, data FROM history_rows WHERE run_pk = :r AND step >= :lo AND step <= :hi "
        "ORDER BY step, log_offset LIMIT :n",
        {"r": run_pk, "lo": _lo(lo), "hi": _hi(hi), "n": limit + 1},
    )
    next_step = None
    if len(found) > limit:
        next_step = found[limit]["step"]
        kept = [r for r in found[:limit] if r["step"] != next_step]
        found = kept or found[:limit]
        if not kept:
            next_step = found[-1]["step"] + 1
    if keys is None:
        return [RawJSON(r["data"]) for r in found], next_step
    picked = []
    for r in found:
        data = stored_object(r["data"])
        chosen = {k: data[k] for k in keys if k in data}
        if chosen:
            picked.append({"_step": r["step"], **chosen})
    return picked, next_step


class RawJSON(str):
    """A row's stored JSON text, sent as is."""


def _lo(value: int | None) -> int:
    return value if value is not None else -(2**63)


def _hi(value: int | None) -> int:
    return value if value is not None else 2**63 - 1
