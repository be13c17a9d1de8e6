"""``POST /runs/{entity}/{project}/{id}/rewind``: a run went back in its history (``resume_from``).

The client cut its run log at ``offset`` (the first history row past the step it rewound to) and
will send the log again from there, so the server drops every record it holds at or past that
offset (history rows, alerts) and recomputes what it derived from them: the summary (the last
value of each key, rows in step order), the row count, the last step and the chart buckets.
Idempotent: a repeated call drops nothing more than the first did, before new records arrive.
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter
from pydantic import Field
from sqlalchemy import Connection

from nbtrack.server.api import Ctx, Who, writable_run
from nbtrack.server.database import Dialect, rows, run
from nbtrack.server.history import store
from nbtrack.server.payloads import INT64_MAX, Body
from nbtrack.server.wire import JSONResponse, dumps, loads

router = APIRouter(prefix="/api/v1", default_response_class=JSONResponse)
PAGE = 10_000


class Rewind(Body):
    offset: Annotated[int, Field(ge=0, le=INT64_MAX)]


@router.post("/runs/{entity}/{project}/{run_id}/rewind")
def rewind_run(
    entity: str, project: str, run_id: str, body: Rewind, ctx: Ctx, who: Who
) -> JSONResponse:
    with ctx.db.write() as conn:
        row = writable_run(ctx, conn, who, entity, project, run_id)
        dropped = cut(conn, ctx.db.dialect, row, body.offset)
    return JSONResponse({"dropped": dropped, "offset": body.offset})


def cut(conn: Connection, dialect: Dialect, row: dict[str, Any], offset: int) -> int:
    """Drop the run's records at or past ``offset``; recompute what depended on them."""
    params = {"r": row["pk"], "o": offset}
    dropped = run(
        conn, "DELETE FROM history_rows WHERE run_pk = :r AND log_offset >= :o", params
    ).rowcount
    run(conn, "DELETE FROM alerts WHERE run_pk = :r AND log_offset >= :o", params)
    run(conn, "DELETE FROM system_metrics WHERE run_pk = :r AND log_offset >= :o", params)
    run(conn, "DELETE FROM media_refs WHERE run_pk = :r AND log_offset >= :o", params)
    for table in ("metric_buckets", "history_keys"):
        run(conn, f"DELETE FROM {table} WHERE run_pk = :r", params)
    summary, count, last_step, max_offset = _replay(conn, dialect, row["pk"])
    run(
        conn,
        "UPDATE runs SET summary = :s, history_count = :n, last_step = :l, max_offset = :m, "
        "state = 'running', exit_code = NULL WHERE pk = :r",
        {"s": dumps(summary), "n": count, "l": last_step, "m": max_offset, "r": row["pk"]},
    )
    return int(dropped or 0)


def _replay(
    conn: Connection, dialect: Dialect, run_pk: int
) -> tuple[dict[str, Any], int, int | None, int]:
    """Summary, count, last step and top offset of the kept rows; buckets rebuilt page by page."""
    summary: dict[str, Any] = {}
    count, last_step, max_offset = 0, None, -1
    after = (-(2**63), -1)
    while True:
        page = rows(
            conn,
            "SELECT step, log_offset, data FROM history_rows WHERE run_pk = :r AND "
            "(step > :s OR (step = :s AND log_offset > :o)) ORDER BY step, log_offset LIMIT :n",
            {"r": run_pk, "s": after[0], "o": after[1], "n": PAGE},
        )
        if not page:
            return summary, count, last_step, max_offset
        points = [(r["step"], loads(r["data"], "history")) for r in page]
        for _, data in points:
            summary.update(data)
        store.add_buckets(conn, dialect, run_pk, points)
        count += len(page)
        last_step = page[-1]["step"]
        max_offset = max(max_offset, *(r["log_offset"] for r in page))
        after = (page[-1]["step"], page[-1]["log_offset"])
