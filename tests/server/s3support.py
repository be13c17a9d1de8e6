"""A real S3-compatible server for the storage tests: moto's server mode on a free loopback port.

moto keeps objects in memory (a restart empties it); every test gets its own bucket. The
``store_proxy`` fixture puts a FaultProxy between nbtrack and moto, so a test can make the
store go away and come back with its objects intact.
"""

from __future__ import annotations

import contextlib
import dataclasses
import os
import threading
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import requests

from tests.liveserver import FaultProxy, free_port, wait_for

CREDENTIALS = {
    "AWS_ACCESS_KEY_ID": "test",
    "AWS_SECRET_ACCESS_KEY": "test",
    "AWS_DEFAULT_REGION": "us-east-1",
}


@pytest.fixture(scope="session")
def moto_url() -> Iterator[str]:
    from moto.server import ThreadedMotoServer

    old = {k: os.environ.get(k) for k in CREDENTIALS}
    os.environ.update(CREDENTIALS)
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    server.start()
    host, port = server.get_host_and_port()
    yield f"http://{host}:{port}"
    server.stop()
    for name, value in old.items():
        if value is None:
            os.environ.pop(name, None)
        else:
            os.environ[name] = value


def s3_client(endpoint: str) -> Any:
    import boto3

    return boto3.client("s3", endpoint_url=endpoint)


@pytest.fixture
def bucket(moto_url: str) -> str:
    name = f"nbt-{uuid.uuid4().hex[:12]}"
    s3_client(moto_url).create_bucket(Bucket=name)
    return name


@pytest.fixture
def store_proxy(moto_url: str) -> Iterator[FaultProxy]:
    proxy = FaultProxy(int(moto_url.rsplit(":", 1)[1]))
    yield proxy
    proxy.close()


@dataclasses.dataclass
class ThreadServer:
    """nbtrack's app served by uvicorn on a free loopback port, in a thread of the test process
    (so a test may lower a threshold such as the multipart size)."""

    url: str
    admin_key: str
    app: Any

    def api(self, method: str, path: str, **kw: Any) -> requests.Response:
        headers = {"Authorization": f"Bearer {self.admin_key}", **kw.pop("headers", {})}
        return requests.request(method, f"{self.url}/api/v1{path}", headers=headers, **kw)


@contextlib.contextmanager
def thread_server(data_dir: Path, storage_url: str, endpoint: str) -> Iterator[ThreadServer]:
    import uvicorn

    from nbtrack.server.app import create_app
    from nbtrack.server.bootstrap import ensure_admin
    from nbtrack.server.config import ServerConfig
    from tests.server.support import admin_key

    config = ServerConfig(
        data_dir=str(data_dir), storage_url=storage_url, storage_endpoint_url=endpoint
    )
    app = create_app(config)
    key = admin_key()
    ensure_admin(app.state.context.db, "admin", key)
    port = free_port()
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="error"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    wait_for(lambda: server.started, 30, "the threaded server")
    try:
        yield ThreadServer(f"http://127.0.0.1:{port}", key, app)
    finally:
        server.should_exit = True
        thread.join(30)
        app.state.context.db.dispose()
