"""The application's safety nets: database trouble answers JSON 409/503, never a bare 500."""

from __future__ import annotations

import warnings
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import create_engine

from nbtrack.server.accounts import store as accounts
from nbtrack.server.accounts.store import new_key
from nbtrack.server.app import create_app
from nbtrack.server.bootstrap import ensure_admin
from nbtrack.server.config import ServerConfig


@pytest.fixture
def app_and_client(tmp_path: Path) -> Iterator[tuple[Any, Any, dict[str, str]]]:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        from fastapi.testclient import TestClient
    app = create_app(ServerConfig(data_dir=str(tmp_path)))
    key = new_key()
    ensure_admin(app.state.context.db, "admin", key)
    with TestClient(app, raise_server_exceptions=False) as client:
        yield app, client, {"Authorization": f"Bearer {key}"}
    app.state.context.db.dispose()


def test_a_unique_clash_between_concurrent_requests_is_a_409(
    app_and_client: tuple[Any, Any, dict[str, str]], monkeypatch: pytest.MonkeyPatch
) -> None:
    _, client, headers = app_and_client
    assert client.post("/api/v1/admin/users", json={"username": "ann"}, headers=headers).is_success
    monkeypatch.setattr(accounts, "name_taken", lambda conn, name: None)  # as if not committed yet
    answer = client.post("/api/v1/admin/users", json={"username": "ann"}, headers=headers)
    assert answer.status_code == 409 and answer.json()["error"]["code"] == "conflict"


def test_an_unreachable_database_is_a_503(app_and_client: tuple[Any, Any, dict[str, str]]) -> None:
    app, client, headers = app_and_client
    db = app.state.context.db
    working = db.engine
    db.engine = create_engine("postgresql+psycopg://nobody@127.0.0.1:9/none?connect_timeout=1")
    try:
        answer = client.get("/api/v1/viewer", headers=headers)
    finally:
        db.engine.dispose()
        db.engine = working
    assert answer.status_code == 503 and answer.headers["retry-after"] == "1"
    assert answer.json()["error"]["code"] == "unavailable"
