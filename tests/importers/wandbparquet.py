"""A run whose history a wandb server has partly exported to Parquet, as the recorded server
(:mod:`tests.importers.wandbserver`) answers it: ``RunParquetHistory`` lists two Parquet files,
written here with the real ``pyarrow``, and the steps not exported yet, which the history page
gives as JSON lines.

The files are laid out as wandb-core reads them: a ``_step`` column (integer in one file, a
float in the other: the reader takes either), ``_runtime`` and ``_timestamp``, one column per
metric with a null where a row did not log it, nested metrics both ways a reader meets them
(flattened to a dotted column name, and as a struct column whose missing fields are null),
and media (a histogram) as a struct column whose fields are the media's keys."""

from __future__ import annotations

import datetime
import json
import math
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.parquet as pq

RUN = "run3pqt"
START = datetime.datetime(2026, 11, 22, 9, 0, tzinfo=datetime.timezone.utc).timestamp()
OPTIM = pa.struct([("lr", pa.float64()), ("momentum", pa.float64())])
HISTOGRAM = pa.struct(
    [("_type", pa.string()), ("bins", pa.list_(pa.float64())), ("values", pa.list_(pa.int64()))]
)


def _hist(values: list[int]) -> dict[str, Any]:
    return {"_type": "histogram", "bins": [0.0, 0.5, 1.0], "values": values}


def _row(step: int, **metrics: Any) -> dict[str, Any]:
    runtime = 10.0 * step + 0.25
    return {"_step": step, "_runtime": runtime, "_timestamp": START + runtime, **metrics}


# What the run logged, step by step (a nested metric as the client sends it).
EXPORTED = [
    _row(0, loss=1.5, epoch=0, optim={"lr": 0.1, "momentum": 0.9}),
    _row(1, loss=math.nan, epoch=0, weights=_hist([1, 2])),
    _row(2, loss=0.75, epoch=1, val={"acc": 0.5}, optim={"lr": 0.05}),
    _row(3, loss=0.5, epoch=1, weights=_hist([3, 0])),
    _row(4, loss=0.25, epoch=2, val={"acc": 0.625}),
]
LIVE = [_row(5, loss=0.125, epoch=2, val={"acc": 0.75}), _row(6, loss=0.0625, epoch=3)]
LOGGED = EXPORTED + LIVE


def write_parquet(rows: list[dict[str, Any]], path: Path, step: pa.DataType) -> None:
    """``rows`` as one exported history file: every column in every row, null where unlogged."""
    columns = {
        "_step": pa.array([r["_step"] for r in rows], step),
        "_runtime": pa.array([r["_runtime"] for r in rows], pa.float64()),
        "_timestamp": pa.array([r["_timestamp"] for r in rows], pa.float64()),
        "loss": pa.array([r["loss"] for r in rows], pa.float64()),
        "epoch": pa.array([r["epoch"] for r in rows], pa.int64()),
        "val.acc": pa.array([r.get("val", {}).get("acc") for r in rows], pa.float64()),
        "optim": pa.array([r.get("optim") for r in rows], OPTIM),
        "weights": pa.array([r.get("weights") for r in rows], HISTOGRAM),
    }
    pq.write_table(pa.table(columns), path)


def parquet_files(folder: Path) -> dict[str, Path]:
    """The two exported files, by their path under the server's ``/files/``."""
    folder.mkdir(parents=True, exist_ok=True)
    first, second = folder / "history-0.parquet", folder / "history-1.parquet"
    write_parquet(EXPORTED[:3], first, pa.int64())
    write_parquet(EXPORTED[3:], second, pa.float64())
    return {f"{RUN}/history-0.parquet": first, f"{RUN}/history-1.parquet": second}


def answers() -> dict[str, Any]:
    """The server's answers for a project holding only this run."""
    node = {
        "id": "UnVuOjM=",
        "tags": [],
        "name": RUN,
        "displayName": "tidy-river-3",
        "state": "finished",
        "group": None,
        "jobType": None,
        "commit": None,
        "createdAt": "2026-11-22T09:00:00Z",
        "heartbeatAt": "2026-11-22T09:01:10Z",
        "description": None,
        "notes": None,
        "historyLineCount": len(LOGGED),
        "projectId": "17",
        "sweepName": None,
        "readOnly": False,
        "user": {"name": "Ann", "username": "ann"},
    }
    last = len(LOGGED) - 1
    summary = {"loss": LIVE[-1]["loss"], "epoch": 3, "_step": last, "val": {"acc": 0.75}}
    run = {
        **node,
        "config": json.dumps({"lr": {"value": 0.05, "desc": None}}),
        "summaryMetrics": json.dumps(summary),
        "systemMetrics": "{}",
        "historyKeys": {"lastStep": last, "keys": {}},
    }
    urls = [f"{{base}}/files/{RUN}/history-{i}.parquet" for i in range(2)]
    parquet = {"parquetUrls": urls, "liveData": [{"_step": r["_step"]} for r in LIVE]}
    files = {"fileCount": 0, "files": {"edges": [], "pageInfo": {"hasNextPage": False}}}
    edges = [{"node": node, "cursor": "c0"}]
    page = {"endCursor": "c0", "hasNextPage": False}
    listing = {"runCount": 1, "readOnly": False, "runs": {"edges": edges, "pageInfo": page}}
    by_run = {
        "Run": {"run": run},
        "RunParquetHistory": {"run": {"parquetHistory": parquet}},
        "HistoryPage": {"run": {"history": [json.dumps(r) for r in LIVE]}},
        "RunHistoryKeys": {"run": {"historyKeys": run["historyKeys"]}},
        "RunFullHistory": {"run": {"history": [], "events": []}},
        "RunFiles": {"internalId": "UHJvamVjdDox", "run": files},
    }
    out: dict[str, Any] = {
        name: {"by_name": {RUN: {"data": {"project": body}}}} for name, body in by_run.items()
    }
    out["Runs"] = {"data": {"project": {"internalId": "UHJvamVjdDox", **listing}}}
    return out
