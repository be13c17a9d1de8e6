"""Changing a run after the fact: edit its fields (``run.update()``) or delete it whole.

An edit replaces config and summary (keys left out are removed), unlike the merging upload in
``store.upsert``. Deleting removes the run's row, every row that refers to it and its files.
"""

from __future__ import annotations

import time
from typing import Any

from sqlalchemy import Connection, inspect

from nbtrack.server.database import run
from nbtrack.server.runs import store
from nbtrack.server.wire import dumps

TEXT_FIELDS = {"name": "name", "notes": "notes", "group": "group_name", "job_type": "job_type"}


def edit(conn: Connection, row: dict[str, Any], patch: dict[str, Any]) -> None:
    """Apply the fields the client sent; ``None`` clears notes, group and job type."""
    if "name" not in patch and patch.get("display_name") is not None:
        patch = patch | {"name": patch["display_name"]}
    values: dict[str, Any] = {"updated_at": time.time()}
    for field, column in TEXT_FIELDS.items():
        if field in patch and (patch[field] is not None or field != "name"):
            values[column] = patch[field]
    for field in ("config", "summary"):
        if patch.get(field) is not None:
            values[field] = dumps(patch[field])
    if patch.get("tags") is not None:
        values["tags"] = dumps(patch["tags"])
        store.set_tags(conn, row["pk"], patch["tags"])
    assignments = ", ".join(f"{column} = :{column}" for column in values)
    run(conn, f"UPDATE runs SET {assignments} WHERE pk = :pk", values | {"pk": row["pk"]})


def delete(conn: Connection, run_pk: int) -> None:
    """Remove the run and every row of another table that names it (``run_pk``)."""
    found = inspect(conn)
    if found.has_table("artifact_versions"):  # versions outlive the run that logged them
        run(
            conn,
            "UPDATE artifact_versions SET producer_pk = NULL WHERE producer_pk = :r",
            {"r": run_pk},
        )
    for table in found.get_table_names():
        if table != "runs" and any(c["name"] == "run_pk" for c in found.get_columns(table)):
            run(conn, f"DELETE FROM {table} WHERE run_pk = :r", {"r": run_pk})
    run(conn, "DELETE FROM runs WHERE pk = :r", {"r": run_pk})
