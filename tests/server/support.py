"""Helpers for the server tests: real servers (in-process app and uvicorn subprocess) on SQLite
and PostgreSQL, each with a known admin key, and helpers to create users, teams and runs.

PostgreSQL: every session works in its own schema of the ``test`` database on 127.0.0.1:5432,
dropped afterwards. Without PostgreSQL the tests skip, except under CI=true where they fail.
"""

from __future__ import annotations

import contextlib
import dataclasses
import os
import socket
import subprocess
import sys
import uuid
import warnings
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any

import httpx
import pytest
from hypothesis import strategies as st

from tests.liveserver import LiveServer, free_port, wait_for

if TYPE_CHECKING:
    from nbtrack.server.database import Database

REPO = Path(__file__).resolve().parents[2]
PG_BASE = "postgresql+psycopg://postgres@127.0.0.1:5432/test"
# any JSON value (NaN, huge integers, NUL and lone surrogates in text included)
json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats() | st.text(),
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(), inner, max_size=3),
    max_leaves=8,
)
BACKENDS = ["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)]
TRANSPORTS = ["inprocess", "uvicorn"]
JSON_TEXT = {"Content-Type": "application/json"}


def postgres_available() -> bool:
    try:
        with socket.create_connection(("127.0.0.1", 5432), timeout=2):
            return True
    except OSError:
        return False


def new_pg_schema() -> tuple[str, str]:
    """A fresh schema: (its name, a database URL that uses it)."""
    if not postgres_available():
        message = "PostgreSQL is not reachable on 127.0.0.1:5432"
        if os.environ.get("CI", "").lower() == "true":
            pytest.fail(message + " (required under CI=true)")
        pytest.skip(message)
    import psycopg

    schema = f"nbt_{uuid.uuid4().hex[:12]}"
    with psycopg.connect("postgresql://postgres@127.0.0.1:5432/test", autocommit=True) as conn:
        conn.execute(f'CREATE SCHEMA "{schema}"')
    return schema, f"{PG_BASE}?options=-csearch_path%3D{schema}"


def drop_pg_schema(schema: str) -> None:
    import psycopg

    with psycopg.connect("postgresql://postgres@127.0.0.1:5432/test", autocommit=True) as conn:
        conn.execute(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE')


def database_for(backend: str, folder: Path) -> Iterator[str | None]:
    """None for SQLite (the server uses its data dir), else a URL to a fresh PostgreSQL schema."""
    if backend == "sqlite":
        yield None
        return
    schema, url = new_pg_schema()
    try:
        yield url
    finally:
        drop_pg_schema(schema)


def project_database(url: str) -> Database:
    """A migrated database at ``url`` holding user ``e`` and its project ``p`` (pk 1 each)."""
    from nbtrack.server import migrations
    from nbtrack.server.database import Database, run

    db = Database(url)
    migrations.upgrade(db)
    with db.write() as conn:
        run(conn, "INSERT INTO entities (name, kind, created_at) VALUES ('e', 'user', 0)")
        run(conn, "INSERT INTO projects (entity_pk, name, created_at) VALUES (1, 'p', 0)")
    return db


def live_server_for(backend: str, folder: Path) -> Iterator[LiveServer]:
    """A started ``nbtrack server`` with its data in ``folder``, on the backend's database."""
    for url in database_for(backend, folder):
        extra = () if url is None else ("--database-url", url)
        live = LiveServer(folder / "data", None, *extra).start()
        yield live
        live.stop()


@dataclasses.dataclass
class Server:
    """A running server, its admin key, and helpers that go through its HTTP API."""

    client: httpx.Client
    admin_key: str
    transport: str
    backend: str
    data_dir: Path
    database_url: str | None
    new_client: Callable[[], httpx.Client]
    shared_users: dict[str, tuple[str, str]] = dataclasses.field(default_factory=dict)

    @property
    def base_url(self) -> str:
        return str(self.client.base_url).rstrip("/")

    def request(self, method: str, path: str, key: str | None = None, **kw: Any) -> httpx.Response:
        headers = dict(kw.pop("headers", {}))
        if key is not None:
            headers["Authorization"] = f"Bearer {key}"
        return self.client.request(method, "/api/v1" + path, headers=headers, **kw)

    def ok(self, method: str, path: str, key: str | None = None, **kw: Any) -> Any:
        response = self.request(method, path, key, **kw)
        assert response.status_code < 300, (response.status_code, response.text)
        return response.json()

    def send_text(self, method: str, path: str, key: str, body: str | bytes) -> httpx.Response:
        """A request whose body is JSON text sent as given (NaN, huge integers, broken JSON)."""
        return self.request(method, path, key, content=body, headers=JSON_TEXT)

    def shared_user(self, label: str) -> tuple[str, str]:
        """One user of this server per ``label``, made on first use (for hypothesis examples)."""
        if label not in self.shared_users:
            self.shared_users[label] = self.new_user()
        return self.shared_users[label]

    def new_user(self, prefix: str = "u") -> tuple[str, str]:
        name = f"{prefix}{uuid.uuid4().hex[:8]}"
        body = self.ok("POST", "/admin/users", self.admin_key, json={"username": name})
        return name, body["api_key"]

    def new_team(self, members: dict[str, str]) -> str:
        name = f"t{uuid.uuid4().hex[:8]}"
        self.ok("POST", "/admin/teams", self.admin_key, json={"name": name})
        for username, role in members.items():
            self.ok("PUT", f"/teams/{name}/members/{username}", self.admin_key, json={"role": role})
        return name


def admin_key() -> str:
    from nbtrack.server.accounts.store import new_key

    return new_key()


def inprocess_server(backend: str, data_dir: Path, database_url: str | None) -> Iterator[Server]:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        from fastapi.testclient import TestClient
    from nbtrack.server.app import create_app
    from nbtrack.server.bootstrap import ensure_admin
    from nbtrack.server.config import ServerConfig

    key = admin_key()
    app = create_app(ServerConfig(data_dir=str(data_dir), database_url=database_url))
    ensure_admin(app.state.context.db, "admin", key)

    def new_client() -> httpx.Client:
        return TestClient(app, base_url="http://testserver", follow_redirects=False)

    with TestClient(app, base_url="http://testserver") as client:
        yield Server(client, key, "inprocess", backend, data_dir, database_url, new_client)
    app.state.context.db.dispose()


def server_command(port: int, data_dir: Path, database_url: str | None, *extra: str) -> list[str]:
    command = [
        sys.executable,
        "-m",
        "nbtrack.server",
        "--port",
        str(port),
        "--data-dir",
        str(data_dir),
        *extra,
    ]
    if database_url:
        command += ["--database-url", database_url]
    return command


def server_env() -> dict[str, str]:
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join([str(REPO), env.get("PYTHONPATH", "")]).rstrip(os.pathsep)
    return env


def start_process(command: list[str], port: int) -> subprocess.Popen[str]:
    process = subprocess.Popen(
        command, env=server_env(), stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True
    )

    def healthy() -> bool:
        if process.poll() is not None:
            output, _ = process.communicate()
            raise AssertionError(f"server exited with {process.returncode}:\n{output}")
        try:
            return httpx.get(f"http://127.0.0.1:{port}/api/v1/health", timeout=1).status_code == 200
        except httpx.HTTPError:
            return False

    wait_for(healthy, timeout=60, what="the server to answer /api/v1/health")
    return process


def stop_process(process: subprocess.Popen[str]) -> str:
    process.terminate()
    try:
        output, _ = process.communicate(timeout=20)
    except subprocess.TimeoutExpired:
        process.kill()
        output, _ = process.communicate()
    return output or ""


@contextlib.contextmanager
def ui_server(data_dir: Path) -> Iterator[tuple[str, str]]:
    """A real server process with its data in ``data_dir``: (its base URL, the admin key)."""
    key, port = admin_key(), free_port()
    process = start_process(server_command(port, data_dir, None, "--admin-key", key), port)
    try:
        yield f"http://127.0.0.1:{port}", key
    finally:
        stop_process(process)


def log_as_client(folder: Path, base: str, key: str, code: str, timeout: int, **extra: str) -> str:
    """Run ``code`` in a fresh Python that logs to the server at ``base`` (``NBTRACK_*`` and the
    repository on its path, plus ``extra`` variables); its standard output."""
    env = dict(os.environ, NBTRACK_BASE_URL=base, NBTRACK_API_KEY=key, NBTRACK_SILENT="1") | extra
    env["PYTHONPATH"] = str(REPO)
    command = [sys.executable, "-c", code]
    done = subprocess.run(
        command, cwd=folder, env=env, capture_output=True, text=True, timeout=timeout
    )
    assert done.returncode == 0, done.stderr
    return done.stdout


def uvicorn_server(backend: str, data_dir: Path, database_url: str | None) -> Iterator[Server]:
    key = admin_key()
    port = free_port()
    process = start_process(server_command(port, data_dir, database_url, "--admin-key", key), port)
    try:
        base = f"http://127.0.0.1:{port}"

        def new_client() -> httpx.Client:
            return httpx.Client(base_url=base, timeout=30)

        with new_client() as client:
            yield Server(client, key, "uvicorn", backend, data_dir, database_url, new_client)
    finally:
        stop_process(process)
