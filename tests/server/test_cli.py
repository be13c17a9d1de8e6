"""``nbtrack server`` (first start, restarts, several workers) and ``nbtrack admin``."""

from __future__ import annotations

import argparse
import re
import subprocess
import sys
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import httpx
import pytest

from nbtrack import credentials
from nbtrack.server.accounts import admin
from tests.server.support import (
    REPO,
    free_port,
    server_command,
    server_env,
    start_process,
    stop_process,
)


def test_server_modules_import_no_heavy_packages() -> None:
    code = (
        "import sys, nbtrack.server.cli, nbtrack.server.accounts.admin; "
        "print([m for m in ('fastapi', 'sqlalchemy', 'uvicorn') if m in sys.modules])"
    )
    out = subprocess.run(
        [sys.executable, "-c", code],
        capture_output=True,
        text=True,
        cwd=REPO,
        env=server_env(),
        check=True,
    ).stdout
    assert out.strip() == "[]"


def test_first_start_prints_the_admin_key_once_and_saves_it_for_loopback(tmp_path: Path) -> None:
    port = free_port()
    command = server_command(port, tmp_path / "data", None)
    output = stop_process(start_process(command, port))
    keys = re.findall(r"nbt_[A-Za-z0-9_-]{40}", output)
    assert len(keys) == 1, output
    base = f"http://127.0.0.1:{port}"
    assert credentials.load(base) == {"api_key": keys[0], "entity": "admin"}
    assert credentials.load(f"http://localhost:{port}") == credentials.load(base)
    process = start_process(command, port)
    try:
        answer = httpx.get(f"{base}/api/v1/viewer", headers={"Authorization": f"Bearer {keys[0]}"})
        assert answer.json()["username"] == "admin"
    finally:
        again = stop_process(process)
    assert not re.findall(r"nbt_[A-Za-z0-9_-]{40}", again)
    logout = [sys.executable, "-m", "nbtrack", "logout", "--host", f"http://localhost:{port}/"]
    said = subprocess.run(logout, env=server_env(), capture_output=True, text=True, check=True)
    assert said.stdout.strip() == "Logged out."
    assert credentials.load(base) is None and credentials.load(f"http://localhost:{port}") is None


def test_several_workers_share_one_database_safely(
    backend: str, database_url: str | None, tmp_path: Path
) -> None:
    from nbtrack.server.accounts.store import new_key

    key, port = new_key(), free_port()
    command = server_command(
        port, tmp_path / "data", database_url, "--admin-key", key, "--workers", "2"
    )
    process = start_process(command, port)
    try:
        with httpx.Client(
            base_url=f"http://127.0.0.1:{port}/api/v1",
            timeout=60,
            headers={"Authorization": f"Bearer {key}"},
        ) as client:
            path = f"/runs/admin/workers-{port}/r/history"

            def send(first: int) -> int:
                body = {
                    "records": [
                        {"offset": o, "step": o, "data": {"v": o}}
                        for o in range(first, first + 200)
                    ]
                }
                response = client.post(path, json=body)
                assert response.status_code == 200, response.text
                inserted: int = response.json()["inserted"]
                return inserted

            with ThreadPoolExecutor(8) as pool:
                inserted = sum(pool.map(send, [i * 100 for i in range(20)] * 2))
            run = client.get(f"/runs/admin/workers-{port}/r").json()
    finally:
        stop_process(process)
    assert inserted == run["history_count"] == 2100
    assert run["max_offset"] == 2099


def admin_cli(tmp_path: Path, *argv: str) -> int:
    parser = argparse.ArgumentParser()
    admin.add_arguments(parser)
    return admin.run(parser.parse_args(["--data-dir", str(tmp_path), *argv]))


def test_admin_commands_manage_users_teams_keys_and_visibility(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert admin_cli(tmp_path, "user", "ada", "--admin") == 0
    assert admin_cli(tmp_path, "user", "bob") == 0
    out = capsys.readouterr().out
    ada_key, bob_key = re.findall(r"nbt_[A-Za-z0-9_-]{40}", out)
    assert admin_cli(tmp_path, "team", "lab") == 0
    assert admin_cli(tmp_path, "member", "lab", "bob", "--role", "viewer") == 0
    assert admin_cli(tmp_path, "key", "bob", "--label", "ci") == 0
    assert admin_cli(tmp_path, "keys", "bob") == 0
    listing = capsys.readouterr().out
    assert "ci" in listing and "active" in listing
    assert admin_cli(tmp_path, "revoke", "2") == 0
    assert admin_cli(tmp_path, "user", "bob") == 1
    assert "already taken" in capsys.readouterr().err
    assert admin_cli(tmp_path, "visibility", "lab/nothing", "public") == 1
    assert "created by the first run logged to it" in capsys.readouterr().err

    from nbtrack.server.accounts import store as accounts
    from nbtrack.server.config import ServerConfig
    from nbtrack.server.database import Database, run

    db = Database(ServerConfig(data_dir=str(tmp_path)).database)
    with db.write() as conn:
        assert accounts.user_by_key(conn, ada_key) is not None
        assert accounts.user_by_key(conn, bob_key) is None  # revoked (key id 2)
        assert accounts.teams_of(conn, accounts.require_user(conn, "bob").pk) == [
            {"name": "lab", "role": "viewer"}
        ]
        run(conn, "INSERT INTO projects (entity_pk, name, created_at) VALUES (3, 'p', 0)")
    db.dispose()
    assert admin_cli(tmp_path, "visibility", "lab/p", "public") == 0
    assert "now public" in capsys.readouterr().out


def test_only_loopback_addresses_get_the_key_saved() -> None:
    from nbtrack.server.bootstrap import is_loopback, local_url

    assert all(is_loopback(h) for h in ("127.0.0.1", "127.0.0.2", "::1", "localhost"))
    assert not any(is_loopback(h) for h in ("0.0.0.0", "192.168.1.5", "example.com", "::"))
    assert local_url("::1", 8642) == "http://[::1]:8642"
