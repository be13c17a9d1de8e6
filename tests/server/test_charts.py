"""Charts: at most N points per metric, extremes kept, windows exact at their ends."""

from __future__ import annotations

import math
import uuid
from collections.abc import Iterator

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from nbtrack.server.database import Database, run
from nbtrack.server.history import charts
from nbtrack.server.history import store as history
from tests.server.support import project_database


def fill(db: Database, steps: int, values: list[float]) -> int:
    with db.write() as conn:
        run(conn, "INSERT INTO entities (name, kind, created_at) VALUES ('e', 'user', 0)")
        run(conn, "INSERT INTO projects (entity_pk, name, created_at) VALUES (1, 'p', 0)")
        run(
            conn,
            "INSERT INTO runs (project_pk, entity_pk, run_id, created_at, updated_at, "
            "heartbeat_at) VALUES (1, 1, 'r', 0, 0, 0)",
        )
    for start in range(0, steps, 10_000):
        with db.write() as conn:
            row = conn.exec_driver_sql("SELECT * FROM runs").mappings().one()
            batch = [(i, i, {"x": values[i]}) for i in range(start, min(steps, start + 10_000))]
            history.append(conn, db.dialect, dict(row), batch, 0.0)
    return 1


def test_a_chart_over_many_steps_keeps_extremes_within_n_points(fresh_database: str) -> None:
    from nbtrack.server import migrations

    db = Database(fresh_database)
    migrations.upgrade(db)
    steps = 60_000
    values = [math.sin(i / 300) for i in range(steps)]
    values[12_345], values[54_321] = 50.0, -50.0
    run_pk = fill(db, steps, values)
    with db.read() as conn:
        for samples in (50, 500, 5000):
            series = charts.chart(conn, run_pk, ["x"], samples, None, None)["x"]
            points = dict(zip(series["steps"], series["values"], strict=True))
            assert samples // 4 < len(points) <= samples
            assert points[12_345] == 50.0 and points[54_321] == -50.0
        window = charts.chart(conn, run_pk, ["x"], 100, 1000, 1049)["x"]
        assert window["steps"] == list(range(1000, 1050))
    db.dispose()


def test_a_window_keeps_its_own_extremes_and_none_from_outside(fresh_database: str) -> None:
    from nbtrack.server import migrations

    db = Database(fresh_database)
    migrations.upgrade(db)
    values = [math.sin(i / 300) for i in range(60_000)]
    values[999], values[1001], values[29_999], values[30_001] = -77.0, 77.0, -55.0, 55.0
    run_pk = fill(db, len(values), values)
    with db.read() as conn:
        series = charts.chart(conn, run_pk, ["x"], 100, 1000, 30_000)["x"]
    db.dispose()
    points = dict(zip(series["steps"], series["values"], strict=True))
    assert len(points) <= 100 and all(1000 <= s <= 30_000 for s in points)
    assert points[1001] == 77.0 and points[29_999] == -55.0
    assert all(points[s] == values[s] for s in points)


@settings(max_examples=25, deadline=None, suppress_health_check=list(HealthCheck))
@given(
    data=st.lists(st.floats(-1e6, 1e6), min_size=1, max_size=3000),
    gap=st.integers(1, 700),
    window=st.tuples(st.integers(0, 2_000_000), st.integers(0, 2_000_000)),
    samples=st.integers(2, 300),
)
def test_charts_are_real_points_within_n_keeping_the_extremes(
    chart_db: Database, data: list[float], gap: int, window: tuple[int, int], samples: int
) -> None:
    steps = [i * gap for i in range(len(data))]
    with chart_db.write() as conn:
        run(
            conn,
            "INSERT INTO runs (project_pk, entity_pk, run_id, created_at, updated_at, "
            "heartbeat_at) VALUES (1, 1, :r, 0, 0, 0)",
            {"r": uuid.uuid4().hex},
        )
        row = conn.exec_driver_sql("SELECT * FROM runs ORDER BY pk DESC LIMIT 1").mappings().one()
        batch = [(i, s, {"x": v}) for i, (s, v) in enumerate(zip(steps, data, strict=True))]
        history.append(conn, chart_db.dialect, dict(row), batch, 0.0)
    lo, hi = sorted(window)
    with chart_db.read() as conn:
        series = charts.chart(conn, row["pk"], ["x"], samples, lo, hi)["x"]
    truth = {s: v for s, v in zip(steps, data, strict=True) if lo <= s <= hi}
    got = list(zip(series["steps"], series["values"], strict=True))
    assert len(got) <= samples
    assert all(truth.get(s) == v for s, v in got)
    assert series["steps"] == sorted(series["steps"])
    if truth:
        assert min(truth.values()) in series["values"] and max(truth.values()) in series["values"]


@pytest.fixture(scope="module")
def chart_db(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Database]:
    db = project_database(f"sqlite:///{tmp_path_factory.mktemp('charts') / 'charts.db'}")
    yield db
    db.dispose()
