"""A real server per database (SQLite, PostgreSQL) for the artifact tests, and a private cache."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.liveserver import LiveServer
from tests.server.support import BACKENDS, live_server_for


@pytest.fixture(scope="module", params=BACKENDS)
def server(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[LiveServer]:
    yield from live_server_for(request.param, tmp_path_factory.mktemp("artifact-server"))


@pytest.fixture(autouse=True)
def cache(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("NBTRACK_CACHE_DIR", str(tmp_path / "cache"))
    return tmp_path / "cache" / "artifacts"


@pytest.fixture
def online(server: LiveServer, monkeypatch: pytest.MonkeyPatch) -> LiveServer:
    return server.log_here(monkeypatch)
