"""Seed an MLflow SQLite tracking store for the server benchmark, through MLflow's own store code.

    bench/venvs/mlflow/bin/python bench/mlflow_seed.py DB_PATH ARTIFACTS RUNS CHART_STEPS

Runs before the MLflow server starts, in the MLflow virtualenv, against the store URI (no REST):
``RUNS`` runs in experiment ``table`` (each ``create_run`` with tag ``t=bench``, a ``log_batch``
of param ``lr`` and metrics ``loss`` and ``acc`` at step 0, then ``update_run_info`` to
FINISHED, as ``set_terminated`` does: the same data nbtrack's run table gets), and one run
``long`` in experiment ``bench`` with metric ``loss`` at ``CHART_STEPS`` steps. Rows are written
by MLflow's ``SqlAlchemyStore`` (the middle of the long run as rows of MLflow's own ``metrics``
table, see ``seed_chart``); only the seeding connections run with ``PRAGMA synchronous=OFF``
(seeding is not what is measured, and the server opens its own connections with MLflow's
settings).
Prints one JSON line: experiment ids, the chart run's id, the seconds each part took, and the
SQLite journal mode and sync level a new connection to the file gets.
"""

from __future__ import annotations

import json
import random
import sys
import time
from typing import Any


def relaxed_store(uri: str, artifacts: str) -> Any:
    import sqlalchemy
    from mlflow.store.tracking.sqlalchemy_store import SqlAlchemyStore

    store = SqlAlchemyStore(uri, artifacts)

    def no_sync(connection: Any, record: Any) -> None:
        connection.execute("PRAGMA synchronous=OFF")

    sqlalchemy.event.listen(store.engine, "connect", no_sync)
    store.engine.dispose()  # connections opened so far had the default setting
    return store


def seed_table(store: Any, runs: int) -> tuple[str, float]:
    from mlflow.entities import Metric, Param, RunStatus, RunTag

    experiment = store.create_experiment("table")
    rng = random.Random(2)
    start, now = time.perf_counter(), int(time.time() * 1000)
    for i in range(runs):  # start times 1 ms apart: "newest first" has an order to follow
        tags = [RunTag("t", "bench")]
        run = store.create_run(experiment, "bench", now + i, tags, f"run-{i}")
        metrics = [Metric("loss", rng.random(), 0, 0), Metric("acc", rng.random(), 0, 0)]
        store.log_batch(run.info.run_id, metrics, [Param("lr", repr(rng.random()))], [])
        store.update_run_info(run.info.run_id, RunStatus.FINISHED, now + i + 1, None)
    return experiment, time.perf_counter() - start


def seed_chart(store: Any, steps: int) -> tuple[str, str, float]:
    """The long run: its first and last 1000 steps through ``log_batch`` (which also keeps the
    run's latest value), the steps between inserted into MLflow's ``metrics`` table as rows of
    the same columns, in one transaction (``log_batch`` of 1000 values costs ~0.1 s of CPU)."""
    from mlflow.entities import Metric
    from mlflow.store.tracking.dbmodels.models import SqlMetric

    experiment = store.create_experiment("bench")
    run = store.create_run(experiment, "bench", 0, [], "long")
    run_id, rng = run.info.run_id, random.Random(1)
    start = time.perf_counter()
    edge = min(1000, steps)
    middle = range(edge, max(edge, steps - 1000))
    batch = [Metric("loss", rng.random(), 0, s) for s in range(edge)]
    store.log_batch(run_id, batch, [], [])
    rows = [
        {"key": "loss", "value": rng.random(), "timestamp": 0, "step": s, "is_nan": False}
        | {"run_uuid": run_id}
        for s in middle
    ]
    with store.engine.begin() as conn:
        conn.execute(SqlMetric.__table__.insert(), rows)
    tail = range(max(edge, steps - 1000), steps)
    store.log_batch(run_id, [Metric("loss", rng.random(), 0, s) for s in tail], [], [])
    return experiment, run_id, time.perf_counter() - start


def sqlite_defaults(db: str) -> dict[str, object]:
    """The journal mode of the seeded file and the sync level a new connection gets: what the
    server runs with, since MLflow sets neither."""
    import sqlite3

    with sqlite3.connect(db) as conn:
        journal = conn.execute("PRAGMA journal_mode").fetchone()[0]
        level = conn.execute("PRAGMA synchronous").fetchone()[0]
    return {
        "journal_mode": journal,
        "synchronous": {0: "OFF", 1: "NORMAL", 2: "FULL"}.get(level, level),
    }


def main(argv: list[str]) -> None:
    db, artifacts, runs, steps = argv[0], argv[1], int(argv[2]), int(argv[3])
    store = relaxed_store(f"sqlite:///{db}", artifacts)
    table, table_s = seed_table(store, runs)
    chart, chart_run, chart_s = seed_chart(store, steps)
    store.engine.dispose()
    out = {"table_experiment": table, "table_seed_s": table_s, "chart_experiment": chart}
    out |= {"chart_run": chart_run, "chart_seed_s": chart_s}
    print(json.dumps(out | sqlite_defaults(db)))


if __name__ == "__main__":
    main(sys.argv[1:])
