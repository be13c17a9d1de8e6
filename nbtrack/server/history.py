"""History: rows appended idempotently by their offset in the client's run log, and charts.

Each row is stored whole (JSON text) under ``(run, offset)``, so a re-sent or overlapping batch is
ignored row by row. For charts, every finite numeric value also lands in per-metric buckets at
five levels (16, 256, 4096, 65536 and 1048576 steps wide) holding the count and the min and max
point; a chart over a million steps reads a few thousand buckets and merges them into at most N
points, every bucket keeping its min and max.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Sequence
from typing import Any

from sqlalchemy import Connection

from nbtrack.server.database import Dialect, one, rows, run
from nbtrack.server.wire import dumps, loads

SHIFTS = (4, 8, 12, 16, 20)  # bucket width 2**shift per level
RAW_READ_FACTOR = 4  # the raw path reads at most this many rows per requested point
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
        run(
            conn,
            "INSERT INTO history_rows (run_pk, log_offset, step, data) VALUES (:r, :o, :s, :d)",
            [{"r": run_pk, "o": o, "s": s, "d": dumps(d)} for o, s, d in fresh],
        )
        add_buckets(conn, dialect, run_pk, [(s, d) for _, s, d in fresh])
    max_offset = max([run_row["max_offset"], *(o for o, _, _ in fresh)])
    _update_run(conn, run_row, fresh, max_offset, now)
    return len(fresh), max_offset


def _new_records(conn: Connection, run_pk: int, records: Sequence[Record]) -> list[Record]:
    unique: dict[int, Record] = {}
    for record in records:
        unique.setdefault(record[0], record)
    if not unique:
        return []
    known = {
        r["log_offset"]
        for r in rows(
            conn,
            "SELECT log_offset FROM history_rows WHERE run_pk = :r "
            "AND log_offset BETWEEN :lo AND :hi",
            {"r": run_pk, "lo": min(unique), "hi": max(unique)},
        )
    }
    return [r for o, r in sorted(unique.items()) if o not in known]


def _update_run(
    conn: Connection, run_row: dict[str, Any], fresh: list[Record], max_offset: int, now: float
) -> None:
    values: dict[str, Any] = {"pk": run_row["pk"], "t": now, "n": len(fresh), "m": max_offset}
    latest = max(fresh, key=lambda r: (r[1], r[0]), default=None)
    summary_sql = ""
    if latest is not None and (run_row["last_step"] is None or latest[1] >= run_row["last_step"]):
        summary = loads(run_row["summary"], "summary")
        for _, step, data in sorted(fresh, key=lambda r: (r[1], r[0])):
            if step == latest[1]:
                summary.update(data)
        values |= {"s": dumps(summary), "ls": latest[1]}
        summary_sql = ", summary = :s, last_step = :ls"
    run(
        conn,
        "UPDATE runs SET heartbeat_at = :t, updated_at = :t, "
        f"history_count = history_count + :n, max_offset = :m{summary_sql} WHERE pk = :pk",
        values,
    )


def partials(points: Iterable[tuple[int, dict[str, Any]]]) -> dict[tuple[str, int], Partial]:
    """Level-0 buckets of the finite numeric values (keys starting with '_' excluded)."""
    acc: dict[tuple[str, int], Partial] = {}
    shift = SHIFTS[0]
    for step, data in points:
        bucket = step >> shift
        for key, value in data.items():
            kind = type(value)
            if kind is int:
                try:
                    value = float(value)
                except OverflowError:
                    continue
            elif kind is not float or not math.isfinite(value):
                continue
            if key.startswith("_"):
                continue
            part = acc.get((key, bucket))
            if part is None:
                acc[(key, bucket)] = [1, step, value, step, value]
                continue
            part[0] += 1
            if value < part[2]:
                part[1], part[2] = step, value
            if value > part[4]:
                part[3], part[4] = step, value
    return acc


def _merge(into: Partial, part: Partial) -> None:
    into[0] += part[0]
    if part[2] < into[2]:
        into[1], into[2] = part[1], part[2]
    if part[4] > into[4]:
        into[3], into[4] = part[3], part[4]


def levels(level0: dict[tuple[str, int], Partial]) -> list[dict[tuple[str, int], Partial]]:
    out = [level0]
    for shift in SHIFTS[1:]:
        up: dict[tuple[str, int], Partial] = {}
        for (key, bucket), part in level0.items():
            target = (key, bucket >> (shift - SHIFTS[0]))
            if target in up:
                _merge(up[target], part)
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
    params = [
        {
            "r": run_pk,
            "m": key,
            "l": level,
            "b": bucket,
            "n": p[0],
            "s0": p[1],
            "v0": p[2],
            "s1": p[3],
            "v1": p[4],
        }
        for level, parts in enumerate(levels(level0))
        for (key, bucket), p in parts.items()
    ]
    run(conn, _upsert_sql(dialect), params)
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
        "max_step, max_value) VALUES (:r, :m, :l, :b, :n, :s0, :v0, :s1, :v1) "
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
            conn, dialect, found["run_pk"], [(r["step"], loads(r["data"], "history")) for r in data]
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
        data = loads(r["data"], "history")
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


def chart(
    conn: Connection, run_pk: int, keys: list[str], samples: int, lo: int | None, hi: int | None
) -> dict[str, dict[str, list[Any]]]:
    return {key: _series(conn, run_pk, key, samples, _lo(lo), _hi(hi)) for key in keys}


def _series(
    conn: Connection, run_pk: int, key: str, samples: int, lo: int, hi: int
) -> dict[str, list[Any]]:
    extent = _extent(conn, run_pk, key, lo, hi)
    if extent is None:
        return {"steps": [], "values": []}
    first, last = extent
    level = _level_for(last - first, samples)
    buckets = rows(
        conn,
        "SELECT bucket, n, min_step, min_value, max_step, max_value FROM metric_buckets "
        "WHERE run_pk = :r AND metric = :m AND level = :l AND bucket >= :b0 AND bucket <= :b1 "
        "ORDER BY bucket",
        {
            "r": run_pk,
            "m": key,
            "l": level,
            "b0": first >> SHIFTS[level],
            "b1": last >> SHIFTS[level],
        },
    )
    if sum(b["n"] for b in buckets) <= samples:
        raw = _raw_points(conn, run_pk, key, first, last, samples)
        if raw is not None:
            return raw
    return _downsample(buckets, samples, lo, hi)


def _extent(conn: Connection, run_pk: int, key: str, lo: int, hi: int) -> tuple[int, int] | None:
    """The step range the metric's level-0 buckets cover within [lo, hi] (two index seeks)."""
    shift = SHIFTS[0]
    params = {"r": run_pk, "m": key, "lo": lo >> shift, "hi": hi >> shift}
    sql = (
        "SELECT bucket FROM metric_buckets WHERE run_pk = :r AND metric = :m AND level = 0 "
        "AND bucket >= :lo AND bucket <= :hi ORDER BY bucket {} LIMIT 1"
    )
    first = one(conn, sql.format("ASC"), params)
    last = one(conn, sql.format("DESC"), params)
    if first is None or last is None:
        return None
    return max(lo, first["bucket"] << shift), min(hi, ((last["bucket"] + 1) << shift) - 1)


def _level_for(span: int, samples: int) -> int:
    for level, shift in enumerate(SHIFTS):
        if (span >> shift) + 2 <= 4 * samples:
            return level
    return len(SHIFTS) - 1


def _raw_points(
    conn: Connection, run_pk: int, key: str, lo: int, hi: int, samples: int
) -> dict[str, list[Any]] | None:
    limit = RAW_READ_FACTOR * samples
    found = rows(
        conn,
        "SELECT step, data FROM history_rows WHERE run_pk = :r AND step >= :lo AND step <= :hi "
        "ORDER BY step, log_offset LIMIT :n",
        {"r": run_pk, "lo": lo, "hi": hi, "n": limit + 1},
    )
    if len(found) > limit:
        return None
    steps: list[int] = []
    values: list[Any] = []
    for r in found:
        value = loads(r["data"], "history").get(key)
        if isinstance(value, int | float) and not isinstance(value, bool):
            steps.append(r["step"])
            values.append(float(value) if math.isfinite(value) else None)
    return {"steps": steps, "values": values}


def _downsample(
    buckets: list[dict[str, Any]], samples: int, lo: int, hi: int
) -> dict[str, list[Any]]:
    groups = max(1, samples // 2)
    if not buckets:
        return {"steps": [], "values": []}
    first, span = buckets[0]["bucket"], buckets[-1]["bucket"] - buckets[0]["bucket"] + 1
    merged: dict[int, Partial] = {}
    for b in buckets:
        part: Partial = [b["n"], b["min_step"], b["min_value"], b["max_step"], b["max_value"]]
        group = (b["bucket"] - first) * groups // span
        if group in merged:
            _merge(merged[group], part)
        else:
            merged[group] = part
    steps: list[int] = []
    values: list[Any] = []
    for group in sorted(merged):
        _, s0, v0, s1, v1 = merged[group]
        for step, value in sorted({(s0, v0), (s1, v1)}):
            if lo <= step <= hi:
                steps.append(step)
                values.append(value)
    return {"steps": steps, "values": values}
