"""A real ``nbtrack server`` process on a free loopback port, and a proxy that misbehaves."""

from __future__ import annotations

import contextlib
import os
import secrets
import signal
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import requests


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def wait_for(condition: Callable[[], Any], timeout: float = 30.0, what: str = "it") -> Any:
    """Poll ``condition`` until it returns something true; fail after ``timeout`` seconds."""
    deadline = time.monotonic() + timeout
    while True:
        value = condition()
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {timeout} s waiting for {what}")
        time.sleep(0.02)


class LiveServer:
    """``nbtrack server`` in a subprocess; ``kill()`` and ``start()`` again on the same data."""

    def __init__(self, data_dir: Path, port: int | None = None, *extra: str) -> None:
        self.data_dir = data_dir
        self.port = port or free_port()
        self.admin_key = "nbt_" + secrets.token_urlsafe(30)
        self.extra = extra
        self.process: subprocess.Popen[bytes] | None = None
        self.url = f"http://127.0.0.1:{self.port}"

    def start(self) -> LiveServer:
        command = [sys.executable, "-m", "nbtrack.cli", "server", "--port", str(self.port)]
        command += ["--data-dir", str(self.data_dir), "--admin-key", self.admin_key, *self.extra]
        log = open(self.data_dir.parent / f"server-{self.port}.log", "ab")  # noqa: SIM115
        env = {**os.environ, "NBTRACK_CONFIG_DIR": str(self.data_dir.parent / "server-config")}
        self.process = subprocess.Popen(
            command, stdout=log, stderr=subprocess.STDOUT, env=env, start_new_session=True
        )
        log.close()
        wait_for(self.healthy, 60, f"the server on port {self.port}")
        return self

    def healthy(self) -> bool:
        assert self.process is not None
        if self.process.poll() is not None:
            raise AssertionError(f"server exited with {self.process.returncode}")
        try:
            return requests.get(f"{self.url}/api/v1/health", timeout=1).ok
        except requests.RequestException:
            return False

    def kill(self) -> None:
        if self.process is not None and self.process.poll() is None:
            os.killpg(self.process.pid, signal.SIGKILL)
            self.process.wait()

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            os.killpg(self.process.pid, signal.SIGTERM)
            try:
                self.process.wait(15)
            except subprocess.TimeoutExpired:
                self.kill()

    def api(self, method: str, path: str, key: str | None = None, **kw: Any) -> Any:
        headers = {"Authorization": f"Bearer {key or self.admin_key}"}
        answer = requests.request(method, f"{self.url}/api/v1{path}", headers=headers, **kw)
        answer.raise_for_status()
        return answer.json()

    def new_user(self, name: str) -> str:
        """Create a user; returns its API key."""
        return str(self.api("POST", "/admin/users", json={"username": name})["api_key"])


class FaultProxy:
    """A TCP proxy on loopback whose behaviour a test switches at will.

    ``mode``: ``pass`` forwards; ``drop`` closes new connections at once; ``stall`` accepts and
    never answers; ``http500`` / ``http503`` answer every request with that status.
    """

    def __init__(self, upstream_port: int) -> None:
        self.upstream = ("127.0.0.1", upstream_port)
        self.mode = "pass"
        self.listener = socket.create_server(("127.0.0.1", 0))
        self.port = self.listener.getsockname()[1]
        self.url = f"http://127.0.0.1:{self.port}"
        self.closed = False
        self.connections = 0
        self.live: list[socket.socket] = []
        threading.Thread(target=self._accept, daemon=True).start()

    def set(self, mode: str) -> None:
        """Switch behaviour; connections already open are cut, as in a real outage."""
        self.mode = mode
        for sock in self.live:
            with contextlib.suppress(OSError):
                sock.shutdown(socket.SHUT_RDWR)
        self.live.clear()

    def _accept(self) -> None:
        while not self.closed:
            try:
                client, _ = self.listener.accept()
            except OSError:
                return
            self.connections += 1
            threading.Thread(target=self._handle, args=(client, self.mode), daemon=True).start()

    def _handle(self, client: socket.socket, mode: str) -> None:
        if mode == "drop":
            client.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, b"\1\0\0\0\0\0\0\0")
            client.close()
        elif mode == "stall":
            self.live.append(client)
            while self.mode == "stall" and not self.closed:
                time.sleep(0.05)
            client.close()
        elif mode.startswith("http"):
            client.recv(65536)
            body = b'{"error":{"code":"unavailable","message":"try later"}}'
            head = (
                b"HTTP/1.1 %s Unavailable\r\nContent-Type: application/json\r\n" % mode[4:].encode()
            )
            client.sendall(
                head + b"Content-Length: %d\r\nConnection: close\r\n\r\n" % len(body) + body
            )
            client.close()
        else:
            self._forward(client)

    def _forward(self, client: socket.socket) -> None:
        try:
            upstream = socket.create_connection(self.upstream)
        except OSError:
            client.close()
            return
        self.live += [client, upstream]
        for source, target in ((client, upstream), (upstream, client)):
            threading.Thread(target=_pump, args=(source, target), daemon=True).start()

    def close(self) -> None:
        self.closed = True
        self.set("pass")
        self.listener.close()


def _pump(source: socket.socket, target: socket.socket) -> None:
    try:
        while data := source.recv(65536):
            target.sendall(data)
    except OSError:
        pass
    finally:
        for sock in (source, target):
            with contextlib.suppress(OSError):
                sock.shutdown(socket.SHUT_RDWR)
            sock.close()
