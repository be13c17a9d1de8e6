"""User and team names are unique regardless of case (``alice``, ``Alice`` and ``ALICE`` cannot
coexist): over HTTP, through ``nbtrack admin``, and in the database itself (a unique index on the
lower-cased name, SQLite and PostgreSQL). Databases that already hold such names keep them.
"""

from __future__ import annotations

from pathlib import Path

import pytest
import sqlalchemy

from nbtrack.server import migrations
from nbtrack.server.database import Database, rows, run
from tests.server.support import Server
from tests.server.test_cli import admin_cli

NAMES_STEP = next(s.version for s in migrations.STEPS if "regardless of case" in s.name)


def test_names_differing_only_in_case_are_refused_over_http(server: Server, uid: str) -> None:
    server.ok("POST", "/admin/users", server.admin_key, json={"username": f"alice{uid}"})
    for route, body in (
        ("/admin/users", {"username": f"Alice{uid}"}),
        ("/admin/teams", {"name": f"ALICE{uid}"}),
    ):
        answer = server.request("POST", route, server.admin_key, json=body)
        assert answer.status_code == 409, answer.text
        message = answer.json()["error"]["message"]
        assert f"alice{uid}" in message and "case" in message
    server.ok("POST", "/admin/teams", server.admin_key, json={"name": f"Team{uid}"})
    answer = server.request(
        "POST", "/admin/users", server.admin_key, json={"username": f"team{uid}"}
    )
    assert answer.status_code == 409


def test_names_differing_only_in_case_are_refused_by_the_admin_cli(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert admin_cli(tmp_path, "user", "ada") == 0
    assert admin_cli(tmp_path, "user", "ADA") == 1
    assert admin_cli(tmp_path, "team", "Ada") == 1
    err = capsys.readouterr().err
    assert "'ADA'" in err and "'ada'" in err and "case" in err


def test_the_database_itself_refuses_a_case_twin(fresh_database: str) -> None:
    db = Database(fresh_database)
    migrations.upgrade(db)
    insert = "INSERT INTO entities (name, kind, created_at) VALUES (:n, 'team', 0)"
    with db.write() as conn:
        run(conn, insert, {"n": "bob"})
    with pytest.raises(sqlalchemy.exc.IntegrityError), db.write() as conn:
        run(conn, insert, {"n": "BoB"})
    db.dispose()


def test_existing_case_twins_survive_the_upgrade_and_block_new_ones(fresh_database: str) -> None:
    db = Database(fresh_database)
    migrations.upgrade(db, target=NAMES_STEP - 1)
    insert = "INSERT INTO entities (name, kind, created_at) VALUES (:n, 'team', 0)"
    with db.write() as conn:
        for name in ("carol", "Carol", "CAROL", "dave"):
            run(conn, insert, {"n": name})
    assert migrations.upgrade(db) == [s.version for s in migrations.STEPS][NAMES_STEP - 1 :]
    with db.read() as conn:
        kept = [r["name"] for r in rows(conn, "SELECT name FROM entities ORDER BY pk")]
    assert kept == ["carol", "Carol", "CAROL", "dave"]
    for name in ("cArol", "DAVE"):
        with pytest.raises(sqlalchemy.exc.IntegrityError), db.write() as conn:
            run(conn, insert, {"n": name})
    db.dispose()
