"""Fixtures for the server tests (helpers in ``support.py``)."""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.server.support import (
    BACKENDS,
    TRANSPORTS,
    Server,
    database_for,
    inprocess_server,
    uvicorn_server,
)


@pytest.fixture(autouse=True, scope="session")
def config_dir(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    """Never touch the user's real credentials: every test session gets its own config dir."""
    path = tmp_path_factory.mktemp("config")
    old = os.environ.get("NBTRACK_CONFIG_DIR")
    os.environ["NBTRACK_CONFIG_DIR"] = str(path)
    yield path
    if old is None:
        os.environ.pop("NBTRACK_CONFIG_DIR", None)
    else:
        os.environ["NBTRACK_CONFIG_DIR"] = old


@pytest.fixture(scope="session", params=BACKENDS)
def backend(request: pytest.FixtureRequest) -> str:
    name: str = request.param
    return name


@pytest.fixture(scope="session")
def database_url(backend: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[str | None]:
    yield from database_for(backend, tmp_path_factory.mktemp("db"))


@pytest.fixture
def fresh_database(backend: str, tmp_path: Path) -> Iterator[str]:
    """A SQLAlchemy URL of an empty database of the backend (one per test)."""
    for url in database_for(backend, tmp_path):  # None for SQLite: a file of its own
        yield url or f"sqlite:///{tmp_path / 'fresh.db'}"


@pytest.fixture(scope="session", params=TRANSPORTS)
def server(
    request: pytest.FixtureRequest,
    backend: str,
    database_url: str | None,
    tmp_path_factory: pytest.TempPathFactory,
) -> Iterator[Server]:
    data_dir = tmp_path_factory.mktemp(f"data-{backend}-{request.param}")
    start = inprocess_server if request.param == "inprocess" else uvicorn_server
    yield from start(backend, data_dir, database_url)


@pytest.fixture
def uid() -> str:
    return uuid.uuid4().hex[:8]
