"""One run's downsampled series of one metric, read from the step buckets (``store.py``).

The answer is exactly :func:`nbtrack.series.downsample` over the run's stored points: the extent
comes from the finest buckets' first and last block, the groups of ``2**k`` steps are unions of
the buckets of the coarsest level no wider than a group (buckets cut by the range's ends are
replaced by their children, down to the raw rows), and each group's lowest and highest point come
from its buckets' min and max points. A range of at most ``samples`` points is answered raw: a
16-step bucket of one point (or two at different steps) already is them; others are read.
Points are then drawn at their x: the step, or the x key read from the chosen rows.
"""

from __future__ import annotations

import dataclasses
from typing import Any

from sqlalchemy import Connection, bindparam, text

from nbtrack.series import FIRST_SHIFT, INT64, Point, extent, group_shift, numeric, pick, unzip
from nbtrack.server.database import rows
from nbtrack.server.history.store import SHIFTS, Partial, merge
from nbtrack.server.values import stored_object

Part = tuple[int, Partial]  # (first step the part covers, [n, min_step, min, max_step, max])
BUCKETS_SQL = (
    "SELECT bucket, n, min_step, min_value, max_step, max_value FROM metric_buckets "
    "WHERE run_pk = :r AND metric = :m AND level = :l AND bucket >= :b0 AND bucket <= :b1 "
    "ORDER BY bucket"
)
EDGE_SQL = (  # a run's first or last finest bucket, for ``runs.pk``
    "SELECT bucket FROM metric_buckets WHERE run_pk = runs.pk AND metric = ? AND level = 0 "
    "AND bucket >= ? AND bucket <= ? ORDER BY bucket {} LIMIT 1"
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
    return points_of_runs(conn, [run_pk], key, window)[run_pk]


def points_of_runs(
    conn: Connection, run_pks: list[int], key: str, window: Window
) -> dict[int, tuple[list[int], list[float]]]:
    """``points`` for many runs, each level's buckets read for all of them in one query."""
    out: dict[int, tuple[list[int], list[float]]] = {pk: ([], []) for pk in run_pks}
    plans: dict[int, tuple[int, int, int]] = {}  # run -> first, last, group shift
    for pk, span in _extents(conn, run_pks, key, window).items():
        plans[pk] = (*span, group_shift(span[0], span[1], window.samples))
    by_level: dict[int, list[int]] = {}
    for pk, (_, _, shift) in plans.items():
        by_level.setdefault(_level_of(shift), []).append(pk)
    for level, pks in by_level.items():
        found = _buckets(
            conn, pks, key, level, min(plans[p][0] for p in pks), max(plans[p][1] for p in pks)
        )
        for pk in pks:
            parts = _whole_or_refined(conn, pk, key, level, found.get(pk, []), plans[pk], window)
            out[pk] = _answer(conn, pk, key, parts, plans[pk], window)
    return out


def _level_of(shift: int) -> int:
    """The coarsest bucket level no wider than a group of ``2**shift`` steps."""
    return max(i for i, s in enumerate(SHIFTS) if s <= shift)


def _answer(
    conn: Connection,
    run_pk: int,
    key: str,
    parts: list[Part],
    plan: tuple[int, int, int],
    window: Window,
) -> tuple[list[int], list[float]]:
    first, last, shift = plan
    if sum(part[0] for _, part in parts) <= window.samples:
        return _raw(conn, run_pk, key, first, last, window)
    if shift == SHIFTS[_level_of(shift)] and all(start % (1 << shift) == 0 for start, _ in parts):
        return _bucket_ends(parts)  # each bucket is a group
    groups: dict[int, Partial] = {}
    for start, part in parts:
        if start >> shift in groups:
            merge(groups[start >> shift], part)
        else:
            groups[start >> shift] = list(part)
    return unzip(_ends(groups[g]) for g in sorted(groups))


def _buckets(
    conn: Connection, run_pks: list[int], key: str, level: int, lo: int, hi: int
) -> dict[int, list[tuple[Any, ...]]]:
    """The runs' buckets of ``level`` over steps [lo, hi], by run, in step order."""
    shift = SHIFTS[level]
    marks = ", ".join("?" for _ in run_pks)
    sql = (
        "SELECT run_pk, bucket, n, min_step, min_value, max_step, max_value FROM metric_buckets "
        f"WHERE run_pk IN ({marks}) AND metric = ? AND level = ? AND bucket >= ? AND bucket <= ? "
        "ORDER BY run_pk, bucket"
    )
    out: dict[int, list[tuple[Any, ...]]] = {}
    for row in fetch(conn, sql, (*run_pks, key, level, lo >> shift, hi >> shift)):
        out.setdefault(row[0], []).append(row[1:])
    return out


def fetch(conn: Connection, sql: str, params: tuple[Any, ...]) -> list[tuple[Any, ...]]:
    """Rows as plain tuples, straight through the driver's cursor (``?`` placeholders)."""
    if conn.engine.dialect.name != "sqlite":
        sql = sql.replace("?", "%s")
    cursor = conn.connection.dbapi_connection.cursor()  # type: ignore[union-attr]
    try:
        cursor.execute(sql, params)
        return list(cursor.fetchall())
    finally:
        cursor.close()


def _whole_or_refined(
    conn: Connection,
    run_pk: int,
    key: str,
    level: int,
    buckets: list[tuple[Any, ...]],
    plan: tuple[int, int, int],
    window: Window,
) -> list[Part]:
    """Buckets inside the window as they are; those it cuts replaced by their children."""
    shift, out = SHIFTS[level], []
    for bucket, n, s0, v0, s1, v1 in buckets:
        start, end = bucket << shift, (bucket << shift) + (1 << shift) - 1
        if window.lo <= start and end <= window.hi:
            out.append((start, [n, s0, v0, s1, v1]))
        else:
            lo, hi = max(plan[0], start), min(plan[1], end)
            out.extend(_parts(conn, run_pk, key, level, lo, hi, window))
    return out


def _bucket_ends(parts: list[Part]) -> tuple[list[int], list[float]]:
    """Each part's lowest and highest point in step order: ``pick`` without the tuples."""
    steps: list[int] = []
    values: list[float] = []
    for _, (_, s0, v0, s1, v1) in parts:
        if s0 == s1 and v0 == v1:
            steps.append(s0)
            values.append(v0)
        elif (s0, v0) < (s1, v1):
            steps += (s0, s1)
            values += (v0, v1)
        else:
            steps += (s1, s0)
            values += (v1, v0)
    return steps, values


def _ends(part: Partial) -> list[Point]:
    return pick((part[1], part[2]), (part[3], part[4]))


def _extents(
    conn: Connection, run_pks: list[int], key: str, window: Window
) -> dict[int, tuple[int, int]]:
    """Each run's extent in the window (its first and last 16-step block), in one query."""
    if not run_pks:
        return {}
    edge = (key, window.lo >> FIRST_SHIFT, window.hi >> FIRST_SHIFT)
    marks = ", ".join("?" for _ in run_pks)
    sql = f"SELECT pk, ({EDGE_SQL.format('ASC')}), ({EDGE_SQL.format('DESC')}) FROM runs "
    found = fetch(conn, sql + f"WHERE pk IN ({marks})", (*edge, *edge, *run_pks))
    return {
        pk: extent(first << FIRST_SHIFT, last << FIRST_SHIFT, window.lo, window.hi)
        for pk, first, last in found
        if first is not None and last is not None
    }


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
    """Every point of [lo, hi]: a 16-step bucket of one point, or of two at different steps, is
    its points; the others are read from the rows."""
    steps: list[int] = []
    values: list[float] = []
    for start, part in _parts(conn, run_pk, key, 0, lo, hi, window):
        if part[0] == 1 or (part[0] == 2 and part[1] != part[3]):  # the points themselves
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


Fresh = list[tuple[int, int, dict[str, Any]]]  # (log offset, step, data) of rows after a cursor


def newer(conn: Connection, cursors: dict[int, int], limit: int) -> dict[int, Fresh | None]:
    """Each run's rows stored after its log offset cursor, in one query; None if over ``limit``."""
    if not cursors:
        return {}
    one_run = (
        "SELECT * FROM (SELECT run_pk, log_offset, step, data FROM history_rows "
        "WHERE run_pk = ? AND log_offset > ? ORDER BY log_offset LIMIT ?) AS r{}"
    )
    found: dict[int, Fresh] = {pk: [] for pk in cursors}
    items = list(cursors.items())
    for start in range(0, len(items), 100):  # SQLite allows 500 terms in a compound SELECT
        chunk = items[start : start + 100]
        sql = " UNION ALL ".join(one_run.format(i) for i in range(len(chunk)))
        params = tuple(v for pk, cursor in chunk for v in (pk, cursor, limit + 1))
        for pk, offset, step, data in fetch(conn, sql, params):
            found[pk].append((offset, step, stored_object(data)))
    return {pk: (None if len(rows) > limit else sorted(rows)) for pk, rows in found.items()}
