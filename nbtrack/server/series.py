"""One run's downsampled series of one metric, read from the step buckets (``history.py``).

The answer is exactly :func:`nbtrack.series.downsample` over the run's stored points: the extent
comes from the finest buckets' first and last block, the groups of ``2**k`` steps are unions of
the buckets of the coarsest level no wider than a group (buckets cut by the range's ends are
replaced by their children, down to the raw rows), and each group's lowest and highest point come
from its buckets' min and max points. A range of at most ``samples`` points is answered raw: a
16-step bucket holding one or two points already is them; denser ones are read from the rows.
Points are then drawn at their x: the step, or the x key read from the chosen rows.
"""

from __future__ import annotations

import dataclasses
from typing import Any

from sqlalchemy import Connection, bindparam, text

from nbtrack.series import FIRST_SHIFT, INT64, Point, extent, group_shift, numeric, pick, unzip
from nbtrack.server.database import one, rows
from nbtrack.server.history import SHIFTS, Partial, merge
from nbtrack.server.values import stored_object

Part = tuple[int, Partial]  # (first step the part covers, [n, min_step, min, max_step, max])
BUCKETS_SQL = (
    "SELECT bucket, n, min_step, min_value, max_step, max_value FROM metric_buckets "
    "WHERE run_pk = :r AND metric = :m AND level = :l AND bucket >= :b0 AND bucket <= :b1 "
    "ORDER BY bucket"
)
EDGE_SQL = (
    "SELECT bucket FROM metric_buckets WHERE run_pk = :r AND metric = :m AND level = 0 "
    "AND bucket >= :lo AND bucket <= :hi ORDER BY bucket {} LIMIT 1"
)
ROWS_SQL = (
    "SELECT step, data FROM history_rows WHERE run_pk = :r AND step >= :lo AND step <= :hi "
    "ORDER BY step, log_offset"
)


@dataclasses.dataclass(frozen=True)
class Window:
    """What to read: at most ``samples`` points of steps ``[lo, hi]``."""

    samples: int
    lo: int = INT64[0]
    hi: int = INT64[1]


def points(
    conn: Connection, run_pk: int, key: str, window: Window
) -> tuple[list[int], list[float]]:
    """The run's downsampled ``(steps, values)`` of ``key`` (``nbtrack.series.downsample``)."""
    span = _extent(conn, run_pk, key, window)
    if span is None:
        return [], []
    first, last = span
    shift = group_shift(first, last, window.samples)
    level = max(i for i, s in enumerate(SHIFTS) if s <= shift)
    parts = _parts(conn, run_pk, key, level, first, last, window)
    if sum(part[0] for _, part in parts) <= window.samples:
        return _raw(conn, run_pk, key, first, last, window)
    groups: dict[int, Partial] = {}
    for start, part in parts:
        if start >> shift in groups:
            merge(groups[start >> shift], part)
        else:
            groups[start >> shift] = list(part)
    return unzip(_ends(groups[g]) for g in sorted(groups))


def _ends(part: Partial) -> list[Point]:
    return pick((part[1], part[2]), (part[3], part[4]))


def _extent(conn: Connection, run_pk: int, key: str, window: Window) -> tuple[int, int] | None:
    params = {"r": run_pk, "m": key, "lo": window.lo >> FIRST_SHIFT, "hi": window.hi >> FIRST_SHIFT}
    first = one(conn, EDGE_SQL.format("ASC"), params)
    last = one(conn, EDGE_SQL.format("DESC"), params)
    if first is None or last is None:
        return None
    return extent(
        first["bucket"] << FIRST_SHIFT, last["bucket"] << FIRST_SHIFT, window.lo, window.hi
    )


def _parts(
    conn: Connection, run_pk: int, key: str, level: int, lo: int, hi: int, window: Window
) -> list[Part]:
    """The buckets of ``level`` over [lo, hi]; those cut by the window refined one level down."""
    shift = SHIFTS[level]
    params = {"r": run_pk, "m": key, "l": level, "b0": lo >> shift, "b1": hi >> shift}
    out: list[Part] = []
    for b in rows(conn, BUCKETS_SQL, params):
        start, end = b["bucket"] << shift, (b["bucket"] << shift) + (1 << shift) - 1
        if window.lo <= start and end <= window.hi:
            out.append(
                (start, [b["n"], b["min_step"], b["min_value"], b["max_step"], b["max_value"]])
            )
        elif level == 0:
            steps, values = _read(conn, run_pk, key, max(lo, start), min(hi, end))
            out.extend((s, [1, s, v, s, v]) for s, v in zip(steps, values, strict=True))
        else:
            out.extend(_parts(conn, run_pk, key, level - 1, max(lo, start), min(hi, end), window))
    return out


def _raw(
    conn: Connection, run_pk: int, key: str, lo: int, hi: int, window: Window
) -> tuple[list[int], list[float]]:
    """Every point of [lo, hi]: sparse 16-step buckets are their points, dense ones are read."""
    steps: list[int] = []
    values: list[float] = []
    for start, part in _parts(conn, run_pk, key, 0, lo, hi, window):
        if part[0] <= 2:
            both = [(part[1], part[2]), (part[3], part[4])]
            chosen = both[:1] if part[0] == 1 else sorted(both)
            steps += [s for s, _ in chosen]
            values += [v for _, v in chosen]
        else:
            more = _read(conn, run_pk, key, max(lo, start), min(hi, start + (1 << FIRST_SHIFT) - 1))
            steps += more[0]
            values += more[1]
    return steps, values


def _read(
    conn: Connection, run_pk: int, key: str, lo: int, hi: int
) -> tuple[list[int], list[float]]:
    steps: list[int] = []
    values: list[float] = []
    for r in rows(conn, ROWS_SQL, {"r": run_pk, "lo": lo, "hi": hi}):
        value = numeric(stored_object(r["data"]).get(key))
        if value is not None:
            steps.append(r["step"])
            values.append(value)
    return steps, values


def x_values(conn: Connection, run_pk: int, x: str, steps: list[int]) -> dict[int, float]:
    """The x key's value at each of ``steps`` (the first row of the step holding it)."""
    if not steps:
        return {}
    sql = text(
        "SELECT step, data FROM history_rows WHERE run_pk = :r AND step IN :steps "
        "ORDER BY step, log_offset"
    ).bindparams(bindparam("steps", expanding=True))
    found: dict[int, float] = {}
    for chunk in range(0, len(steps), 1000):
        part = sorted(set(steps[chunk : chunk + 1000]))
        for r in conn.execute(sql, {"r": run_pk, "steps": part}).mappings():
            value = numeric(stored_object(r["data"]).get(x))
            if value is not None:
                found.setdefault(r["step"], value)
    return found


def newer(
    conn: Connection, run_pk: int, cursor: int, limit: int
) -> list[tuple[int, int, dict[str, Any]]] | None:
    """The rows stored after log offset ``cursor``: (offset, step, data); None if over ``limit``."""
    found = rows(
        conn,
        "SELECT log_offset, step, data FROM history_rows WHERE run_pk = :r AND log_offset > :c "
        "ORDER BY log_offset LIMIT :n",
        {"r": run_pk, "c": cursor, "n": limit + 1},
    )
    if len(found) > limit:
        return None
    return [(r["log_offset"], r["step"], stored_object(r["data"])) for r in found]
