"""Numbered migrations: a database of the first schema upgrades to the latest and loses nothing."""

from __future__ import annotations

import json
import warnings
from pathlib import Path

import pytest

from nbtrack.server import migrations
from nbtrack.server.accounts.store import hash_key, new_key
from nbtrack.server.config import ServerConfig
from nbtrack.server.database import Database, run, scalar


def seed_first_schema(db: Database, key: str) -> None:
    """Rows as a server of schema version 1 wrote them."""
    with db.write() as conn:
        run(conn, "INSERT INTO entities (name, kind, created_at) VALUES ('old', 'user', 1)")
        run(conn, "INSERT INTO users (entity_pk, is_admin, created_at) VALUES (1, 1, 1)")
        run(
            conn,
            "INSERT INTO api_keys (user_pk, key_hash, prefix, created_at) "
            "VALUES (1, :h, 'nbt_', 1)",
            {"h": hash_key(key)},
        )
        run(
            conn,
            "INSERT INTO projects (entity_pk, name, visibility, created_at) "
            "VALUES (1, 'legacy', 'private', 1)",
        )
        run(
            conn,
            "INSERT INTO runs (project_pk, entity_pk, run_id, name, config, created_at, "
            "updated_at, heartbeat_at, state, history_count, max_offset, last_step) "
            "VALUES (1, 1, 'r1', 'kept', '{\"lr\": 0.5}', 1, 1, 1, 'finished', 100, 99, 99)",
        )
        run(
            conn,
            "INSERT INTO history_rows (run_pk, log_offset, step, data) VALUES (1, :o, :s, :d)",
            [
                {"o": i, "s": i, "d": json.dumps({"_step": i, "loss": 100.0 - i})}
                for i in range(100)
            ],
        )


def test_upgrading_from_the_first_schema_keeps_everything(
    fresh_database: str, tmp_path: Path
) -> None:
    db = Database(fresh_database)
    assert migrations.upgrade(db, target=1) == [1]
    key = new_key()
    seed_first_schema(db, key)
    assert migrations.current_version(db) == 1
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        from fastapi.testclient import TestClient
    from nbtrack.server.app import create_app

    app = create_app(ServerConfig(data_dir=str(tmp_path), database_url=fresh_database))
    assert migrations.current_version(db) == migrations.LATEST
    headers = {"Authorization": f"Bearer {key}"}
    with TestClient(app) as client:
        found = client.get("/api/v1/runs/old/legacy/r1", headers=headers).json()
        assert (found["name"], found["config"], found["history_count"]) == (
            "kept",
            {"lr": 0.5},
            100,
        )
        rows = client.get("/api/v1/runs/old/legacy/r1/history?limit=500", headers=headers).json()
        assert len(rows["rows"]) == 100
        chart = client.get(
            "/api/v1/runs/old/legacy/r1/history?samples=20&keys=loss", headers=headers
        ).json()["series"]["loss"]
        assert chart["values"][0] == 100.0 and chart["values"][-1] == 1.0
    app.state.context.db.dispose()
    db.dispose()


def test_upgrade_is_idempotent_and_refuses_a_newer_database(fresh_database: str) -> None:
    db = Database(fresh_database)
    assert migrations.upgrade(db) == [s.version for s in migrations.STEPS]
    assert migrations.upgrade(db) == []
    with db.write() as conn:
        run(conn, "INSERT INTO schema_migrations (version, name, applied_at) VALUES (999, 'x', 0)")
    with pytest.raises(migrations.SchemaTooNew, match="upgrade nbtrack"):
        migrations.upgrade(db)
    with db.read() as conn:
        assert scalar(conn, "SELECT COUNT(*) FROM schema_migrations") == len(migrations.STEPS) + 1
    db.dispose()
