"""Schema-driven fuzzing of every API operation: whatever the input, never a 5xx."""

from __future__ import annotations

import warnings
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings

with warnings.catch_warnings():
    warnings.simplefilter("ignore")
    import schemathesis
    from fastapi.testclient import TestClient  # noqa: F401  (imported once, warning-free)

from nbtrack.server.accounts.store import new_key
from nbtrack.server.app import create_app
from nbtrack.server.bootstrap import ensure_admin
from nbtrack.server.config import ServerConfig

ADMIN_KEY = new_key()
CALLS: list[str] = []


@pytest.fixture(scope="module")
def fuzz_app(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Any]:
    data_dir: Path = tmp_path_factory.mktemp("fuzz")
    app = create_app(ServerConfig(data_dir=str(data_dir), max_body=64 * 1024, max_file=64 * 1024))
    ensure_admin(app.state.context.db, "admin", ADMIN_KEY)
    yield app
    app.state.context.db.dispose()


@pytest.fixture(scope="module")
def api_schema(fuzz_app: Any) -> Any:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return schemathesis.openapi.from_asgi("/api/v1/openapi.json", fuzz_app)


def test_no_input_makes_the_server_fail(api_schema: Any) -> None:
    operations = [result.ok() for result in api_schema.get_all_operations()]
    assert len(operations) >= 20
    for operation in operations:
        fuzz(operation)
    assert len(CALLS) > 100, len(CALLS)


def fuzz(operation: Any) -> None:
    @given(case=operation.as_strategy())
    @settings(
        max_examples=12,
        deadline=None,
        derandomize=True,
        database=None,
        suppress_health_check=list(HealthCheck),
    )
    def check(case: Any) -> None:
        headers = {"Authorization": f"Bearer {ADMIN_KEY}"}
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            answers = [case.call(headers=headers), case.call()]
            CALLS.append(case.method)
        for answer in answers:
            where = (case.method, case.formatted_path, answer.status_code, answer.text[:300])
            assert answer.status_code < 500, where
            if answer.status_code >= 400:
                assert "message" in answer.json()["error"], where

    check()
