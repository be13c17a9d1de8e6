"""Chart queries: at most N points per metric over any step range, each bucket's min and max kept.

The finest bucket level whose buckets over the range number at most ``4 N`` is read; buckets that
straddle an end of the range are replaced by their children one level down (and, at the finest
level, by the raw points), so extremes outside the range never leak in and none inside is lost.
The buckets are then merged into N/2 groups by step, each giving its min and max point. When the
range holds no more than N points, the raw points are answered instead.
"""

from __future__ import annotations

import math
from typing import Any

from sqlalchemy import Connection

from nbtrack.server.database import one, rows
from nbtrack.server.history.store import SHIFTS, Partial, merge
from nbtrack.server.values import stored_object

RAW_READ_FACTOR = 4  # the raw path reads at most this many rows per requested point
INT64 = (-(2**63), 2**63 - 1)
Series = dict[str, list[Any]]
Part = tuple[int, Partial]  # (first step the part covers, [n, min_step, min, max_step, max])
BUCKETS_SQL = (
    "SELECT bucket, n, min_step, min_value, max_step, max_value FROM metric_buckets "
    "WHERE run_pk = :r AND metric = :m AND level = :l AND bucket >= :b0 AND bucket <= :b1 "
    "ORDER BY bucket"
)


def chart(
    conn: Connection, run_pk: int, keys: list[str], samples: int, lo: int | None, hi: int | None
) -> dict[str, Series]:
    low = INT64[0] if lo is None else lo
    high = INT64[1] if hi is None else hi
    return {key: series(conn, run_pk, key, samples, low, high) for key in keys}


def series(conn: Connection, run_pk: int, key: str, samples: int, lo: int, hi: int) -> Series:
    extent = _extent(conn, run_pk, key, lo, hi)
    if extent is None:
        return {"steps": [], "values": []}
    first, last = extent
    level = _level_for(last - first, samples)
    parts = _parts(conn, run_pk, key, level, first, last)
    if sum(p[1][0] for p in parts) <= samples:
        raw = _raw_points(conn, run_pk, key, first, last, samples)
        if raw is not None:
            return raw
    return _downsample(parts, samples, first, last)


def _extent(conn: Connection, run_pk: int, key: str, lo: int, hi: int) -> tuple[int, int] | None:
    """The step range the metric's finest buckets cover within [lo, hi] (two index seeks)."""
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


def _parts(conn: Connection, run_pk: int, key: str, level: int, lo: int, hi: int) -> list[Part]:
    """The buckets of ``level`` inside [lo, hi], straddling ones refined one level down."""
    shift = SHIFTS[level]
    params = {"r": run_pk, "m": key, "l": level, "b0": lo >> shift, "b1": hi >> shift}
    out: list[Part] = []
    for b in rows(conn, BUCKETS_SQL, params):
        start = b["bucket"] << shift
        if start >= lo and start + (1 << shift) - 1 <= hi:
            part = [b["n"], b["min_step"], b["min_value"], b["max_step"], b["max_value"]]
            out.append((start, part))
        elif level == 0:
            out.extend(_raw_parts(conn, run_pk, key, max(lo, start), min(hi, start + 15)))
        else:
            edge_lo, edge_hi = max(lo, start), min(hi, start + (1 << shift) - 1)
            out.extend(_parts(conn, run_pk, key, level - 1, edge_lo, edge_hi))
    return out


def _raw_parts(conn: Connection, run_pk: int, key: str, lo: int, hi: int) -> list[Part]:
    points, _ = _raw(conn, run_pk, key, lo, hi, limit=10_000)
    return [(step, [1, step, value, step, value]) for step, value in points if value is not None]


def _raw_points(
    conn: Connection, run_pk: int, key: str, lo: int, hi: int, samples: int
) -> Series | None:
    """The raw points, when reading them costs at most RAW_READ_FACTOR rows per point."""
    points, complete = _raw(conn, run_pk, key, lo, hi, limit=RAW_READ_FACTOR * samples)
    if not complete:
        return None
    return {"steps": [s for s, _ in points], "values": [v for _, v in points]}


def _raw(
    conn: Connection, run_pk: int, key: str, lo: int, hi: int, limit: int
) -> tuple[list[tuple[int, float | None]], bool]:
    """The key's values in up to ``limit`` rows of [lo, hi], and whether that was all of them."""
    found = rows(
        conn,
        "SELECT step, data FROM history_rows WHERE run_pk = :r AND step >= :lo AND step <= :hi "
        "ORDER BY step, log_offset LIMIT :n",
        {"r": run_pk, "lo": lo, "hi": hi, "n": limit + 1},
    )
    points: list[tuple[int, float | None]] = []
    for r in found[:limit]:
        value = stored_object(r["data"]).get(key)
        if isinstance(value, int | float) and not isinstance(value, bool):
            points.append((r["step"], _as_float(value)))
    return points, len(found) <= limit


def _as_float(value: float) -> float | None:
    try:
        number = float(value)
    except OverflowError:
        return None
    return number if math.isfinite(number) else None


def _downsample(parts: list[Part], samples: int, lo: int, hi: int) -> Series:
    groups = max(1, samples // 2)
    span = hi - lo + 1
    merged: dict[int, Partial] = {}
    for start, part in parts:
        group = (max(start, lo) - lo) * groups // span
        if group in merged:
            merge(merged[group], part)
        else:
            merged[group] = list(part)
    steps: list[int] = []
    values: list[Any] = []
    for group in sorted(merged):
        _, s0, v0, s1, v1 = merged[group]
        for step, value in sorted({(s0, v0), (s1, v1)}):
            steps.append(step)
            values.append(value)
    return {"steps": steps, "values": values}
