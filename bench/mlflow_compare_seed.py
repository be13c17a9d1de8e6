"""Run with MLflow's python (bench/venvs/mlflow), before its server starts: seed a SQLite tracking
store with the compare benchmark's data through MLflow's own store code (no REST: seeding 10 runs
x 100k steps through ``log-batch`` requests of 1000 values took about 15 minutes).

    bench/venvs/mlflow/bin/python bench/mlflow_compare_seed.py DB_PATH ARTIFACTS STEPS

Experiment ``compare``: 10 runs ``run-0`` ... ``run-9``, metric ``loss`` at STEPS steps, the same
values as ``bench_compare.loss_values`` (a spike of 50.0 in each run). Each run's first and last
1000 values go through ``log_batch`` (which also keeps the run's latest value); the steps between
are inserted into MLflow's ``metrics`` table as rows of the same columns, in one transaction.
Only the seeding connections run with ``PRAGMA synchronous=OFF``. Prints one JSON line: the run
IDs and the seconds seeding took.
"""

from __future__ import annotations

import json
import math
import sys
import time
from typing import Any


def loss_values(run: int, steps: int) -> list[float]:
    values = [1 / (s + 1) + 0.01 * math.sin(s / 7 + run) for s in range(steps)]
    values[(run * 7919) % steps] = 50.0  # a spike the downsampling must keep
    return values


def relaxed_store(uri: str, artifacts: str) -> Any:
    import sqlalchemy
    from mlflow.store.tracking.sqlalchemy_store import SqlAlchemyStore

    store = SqlAlchemyStore(uri, artifacts)

    def no_sync(connection: Any, record: Any) -> None:
        connection.execute("PRAGMA synchronous=OFF")

    sqlalchemy.event.listen(store.engine, "connect", no_sync)
    store.engine.dispose()
    return store


def seed_run(store: Any, experiment: str, index: int, steps: int) -> str:
    from mlflow.entities import Metric
    from mlflow.store.tracking.dbmodels.models import SqlMetric

    run_id: str = store.create_run(experiment, "bench", 0, [], f"run-{index}").info.run_id
    values = loss_values(index, steps)
    edge = min(1000, steps)
    tail = max(edge, steps - 1000)
    store.log_batch(run_id, [Metric("loss", values[s], s, s) for s in range(edge)], [], [])
    rows = [
        {"key": "loss", "value": values[s], "timestamp": s, "step": s, "is_nan": False}
        | {"run_uuid": run_id}
        for s in range(edge, tail)
    ]
    if rows:
        with store.engine.begin() as conn:
            conn.execute(SqlMetric.__table__.insert(), rows)
    store.log_batch(run_id, [Metric("loss", values[s], s, s) for s in range(tail, steps)], [], [])
    return run_id


def main(argv: list[str]) -> None:
    db, artifacts, steps = argv[0], argv[1], int(argv[2])
    started = time.perf_counter()
    store = relaxed_store(f"sqlite:///{db}", artifacts)
    experiment = store.create_experiment("compare")
    run_ids = [seed_run(store, experiment, index, steps) for index in range(10)]
    store.engine.dispose()
    print(json.dumps({"run_ids": run_ids, "seed_s": time.perf_counter() - started}))


if __name__ == "__main__":
    main(sys.argv[1:])
