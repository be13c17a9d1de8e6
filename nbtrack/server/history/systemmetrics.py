"""System metrics (:mod:`nbtrack.system`): each sample stored by its run-log offset, and served.

A sample is a flat object of numbers with ``_runtime`` (and ``_timestamp``), kept apart from the
history (it has no step). Keyed by the offset of its ``system`` record, so a re-sent batch stores
each sample once. ``GET`` answers up to ``samples`` of them spread evenly over the run, with the
rule of ``history(samples=N)``.
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Query
from pydantic import AfterValidator, Field
from sqlalchemy import Connection

from nbtrack.api.sample import chosen
from nbtrack.server.api import Ctx, Who, readable_run, writable_run
from nbtrack.server.database import bulk, known_offsets, rows
from nbtrack.server.payloads import INT64_MAX, Body
from nbtrack.server.wire import JSONResponse, dumps, loads

router = APIRouter(prefix="/api/v1", default_response_class=JSONResponse)
MAX_KEYS = 1024


def numbers(value: dict[str, Any]) -> dict[str, Any]:
    """A sample: at most 1024 keys of up to 256 characters, each a number, ``_runtime`` too."""
    if len(value) > MAX_KEYS:
        raise ValueError(f"a sample holds at most {MAX_KEYS} keys")
    for key, item in value.items():
        if len(key) > 256 or "\x00" in key:
            raise ValueError(f"key {key[:40]!r} is longer than 256 characters or holds NUL")
        if isinstance(item, bool) or not isinstance(item, int | float) or abs(item) > 2**63:
            raise ValueError(f"{key!r} must be a number, not {item!r}")
    if "_runtime" not in value:
        raise ValueError("a sample needs its _runtime")
    return value


class SampleIn(Body):
    offset: Annotated[int, Field(ge=0, le=INT64_MAX)]
    data: Annotated[dict[str, Any], AfterValidator(numbers)]


class SampleBatch(Body):
    samples: Annotated[list[SampleIn], Field(max_length=10_000)]


def store(conn: Connection, run_pk: int, samples: list[SampleIn]) -> int:
    """Insert the samples whose offsets are new; answer how many."""
    unique = {s.offset: s for s in samples}
    if not unique:
        return 0
    known = known_offsets(conn, "system_metrics", run_pk, unique)
    fresh = [s for o, s in sorted(unique.items()) if o not in known]
    bulk(
        conn,
        "INSERT INTO system_metrics (run_pk, log_offset, runtime, data) VALUES (?, ?, ?, ?)",
        [(run_pk, s.offset, float(s.data["_runtime"]), dumps(s.data)) for s in fresh],
    )
    return len(fresh)


def listing(conn: Connection, run_pk: int, samples: int) -> list[dict[str, Any]]:
    """Up to ``samples`` samples spread over the run, first and last included, in log order."""
    found = rows(
        conn,
        "SELECT log_offset, data FROM system_metrics WHERE run_pk = :r ORDER BY log_offset",
        {"r": run_pk},
    )
    total = len(found)
    return [
        loads(r["data"], "stored sample") for i, r in enumerate(found) if chosen(i, total, samples)
    ]


@router.post("/runs/{entity}/{project}/{run_id}/system")
def add_samples(
    entity: str, project: str, run_id: str, batch: SampleBatch, ctx: Ctx, who: Who
) -> JSONResponse:
    with ctx.db.write() as conn:
        row = writable_run(ctx, conn, who, entity, project, run_id)
        inserted = store(conn, row["pk"], batch.samples)
    return JSONResponse({"inserted": inserted})


@router.get("/runs/{entity}/{project}/{run_id}/system")
def get_samples(
    entity: str,
    project: str,
    run_id: str,
    ctx: Ctx,
    who: Who,
    samples: Annotated[int, Query(ge=1, le=100_000)] = 500,
) -> JSONResponse:
    with ctx.db.read() as conn:
        _, row = readable_run(conn, who, entity, project, run_id)
        return JSONResponse({"rows": listing(conn, row["pk"], samples)})
