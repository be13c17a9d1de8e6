"""Request size limits: bodies and files over the limit answer 413 as JSON and leave nothing behind,
whether the size is declared (Content-Length) or streamed (chunked); in-process and on uvicorn.
"""

from __future__ import annotations

import json
import warnings
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from nbtrack.server.accounts.store import new_key
from tests.server.support import free_port, server_command, start_process, stop_process

MAX_BODY, MAX_FILE = 1024, 2048


@pytest.fixture(params=["inprocess", "uvicorn"])
def small_server(
    request: pytest.FixtureRequest, tmp_path: Path
) -> Iterator[tuple[httpx.Client, Path]]:
    key = new_key()
    headers = {"Authorization": f"Bearer {key}"}
    if request.param == "inprocess":
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            from fastapi.testclient import TestClient
        from nbtrack.server.app import create_app
        from nbtrack.server.bootstrap import ensure_admin
        from nbtrack.server.config import ServerConfig

        app = create_app(ServerConfig(data_dir=str(tmp_path), max_body=MAX_BODY, max_file=MAX_FILE))
        ensure_admin(app.state.context.db, "admin", key)
        with TestClient(app, headers=headers) as client:
            yield client, tmp_path
        app.state.context.db.dispose()
        return
    port = free_port()
    mib = 1024 * 1024
    extra = (
        "--admin-key",
        key,
        "--max-body-mb",
        str(MAX_BODY / mib),
        "--max-file-mb",
        str(MAX_FILE / mib),
    )
    process = start_process(server_command(port, tmp_path, None, *extra), port)
    try:
        with httpx.Client(base_url=f"http://127.0.0.1:{port}", headers=headers) as client:
            yield client, tmp_path
    finally:
        stop_process(process)


def too_large(response: httpx.Response) -> bool:
    return response.status_code == 413 and response.json()["error"]["code"] == "too_large"


def test_json_bodies_over_the_limit_are_refused(small_server: tuple[httpx.Client, Path]) -> None:
    client, _ = small_server
    big = json.dumps({"notes": "x" * 2000}).encode()
    assert too_large(client.put("/api/v1/runs/admin/p/r", content=big))
    assert too_large(client.put("/api/v1/runs/admin/p/r", content=iter([big[:600], big[600:]])))
    assert client.put("/api/v1/runs/admin/p/r", json={"notes": "x" * 500}).status_code == 200


def test_files_over_the_limit_are_refused_and_not_kept(
    small_server: tuple[httpx.Client, Path],
) -> None:
    client, data_dir = small_server
    path = "/api/v1/runs/admin/p/r/files/"
    assert client.put(path + "ok.bin", content=b"a" * 2000).status_code == 200
    assert too_large(client.put(path + "big.bin", content=b"b" * 3000))
    names = [f["name"] for f in client.get("/api/v1/runs/admin/p/r/files").json()]
    assert names == ["ok.bin"]
    leftovers = [p.name for p in (data_dir / "files").rglob("*") if p.is_file()]
    assert leftovers == ["ok.bin"]


def test_streamed_files_over_the_limit_are_refused(tmp_path: Path) -> None:
    """A chunked upload without Content-Length is cut off once it passes the limit."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        from fastapi.testclient import TestClient
    from nbtrack.server.app import create_app
    from nbtrack.server.bootstrap import ensure_admin
    from nbtrack.server.config import ServerConfig

    key = new_key()
    app = create_app(ServerConfig(data_dir=str(tmp_path), max_body=MAX_BODY, max_file=MAX_FILE))
    ensure_admin(app.state.context.db, "admin", key)
    with TestClient(app, headers={"Authorization": f"Bearer {key}"}) as client:
        chunks = iter([b"c" * 1000] * 3)
        assert too_large(client.put("/api/v1/runs/admin/p/r/files/s.bin", content=chunks))
        assert client.get("/api/v1/runs/admin/p/r/files").json() == []
    assert not [p for p in (tmp_path / "files").rglob("*") if p.is_file()]
    app.state.context.db.dispose()
