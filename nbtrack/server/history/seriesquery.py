"""The batched ``series`` query: many runs' downsampled metrics in one answer, incremental polls.

A run is chosen by ID (``runs``) or by a run filter (``filters``, newest ``max_runs`` first). For
each run and key the answer is ``{"x": axis, "xs": [...], "ys": [...]}``, downsampled as
:mod:`nbtrack.series` says. The x-axis is ``x``, else the key's ``step_metric`` from
``define_metric``, else ``_step``. Points are chosen by step; with another x they are drawn at the
x read from their rows (points without one are left out), which suits an x that grows with the
step (``_runtime``, ``_timestamp``, an epoch counter). ``min_x``/``max_x`` are in x units; for
such an x the step range is found from a first answer at the same resolution.

Each run's answer carries a ``cursor`` (its highest stored log offset). Sent back in ``since``, it
makes that run's answer ``"mode": "append"``: only the points stored after it (``"full"`` again
when more than ``samples`` rows arrived since, so the browser starts over).
"""

from __future__ import annotations

import time
from typing import Annotated, Any

from pydantic import AfterValidator, Field
from sqlalchemy import Connection, bindparam, text

from nbtrack.api.filters import Node
from nbtrack.api.filters import parse as parse_filters
from nbtrack.series import INT64, numeric, step_metric_of
from nbtrack.server.accounts.access import Project
from nbtrack.server.history import series
from nbtrack.server.payloads import Body, clean_text
from nbtrack.server.problems import invalid
from nbtrack.server.runs import store as runs
from nbtrack.server.values import stored_object
from nbtrack.settings import check_run_id

AXES = ("_step", "_runtime", "_timestamp")
Key = Annotated[str, AfterValidator(clean_text), Field(min_length=1, max_length=1000)]
RunId = Annotated[str, Field(min_length=1, max_length=64)]
Bound = Annotated[float, Field(allow_inf_nan=False)]


class SeriesQuery(Body):
    """``POST /projects/{entity}/{project}/series``."""

    runs: Annotated[list[RunId], Field(max_length=1000)] | None = None
    filters: dict[str, Any] | None = None
    max_runs: Annotated[int, Field(ge=1, le=1000)] = 100
    keys: Annotated[list[Key], Field(min_length=1, max_length=100)]
    x: Key | None = None
    samples: Annotated[int, Field(ge=2, le=100_000)] = 1000
    min_x: Bound | None = None
    max_x: Bound | None = None
    since: Annotated[
        dict[str, Annotated[int, Field(ge=-1, le=INT64[1])]], Field(max_length=1000)
    ] = Field(default_factory=dict)


def chosen_runs(
    conn: Connection, project: Project, query: SeriesQuery, timeout: float
) -> tuple[list[dict[str, Any]], list[str]]:
    """The runs asked for, in the order asked (or newest first), and the IDs not found."""
    if query.runs is not None and query.filters is not None:
        raise invalid("Pass either runs (a list of run IDs) or filters, not both.")
    if query.runs is not None:
        return _by_id(conn, project, query.runs)
    node = _filter(query.filters)
    listing = runs.Listing(limit=query.max_runs, filters=node)
    page, _ = runs.listing(conn, project, listing, timeout)
    return page, []


def _filter(filters: dict[str, Any] | None) -> Node | None:
    try:
        return None if filters is None else parse_filters(filters)
    except ValueError as exc:
        raise invalid(f"filters: {exc}") from None


def _by_id(
    conn: Connection, project: Project, ids: list[str]
) -> tuple[list[dict[str, Any]], list[str]]:
    for run_id in ids:
        try:
            check_run_id(run_id)
        except ValueError as exc:
            raise invalid(f"runs: {exc}") from None
    sql = text("SELECT * FROM runs WHERE project_pk = :p AND run_id IN :ids").bindparams(
        bindparam("ids", expanding=True)
    )
    found = {
        r["run_id"]: dict(r) for r in conn.execute(sql, {"p": project.pk, "ids": ids}).mappings()
    }
    ordered = [found[i] for i in dict.fromkeys(ids) if i in found]
    return ordered, [i for i in dict.fromkeys(ids) if i not in found]


def answer(
    conn: Connection, query: SeriesQuery, run_rows: list[dict[str, Any]], timeout: float
) -> list[Any]:
    _check(query)
    now = time.time()
    axes = {row["pk"]: _axes(row, query) for row in run_rows}
    fresh = _fresh(conn, run_rows, query)
    full = _full_series(conn, [r for r in run_rows if fresh[r["pk"]] is None], axes, query)
    out = []
    for row in run_rows:
        body = {"id": row["run_id"], "name": row["name"]}
        body["state"] = runs.shown_state(row, timeout, now)
        new_rows = fresh[row["pk"]]
        if new_rows is None:
            body |= {"mode": "full", "cursor": row["max_offset"], "series": full[row["pk"]]}
        else:
            cursor = max([query.since[row["run_id"]], *(o for o, _, _ in new_rows)])
            lines = {k: _appended(new_rows, k, axes[row["pk"]][k], query) for k in query.keys}
            body |= {"mode": "append", "cursor": cursor, "series": lines}
        out.append(body)
    return out


def _axes(row: dict[str, Any], query: SeriesQuery) -> dict[str, str]:
    metrics = stored_object(row["metrics"])
    return {key: query.x or step_metric_of(metrics, key) or "_step" for key in query.keys}


def _fresh(
    conn: Connection, run_rows: list[dict[str, Any]], query: SeriesQuery
) -> dict[int, series.Fresh | None]:
    """The rows after each run's since-cursor; None for a full answer (no cursor, a cursor
    beyond the run's rows, or more rows than ``samples``)."""
    cursors = {}
    for row in run_rows:
        cursor = query.since.get(row["run_id"])
        if cursor is not None and cursor <= row["max_offset"]:  # else a rewound run starts over
            cursors[row["pk"]] = cursor
    found = series.newer(conn, cursors, query.samples)
    return {row["pk"]: found.get(row["pk"]) for row in run_rows}


def _full_series(
    conn: Connection,
    run_rows: list[dict[str, Any]],
    axes: dict[int, dict[str, str]],
    query: SeriesQuery,
) -> dict[int, dict[str, Any]]:
    """Every run's full answer per key; runs drawn against the step share one bucket query."""
    out: dict[int, dict[str, Any]] = {row["pk"]: {} for row in run_rows}
    window = series.Window(query.samples, *_step_bounds(query))
    for key in query.keys:
        by_step = [r["pk"] for r in run_rows if axes[r["pk"]][key] == "_step"]
        for pk, (steps, values) in series.points_of_runs(conn, by_step, key, window).items():
            out[pk][key] = {"x": "_step", "xs": steps, "ys": values}
        for row in run_rows:
            if axes[row["pk"]][key] != "_step":
                out[row["pk"]][key] = _full(conn, row["pk"], key, axes[row["pk"]][key], query)
    return out


def _check(query: SeriesQuery) -> None:
    for key in query.keys:
        if key.startswith("_"):
            raise invalid(f"keys: {key!r} is an axis, not a metric; pass it as x instead.")
    if query.min_x is not None and query.max_x is not None and query.min_x > query.max_x:
        raise invalid(f"min_x ({query.min_x}) is above max_x ({query.max_x}); swap them.")


def _appended(
    fresh: list[tuple[int, int, dict[str, Any]]], key: str, x: str, query: SeriesQuery
) -> dict[str, Any]:
    xs: list[float] = []
    ys: list[float] = []
    for _, step, data in sorted(fresh, key=lambda r: (r[1], r[0])):
        y = numeric(data.get(key))
        at = float(step) if x == "_step" else numeric(data.get(x))
        if y is not None and at is not None and _inside(at, query):
            xs.append(at)
            ys.append(y)
    return {"x": x, "xs": xs, "ys": ys}


def _inside(x: float, query: SeriesQuery) -> bool:
    low = query.min_x if query.min_x is not None else -float("inf")
    high = query.max_x if query.max_x is not None else float("inf")
    return low <= x <= high


def _full(conn: Connection, run_pk: int, key: str, x: str, query: SeriesQuery) -> dict[str, Any]:
    """A run's full answer against another x than the step (see the module's docstring)."""
    window = series.Window(query.samples)
    if query.min_x is not None or query.max_x is not None:
        window = _step_window(conn, run_pk, key, x, query)
    steps, values = series.points(conn, run_pk, key, window)
    at = series.x_values(conn, run_pk, x, steps)
    pairs = [
        (at[s], v) for s, v in zip(steps, values, strict=True) if s in at and _inside(at[s], query)
    ]
    return {"x": x, "xs": [p[0] for p in pairs], "ys": [p[1] for p in pairs]}


def _step_bounds(query: SeriesQuery) -> tuple[int, int]:
    low = INT64[0] if query.min_x is None else max(INT64[0], _ceil(query.min_x))
    high = INT64[1] if query.max_x is None else min(INT64[1], _floor(query.max_x))
    return low, high


def _ceil(value: float) -> int:
    return int(-(-value // 1)) if abs(value) < 2**63 else (INT64[1] if value > 0 else INT64[0])


def _floor(value: float) -> int:
    return int(value // 1) if abs(value) < 2**63 else (INT64[1] if value > 0 else INT64[0])


def _step_window(
    conn: Connection, run_pk: int, key: str, x: str, query: SeriesQuery
) -> series.Window:
    """The steps that hold [min_x, max_x] of an x growing with the step, from a full answer."""
    steps, _ = series.points(conn, run_pk, key, series.Window(query.samples))
    at = series.x_values(conn, run_pk, x, steps)
    known = [(s, at[s]) for s in steps if s in at]
    low_x = query.min_x if query.min_x is not None else -float("inf")
    high_x = query.max_x if query.max_x is not None else float("inf")
    before = [s for s, v in known if v < low_x]
    after = [s for s, v in known if v > high_x]
    return series.Window(query.samples, max(before, default=INT64[0]), min(after, default=INT64[1]))
