"""Run alerts (``run.alert()``) and the entity webhook they are posted to: store and routes.

An alert is keyed, like a history row, by its offset in the client's run log, so a re-sent batch
stores and posts each alert once. New alerts are posted to the webhook of the run's entity (see
``webhooks.py``) after the transaction commits, from a background pool.
"""

from __future__ import annotations

import time
from typing import Annotated, Any, Literal

from fastapi import APIRouter
from pydantic import Field
from sqlalchemy import Connection
from starlette.requests import Request

from nbtrack.server.accounts import access
from nbtrack.server.api import Ctx, Who, readable_run, writable_run
from nbtrack.server.database import bulk, known_offsets, rows
from nbtrack.server.payloads import INT64_MAX, Body, ShortText, Text
from nbtrack.server.runs import webhooks
from nbtrack.server.wire import JSONResponse

router = APIRouter(prefix="/api/v1", default_response_class=JSONResponse)


class AlertIn(Body):
    offset: Annotated[int, Field(ge=0, le=INT64_MAX)]
    title: Annotated[ShortText, Field(min_length=1)]
    text: Text
    level: Literal["INFO", "WARN", "ERROR"]
    at: Annotated[float, Field(ge=0, allow_inf_nan=False)]


class AlertBatch(Body):
    alerts: Annotated[list[AlertIn], Field(max_length=10_000)]


class WebhookIn(Body):
    url: ShortText | None = None


def store(conn: Connection, run_pk: int, alerts: list[AlertIn]) -> list[AlertIn]:
    """Insert the alerts whose offsets are new; answer those."""
    unique = {a.offset: a for a in alerts}
    if not unique:
        return []
    known = known_offsets(conn, "alerts", run_pk, unique)
    fresh = [a for o, a in sorted(unique.items()) if o not in known]
    if fresh:
        now = time.time()
        bulk(
            conn,
            "INSERT INTO alerts (run_pk, log_offset, title, body, level, at, received_at) "
            "VALUES (?, ?, ?, ?, ?, ?, ?)",
            [(run_pk, a.offset, a.title, a.text, a.level, a.at, now) for a in fresh],
        )
    return fresh


def listing(conn: Connection, run_pk: int) -> list[dict[str, Any]]:
    return rows(
        conn,
        "SELECT log_offset AS offset, title, body AS text, level, at FROM alerts "
        "WHERE run_pk = :r ORDER BY log_offset",
        {"r": run_pk},
    )


@router.post("/runs/{entity}/{project}/{run_id}/alerts")
def add_alerts(
    entity: str, project: str, run_id: str, batch: AlertBatch, ctx: Ctx, who: Who, request: Request
) -> JSONResponse:
    with ctx.db.write() as conn:
        row = writable_run(ctx, conn, who, entity, project, run_id)
        fresh = store(conn, row["pk"], batch.alerts)
        hook = webhooks.get(conn, row["entity_pk"]) if fresh else None
    if hook is not None:
        link = f"{ctx.base_url(request)}/{entity}/{project}/runs/{run_id}"
        texts = [webhooks.message(entity, project, run_id, a.model_dump(), link) for a in fresh]
        webhooks.post_later(hook, texts)
    return JSONResponse({"inserted": len(fresh)})


@router.get("/runs/{entity}/{project}/{run_id}/alerts")
def get_alerts(entity: str, project: str, run_id: str, ctx: Ctx, who: Who) -> JSONResponse:
    with ctx.db.read() as conn:
        _, row = readable_run(conn, who, entity, project, run_id)
        return JSONResponse({"alerts": listing(conn, row["pk"])})


@router.put("/entities/{entity}/webhook")
def put_webhook(entity: str, body: WebhookIn, ctx: Ctx, who: Who) -> JSONResponse:
    private_ok = bool(who.user and who.user.is_admin)
    with ctx.db.read() as conn:
        access.administrable(conn, who, entity)  # refuse non-admins before any lookup
    url = webhooks.check_url(body.url, private_ok) if body.url else None
    with ctx.db.write() as conn:
        ent = access.administrable(conn, who, entity)
        webhooks.set_url(conn, ent["pk"], url, private_ok)
    return JSONResponse({"entity": entity, "url": url})


@router.get("/entities/{entity}/webhook")
def get_webhook(entity: str, ctx: Ctx, who: Who) -> JSONResponse:
    with ctx.db.read() as conn:
        ent = access.administrable(conn, who, entity)
        hook = webhooks.get(conn, ent["pk"])
    return JSONResponse({"entity": entity, "url": hook["url"] if hook else None})


@router.delete("/entities/{entity}/webhook")
def delete_webhook(entity: str, ctx: Ctx, who: Who) -> JSONResponse:
    with ctx.db.write() as conn:
        ent = access.administrable(conn, who, entity)
        webhooks.set_url(conn, ent["pk"], None, False)
    return JSONResponse({"entity": entity, "url": None})
