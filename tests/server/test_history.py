"""History: idempotent appends (property-based), charts over many steps, the crashed state."""

from __future__ import annotations

import json
import math
import uuid
from collections.abc import Iterator

import pytest
from conftest import Server
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from nbtrack.server import charts, history, runs
from nbtrack.server.database import Database, run

batches = st.lists(
    st.tuples(st.integers(0, 60), st.integers(1, 25)),  # (first offset, length) of a re-send
    min_size=1,
    max_size=6,
)


@settings(
    max_examples=15, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(sends=batches)
def test_retries_and_overlaps_never_duplicate_or_lose_a_step(server: Server, sends: list) -> None:
    name = getattr(server, "_hist_user", None)
    if name is None:
        name, key = server.new_user()
        server._hist_user, server._hist_key = name, key  # type: ignore[attr-defined]
    key = server._hist_key  # type: ignore[attr-defined]
    path = f"/runs/{name}/prop/{uuid.uuid4().hex[:10]}/history"
    seen: set[int] = set()
    for first, length in sends:
        offsets = range(first, first + length)
        body = {"records": [{"offset": o, "step": o, "data": {"v": o * 1.5}} for o in offsets]}
        answer = server.ok("POST", path, key, json=body)
        assert answer["inserted"] == len(set(offsets) - seen)
        seen |= set(offsets)
        assert answer["max_offset"] == max(seen)
    rows = server.ok("GET", path, key, params={"limit": 10_000})["rows"]
    assert sorted(r["v"] / 1.5 for r in rows) == sorted(seen)


def test_duplicate_offsets_inside_one_batch_count_once(server: Server, uid: str) -> None:
    name, key = server.new_user()
    body = {
        "records": [
            {"offset": 0, "step": 0, "data": {"a": 1}},
            {"offset": 0, "step": 0, "data": {"a": 2}},
        ]
    }
    path = f"/runs/{name}/p{uid}/r/history"
    assert server.ok("POST", path, key, json=body)["inserted"] == 1
    assert server.ok("GET", path, key)["rows"] == [{"a": 1}]


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


def test_a_running_run_without_heartbeat_shows_crashed(server: Server, uid: str) -> None:
    row = {"state": "running", "heartbeat_at": 1000.0}
    assert runs.shown_state(row, timeout=120, now=1100.0) == "running"
    assert runs.shown_state(row, timeout=120, now=1121.0) == "crashed"
    assert runs.shown_state(row | {"state": "finished"}, timeout=120, now=9999.0) == "finished"


def test_crashed_runs_are_listed_and_filtered_as_crashed(tmp_path: object) -> None:
    import warnings

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        from fastapi.testclient import TestClient
    from nbtrack.server.accounts import new_key
    from nbtrack.server.app import create_app
    from nbtrack.server.bootstrap import ensure_admin
    from nbtrack.server.config import ServerConfig

    app = create_app(ServerConfig(data_dir=str(tmp_path), heartbeat_timeout=60))
    db = app.state.context.db
    key = new_key()
    ensure_admin(db, "admin", key)
    headers = {"Authorization": f"Bearer {key}"}
    with TestClient(app) as client:
        for run_id in ("alive", "stale"):
            client.put(f"/api/v1/runs/admin/p/{run_id}", json={"state": "running"}, headers=headers)
        with db.write() as conn:
            run(conn, "UPDATE runs SET heartbeat_at = heartbeat_at - 61 WHERE run_id = 'stale'")
        stale = client.get("/api/v1/runs/admin/p/stale", headers=headers).json()
        assert stale["state"] == "crashed"
        listed = client.get("/api/v1/projects/admin/p/runs?state=crashed", headers=headers).json()
        assert [r["id"] for r in listed["runs"]] == ["stale"]
        listed = client.get("/api/v1/projects/admin/p/runs?state=running", headers=headers).json()
        assert [r["id"] for r in listed["runs"]] == ["alive"]
        assert json.loads(
            client.post("/api/v1/runs/admin/p/stale/heartbeat", headers=headers).text
        ) == {"state": "running"}
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
    from nbtrack.server import migrations

    db = Database(f"sqlite:///{tmp_path_factory.mktemp('charts') / 'charts.db'}")
    migrations.upgrade(db)
    with db.write() as conn:
        run(conn, "INSERT INTO entities (name, kind, created_at) VALUES ('e', 'user', 0)")
        run(conn, "INSERT INTO projects (entity_pk, name, created_at) VALUES (1, 'p', 0)")
    yield db
    db.dispose()


json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats() | st.text(),
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(), inner, max_size=3),
    max_leaves=8,
)


@settings(max_examples=20, deadline=None, suppress_health_check=list(HealthCheck))
@given(
    data=st.dictionaries(st.text(), json_values, max_size=6), step=st.integers(-(2**63), 2**63 - 1)
)
def test_any_json_row_is_stored_and_read_back(server: Server, data: dict, step: int) -> None:
    """Arbitrary keys (NUL, lone surrogates) and values, NaN included: stored, never a 500."""
    name = getattr(server, "_any_user", None)
    if name is None:
        name, key = server.new_user()
        server._any_user, server._any_key = name, key  # type: ignore[attr-defined]
    key = server._any_key  # type: ignore[attr-defined]
    path = f"/runs/{name}/any/{uuid.uuid4().hex[:10]}/history"
    body = json.dumps({"records": [{"offset": 0, "step": step, "data": data}]})
    answer = server.request(
        "POST", path, key, content=body, headers={"Content-Type": "application/json"}
    )
    assert answer.status_code == 200, answer.text
    rows = server.request("GET", path, key)
    assert rows.status_code == 200
    stored = json.loads(rows.text)["rows"][0]
    assert json.dumps(stored, sort_keys=True) == json.dumps(data, sort_keys=True)
    for params in ({"samples": 10}, {"samples": 10, "keys": ",".join(k for k in data if k)[:500]}):
        assert server.request("GET", path, key, params=params).status_code < 500


@settings(max_examples=15, deadline=None, suppress_health_check=list(HealthCheck))
@given(
    text=st.text(max_size=20),
    tags=st.lists(st.text(max_size=8), max_size=3),
    config=st.dictionaries(st.text(max_size=8), json_values, max_size=4),
)
def test_any_run_fields_are_stored_or_refused_never_500(
    server: Server, text: str, tags: list[str], config: dict
) -> None:
    name = getattr(server, "_any_user", None)
    if name is None:
        name, key = server.new_user()
        server._any_user, server._any_key = name, key  # type: ignore[attr-defined]
    key = server._any_key  # type: ignore[attr-defined]
    path = f"/runs/{name}/fields/{uuid.uuid4().hex[:10]}"
    fields = {
        "name": text,
        "notes": text,
        "group": text,
        "tags": tags,
        "config": config,
        "summary": config,
        "git": config,
        "metadata": config,
    }
    body = json.dumps(fields)
    answer = server.request(
        "PUT", path, key, content=body, headers={"Content-Type": "application/json"}
    )
    assert answer.status_code in (200, 400), answer.text
    if answer.status_code == 200:
        got = json.loads(server.request("GET", path, key).text)
        assert (got["name"], got["notes"], got["tags"]) == (text, text, tags)
        assert json.dumps(got["config"], sort_keys=True) == json.dumps(config, sort_keys=True)
        listed = server.request("GET", f"/projects/{name}/fields/runs", key, params={"tag": text})
        assert listed.status_code in (200, 400)
