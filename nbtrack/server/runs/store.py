"""Runs: create-or-update by id, read one, list a project's runs (filter, sort, paginate).

A run's JSON fields (config, summary, metadata, git, tags) are stored as JSON text, NaN included.
A live run (``running``, or ``preempting`` after ``run.mark_preempting()``) whose last heartbeat (or
write) is older than the timeout reads as ``crashed``. Metadata is merged key by key, as config is:
each upload chunk carries only the metadata records it read.
"""

from __future__ import annotations

import dataclasses
import time
from typing import Any

from sqlalchemy import Connection
from sqlalchemy.exc import DataError

from nbtrack.api import runorder
from nbtrack.api.filters import Node
from nbtrack.api.runorder import Order
from nbtrack.server.accounts.access import Project
from nbtrack.server.database import POSTGRESQL, SQLITE, Dialect, one, rows, run, scalar
from nbtrack.server.problems import conflict, invalid, not_found
from nbtrack.server.runs import filters as runfilters
from nbtrack.server.runs.disclosure import public_metadata
from nbtrack.server.values import stored_list, stored_object
from nbtrack.server.wire import dumps

STATES = ("running", "preempting", "finished", "failed", "crashed", "killed")
LIVE_STATES = ("running", "preempting")
MERGED_FIELDS = ("config", "summary", "metrics", "metadata")
PLAIN_FIELDS = ("name", "notes", "group", "job_type", "state", "exit_code", "runtime", "created_at")
LIVE_SQL = "('running', 'preempting')"
COLUMNS = {"group": "group_name"}


@dataclasses.dataclass(frozen=True)
class Listing:
    state: str | None = None
    tag: str | None = None
    group: str | None = None
    sort: str = "-created_at"
    limit: int = 50
    offset: int = 0
    filters: Node | None = None


def lock(conn: Connection, dialect: Dialect, run_pk: int) -> None:
    """Serialise writers of one run (SQLite already holds the database write lock)."""
    if dialect.name == "postgresql":
        run(conn, "SELECT pk FROM runs WHERE pk = :p FOR UPDATE", {"p": run_pk})


def find(conn: Connection, project: Project, run_id: str) -> dict[str, Any]:
    row = one(
        conn,
        "SELECT * FROM runs WHERE project_pk = :p AND run_id = :r",
        {"p": project.pk, "r": run_id},
    )
    if row is None:
        raise not_found(f"Run '{project.path}/{run_id}' not found: check the run ID.")
    return row


def upsert(
    conn: Connection, dialect: Dialect, project: Project, run_id: str, patch: dict[str, Any]
) -> dict[str, Any]:
    """Create the run if new, then apply ``patch`` (fields the client sent)."""
    now = time.time()
    entity_pk = scalar(conn, "SELECT entity_pk FROM projects WHERE pk = :p", {"p": project.pk})
    run(
        conn,
        "INSERT INTO runs (project_pk, entity_pk, run_id, created_at, updated_at, heartbeat_at) "
        "VALUES (:p, :e, :r, :t, :t, :t) ON CONFLICT (entity_pk, run_id) DO NOTHING",
        {"p": project.pk, "e": entity_pk, "r": run_id, "t": now},
    )
    row = one(
        conn,
        "SELECT pk, project_pk FROM runs WHERE entity_pk = :e AND run_id = :r",
        {"e": entity_pk, "r": run_id},
    )
    assert row is not None
    if row["project_pk"] != project.pk:
        other = scalar(conn, "SELECT name FROM projects WHERE pk = :p", {"p": row["project_pk"]})
        raise conflict(
            f"Run ID '{run_id}' is already used in project '{project.entity}/{other}'; "
            "choose another ID, or log to that project."
        )
    lock(conn, dialect, row["pk"])
    current = one(conn, "SELECT * FROM runs WHERE pk = :p", {"p": row["pk"]})
    assert current is not None
    _apply(conn, current, patch, now)
    fresh = one(conn, "SELECT * FROM runs WHERE pk = :p", {"p": row["pk"]})
    assert fresh is not None
    return fresh


def _apply(conn: Connection, current: dict[str, Any], patch: dict[str, Any], now: float) -> None:
    values: dict[str, Any] = {"updated_at": now, "heartbeat_at": now}
    for field in MERGED_FIELDS:
        if patch.get(field) is not None:
            values[field] = dumps(stored_object(current[field]) | patch[field])
    if patch.get("summary_unset"):
        summary = stored_object(values.get("summary") or current["summary"])
        values["summary"] = dumps(
            {k: v for k, v in summary.items() if k not in patch["summary_unset"]}
        )
    if patch.get("git") is not None:
        values["git"] = dumps(patch["git"])
    if "name" not in patch and patch.get("display_name") is not None:
        patch = patch | {"name": patch["display_name"]}
    for field in PLAIN_FIELDS:
        if field in patch and (patch[field] is not None or field in ("notes", "group", "job_type")):
            values[COLUMNS.get(field, field)] = patch[field]
    if patch.get("tags") is not None:
        values["tags"] = dumps(patch["tags"])
        set_tags(conn, current["pk"], patch["tags"])
    assignments = ", ".join(f"{column} = :{column}" for column in values)
    run(conn, f"UPDATE runs SET {assignments} WHERE pk = :pk", values | {"pk": current["pk"]})


def set_tags(conn: Connection, run_pk: int, tags: list[str]) -> None:
    run(conn, "DELETE FROM run_tags WHERE run_pk = :r", {"r": run_pk})
    unique = sorted(set(tags))
    if unique:
        run(
            conn,
            "INSERT INTO run_tags (run_pk, tag) VALUES (:r, :t)",
            [{"r": run_pk, "t": t} for t in unique],
        )


def shown_state(row: dict[str, Any], timeout: float, now: float | None = None) -> str:
    state: str = row["state"]
    if state in LIVE_STATES and (now or time.time()) - row["heartbeat_at"] > timeout:
        return "crashed"
    return state


def present(row: dict[str, Any], project: Project, base_url: str, timeout: float) -> dict[str, Any]:
    """The run as the API shows it to this viewer (git state and machine details: members only)."""
    metadata = stored_object(row["metadata"])
    body: dict[str, Any] = {
        "id": row["run_id"],
        "entity": project.entity,
        "project": project.name,
        "name": row["name"],
        "display_name": row["name"],
        "state": shown_state(row, timeout),
        "exit_code": row["exit_code"],
        "config": stored_object(row["config"]),
        "summary": stored_object(row["summary"]),
        "metrics": stored_object(row["metrics"]),
        "tags": stored_list(row["tags"]),
        "notes": row["notes"],
        "group": row["group_name"],
        "job_type": row["job_type"],
        "metadata": metadata,
        "created_at": row["created_at"],
        "updated_at": row["updated_at"],
        "heartbeat_at": row["heartbeat_at"],
        "runtime": row["runtime"],
        "history_count": row["history_count"],
        "max_offset": row["max_offset"],
        "url": f"{base_url}/{project.entity}/{project.name}/runs/{row['run_id']}",
    }
    if project.member:
        body["git"] = stored_object(row["git"]) if row["git"] else None
    else:
        body["metadata"] = public_metadata(metadata)
    return body


def listing(
    conn: Connection, project: Project, query: Listing, timeout: float
) -> tuple[list[dict[str, Any]], int]:
    """One page of the project's runs and the total that match the filters."""
    dialect = POSTGRESQL if conn.dialect.name == "postgresql" else SQLITE
    where, params = _filters(project, query, timeout)
    sql = runfilters.compile(dialect, query.filters, _order(query.sort))
    source = f"FROM runs{sql.joins} WHERE {where} AND ({sql.where})"
    params |= sql.params
    counted = query.filters is not None  # one pass over the matches: count them as they sort
    columns = "runs.*, COUNT(*) OVER () AS matching" if counted else "runs.*"
    try:
        page = rows(
            conn,
            f"SELECT {columns} {source} ORDER BY {sql.order} LIMIT :limit OFFSET :offset",
            params | {"limit": query.limit, "offset": query.offset},
        )
        if page and counted:
            return page, int(page[0]["matching"])
        return page, int(scalar(conn, f"SELECT COUNT(*) {source}", params))
    except DataError as exc:  # e.g. a $regex PostgreSQL cannot read
        raise invalid(f"The filter cannot be evaluated: {exc.orig}; check its values.") from None


def _order(sort: str) -> Order:
    try:
        return runorder.parse(sort)
    except ValueError as exc:
        raise invalid(f"sort={sort!r}: {exc}") from None


def _filters(project: Project, query: Listing, timeout: float) -> tuple[str, dict[str, Any]]:
    clauses = ["project_pk = :project"]
    params: dict[str, Any] = {"project": project.pk, "cutoff": time.time() - timeout}
    if query.state == "crashed":
        clauses.append(f"(state = 'crashed' OR (state IN {LIVE_SQL} AND heartbeat_at < :cutoff))")
    elif query.state in LIVE_STATES:
        clauses.append("state = :state AND heartbeat_at >= :cutoff")
        params["state"] = query.state
    elif query.state is not None:
        if query.state not in STATES:
            raise invalid(f"state={query.state!r} is not a state; use one of {', '.join(STATES)}.")
        clauses.append("state = :state")
        params["state"] = query.state
    if query.tag is not None:
        clauses.append("pk IN (SELECT run_pk FROM run_tags WHERE tag = :tag)")
        params["tag"] = query.tag
    if query.group is not None:
        clauses.append("group_name = :group")
        params["group"] = query.group
    return " AND ".join(clauses), params
