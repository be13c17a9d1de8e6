"""The batched series query: one answer for many runs, spikes kept, incremental polls, access."""

from __future__ import annotations

import itertools
import math
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from nbtrack import series as shared
from nbtrack.server.database import Database, run
from nbtrack.server.history import series
from nbtrack.server.history import store as history
from tests.server.support import Server, database_for, project_database


def put_run(server: Server, key: str, path: str, rows: list[dict[str, Any]], **fields: Any) -> None:
    server.ok("PUT", f"/runs/{path}", key, json=fields)
    records = [{"offset": i, "step": r.get("_step", i), "data": r} for i, r in enumerate(rows)]
    for start in range(0, len(records), 5000):
        batch = {"records": records[start : start + 5000]}
        server.ok("POST", f"/runs/{path}/history", key, json=batch)


def more_rows(server: Server, key: str, path: str, first: int, rows: list[dict[str, Any]]) -> None:
    records = [{"offset": first + i, "step": r["_step"], "data": r} for i, r in enumerate(rows)]
    server.ok("POST", f"/runs/{path}/history", key, json={"records": records})


def query(server: Server, key: str | None, project: str, **body: Any) -> Any:
    return server.ok("POST", f"/projects/{project}/series", key, json=body)


def test_one_answer_for_many_runs_keeps_every_spike(server: Server) -> None:
    name, key = server.new_user()
    project = f"{name}/cmp"
    spikes = {}
    for r in range(3):
        values = [math.sin(i / 50 + r) for i in range(20_000)]
        spikes[f"run{r}spk"] = 100 + r * 1000
        values[spikes[f"run{r}spk"]] = 99.0 + r
        put_run(server, key, f"{project}/run{r}spk", [{"loss": v} for v in values])
    body = query(
        server,
        key,
        project,
        runs=["run0spk", "run1spk", "run2spk", "nosuchrun"],
        keys=["loss"],
        samples=400,
    )
    assert body["missing"] == ["nosuchrun"]
    assert [r["id"] for r in body["runs"]] == ["run0spk", "run1spk", "run2spk"]
    for i, answer in enumerate(body["runs"]):
        line = answer["series"]["loss"]
        assert line["x"] == "_step" and answer["mode"] == "full" and answer["cursor"] == 19_999
        assert len(line["xs"]) <= 400
        assert dict(zip(line["xs"], line["ys"], strict=True))[spikes[answer["id"]]] == 99.0 + i
    zoom = query(
        server, key, project, runs=["run1spk"], keys=["loss"], samples=400, min_x=1000, max_x=1299
    )
    assert zoom["runs"][0]["series"]["loss"]["xs"] == list(range(1000, 1300))


def test_a_poll_answers_only_points_stored_after_the_cursor(server: Server) -> None:
    name, key = server.new_user()
    project = f"{name}/live"
    put_run(server, key, f"{project}/liverun1", [{"acc": i / 10} for i in range(10)])
    first = query(server, key, project, runs=["liverun1"], keys=["acc"])["runs"][0]
    assert first["series"]["acc"]["xs"] == list(range(10)) and first["cursor"] == 9
    again = query(server, key, project, runs=["liverun1"], keys=["acc"], since={"liverun1": 9})
    assert again["runs"][0]["mode"] == "append" and again["runs"][0]["series"]["acc"]["xs"] == []
    more_rows(
        server, key, f"{project}/liverun1", 10, [{"_step": 10 + i, "acc": 2.0} for i in range(3)]
    )
    poll = query(server, key, project, runs=["liverun1"], keys=["acc"], since={"liverun1": 9})
    answer = poll["runs"][0]
    assert answer["mode"] == "append" and answer["cursor"] == 12
    assert answer["series"]["acc"] == {"x": "_step", "xs": [10, 11, 12], "ys": [2.0, 2.0, 2.0]}
    behind = query(
        server, key, project, runs=["liverun1"], keys=["acc"], samples=2, since={"liverun1": 0}
    )
    assert behind["runs"][0]["mode"] == "full"
    rewound = query(server, key, project, runs=["liverun1"], keys=["acc"], since={"liverun1": 99})
    assert rewound["runs"][0]["mode"] == "full" and rewound["runs"][0]["cursor"] == 12


def test_x_axis_runtime_step_metric_and_filters(server: Server) -> None:
    name, key = server.new_user()
    project = f"{name}/axes"
    rows = [{"_runtime": i * 0.5, "epoch": i // 10, "loss": 1 / (i + 1)} for i in range(100)]
    put_run(server, key, f"{project}/axesrun1", rows, config={"lr": 0.1})
    metrics = {"loss": {"name": "loss", "step_metric": "epoch"}}
    put_run(server, key, f"{project}/axesrun2", rows, config={"lr": 0.2}, metrics=metrics)
    by_time = query(server, key, project, runs=["axesrun1"], keys=["loss"], x="_runtime")
    line = by_time["runs"][0]["series"]["loss"]
    assert line["x"] == "_runtime" and line["xs"] == [i * 0.5 for i in range(100)]
    zoom = query(
        server, key, project, runs=["axesrun1"], keys=["loss"], x="_runtime", min_x=10, max_x=12
    )
    assert zoom["runs"][0]["series"]["loss"]["xs"] == [10.0, 10.5, 11.0, 11.5, 12.0]
    chosen = query(server, key, project, filters={"config.lr": {"$gt": 0.15}}, keys=["loss"])
    assert [r["id"] for r in chosen["runs"]] == ["axesrun2"]
    assert chosen["runs"][0]["series"]["loss"]["x"] == "epoch"  # define_metric's step_metric
    assert chosen["runs"][0]["series"]["loss"]["xs"][:11] == [0.0] * 10 + [1.0]


def test_same_permissions_as_the_project(server: Server) -> None:
    owner, key = server.new_user()
    _, other_key = server.new_user()
    put_run(server, key, f"{owner}/secret/privrun1", [{"loss": 1.0}])
    body = {"runs": ["privrun1"], "keys": ["loss"]}
    for who in (None, other_key):
        response = server.request("POST", f"/projects/{owner}/secret/series", who, json=body)
        assert response.status_code == 404, response.text
    server.ok("PATCH", f"/projects/{owner}/secret", key, json={"visibility": "public"})
    response = server.request("POST", f"/projects/{owner}/secret/series", None, json=body)
    assert response.status_code == 200
    assert response.json()["runs"][0]["series"]["loss"]["ys"] == [1.0]
    bad = server.request(
        "POST", f"/projects/{owner}/secret/series", key, json={**body, "keys": ["_step"]}
    )
    assert bad.status_code == 400 and "'_step' is an axis" in bad.text
    bad = server.request(
        "POST", f"/projects/{owner}/secret/series", key, json={**body, "filters": {}}
    )
    assert bad.status_code == 400 and "not both" in bad.text
    bad = server.request(
        "POST",
        f"/projects/{owner}/secret/series",
        key,
        json={"filters": {"$bad": 1}, "keys": ["a"]},
    )
    assert bad.status_code == 400 and "$bad" in bad.text


@pytest.fixture(
    scope="module", params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)]
)
def series_db(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Database]:
    folder: Path = tmp_path_factory.mktemp("series")
    for url in database_for(request.param, folder):
        db = project_database(url or f"sqlite:///{folder / 'series.db'}")
        yield db
        db.dispose()


def stored_run(db: Database, steps: list[int], values: list[Any], batches: int) -> int:
    with db.write() as conn:
        run(
            conn,
            "INSERT INTO runs (project_pk, entity_pk, run_id, created_at, updated_at, "
            "heartbeat_at) VALUES (1, 1, :r, 0, 0, 0)",
            {"r": uuid.uuid4().hex[:8]},
        )
        pk = conn.exec_driver_sql("SELECT MAX(pk) FROM runs").scalar_one()
    records = [(i, s, {"y": v}) for i, (s, v) in enumerate(zip(steps, values, strict=True))]
    size = max(1, len(records) // batches + 1)
    for start in range(0, len(records), size):
        with db.write() as conn:
            row = conn.exec_driver_sql(f"SELECT * FROM runs WHERE pk = {pk}").mappings().one()
            history.append(conn, db.dialect, dict(row), records[start : start + size], 0.0)
    return int(pk)


values_st = st.one_of(
    st.floats(-1e6, 1e6),
    st.integers(-(10**6), 10**6),
    st.sampled_from([0.0, 1.0, float("nan"), "text"]),  # ties, non-finite and non-numbers
)


@settings(max_examples=40, deadline=None, suppress_health_check=list(HealthCheck))
@example(data=[0.0, 0.0], gaps=[1], samples=2, window=None, batches=1)
@given(
    data=st.lists(values_st, min_size=1, max_size=2500),
    gaps=st.lists(st.integers(1, 300), min_size=1, max_size=5),
    samples=st.integers(2, 400),
    window=st.tuples(st.integers(-50, 300_000), st.integers(-50, 300_000)) | st.none(),
    batches=st.integers(1, 4),
)
def test_the_server_answers_exactly_what_the_shared_module_computes(
    series_db: Database,
    data: list[Any],
    gaps: list[int],
    samples: int,
    window: tuple[int, int] | None,
    batches: int,
) -> None:
    steps = [0, *itertools.accumulate(gaps[i % len(gaps)] for i in range(len(data) - 1))]
    pk = stored_run(series_db, steps, data, batches)
    lo, hi = sorted(window) if window else (None, None)
    expected = shared.downsample(steps, data, samples, lo, hi)
    bounds = series.Window(samples, *(shared.INT64 if window is None else (lo, hi)))  # type: ignore[arg-type]
    with series_db.read() as conn:
        got = series.points(conn, pk, "y", bounds)
    assert got == expected


def test_a_poll_of_many_runs_answers_each_once(server: Server) -> None:
    name, key = server.new_user()
    project = f"{name}/many"
    ids = [f"many{i:04d}" for i in range(120)]  # more than one batch of the poll's query
    for i, run_id in enumerate(ids):
        rows = [{"offset": 0, "step": 0, "data": {"m": float(i)}}]
        server.ok("POST", f"/runs/{project}/{run_id}/history", key, json={"records": rows})
    since = dict.fromkeys(ids, -1)
    body = query(server, key, project, runs=ids, keys=["m"], since=since)
    assert [r["series"]["m"]["ys"] for r in body["runs"]] == [[float(i)] for i in range(120)]
    assert {r["mode"] for r in body["runs"]} == {"append"} and {
        r["cursor"] for r in body["runs"]
    } == {0}
