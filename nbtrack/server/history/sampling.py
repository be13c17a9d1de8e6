"""Sampled history rows, as wandb's ``run.history(samples=...)`` gives them.

Of the rows that hold every requested key (all rows when none are asked for), in step order,
``samples`` are picked evenly, the first and the last included: row ``i`` of ``n`` is taken when
``i * (samples - 1) // (n - 1)`` reaches a new value. One query; the database numbers the rows.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import Connection

from nbtrack.server.database import Dialect, rows
from nbtrack.server.wire import loads


def sample(
    conn: Connection, dialect: Dialect, run_pk: int, samples: int, keys: list[str] | None
) -> list[dict[str, Any]]:
    """Up to ``samples`` rows; with ``keys``, rows holding all of them, cut to those keys."""
    params: dict[str, Any] = {"r": run_pk, "s": samples}
    having = ""
    for i, key in enumerate(keys or []):
        params[f"k{i}"] = key
        having += f" AND {_has_key(dialect, f':k{i}')}"
    found = rows(
        conn,
        "SELECT data FROM (SELECT data, ROW_NUMBER() OVER (ORDER BY step, log_offset) - 1 AS i, "
        f"COUNT(*) OVER () AS n FROM history_rows WHERE run_pk = :r{having}) numbered "
        "WHERE n <= :s OR i = 0 OR (i * (:s - 1)) / (n - 1) > ((i - 1) * (:s - 1)) / (n - 1) "
        "ORDER BY i",
        params,
    )
    picked = [loads(r["data"], "history") for r in found]
    if keys:
        return [{k: row[k] for k in keys} for row in picked]
    return picked


def _has_key(dialect: Dialect, key: str) -> str:
    if dialect.name == "postgresql":
        doc = (
            "(CASE WHEN position('NaN' in data) = 0 AND position('Infinity' in data) = 0 "
            "THEN CAST(data AS jsonb) ELSE nbtrack_jsonb(data) END)"
        )
        return f"({doc} -> CAST({key} AS text)) IS NOT NULL"
    doc = (
        "(CASE WHEN instr(data, 'NaN') = 0 AND instr(data, 'Infinity') = 0 "
        "THEN data ELSE nbtrack_json(data) END)"
    )
    return f"json_type({doc}, '$.\"' || {key} || '\"') IS NOT NULL"
