"""A real ``nbtrack server`` process on a free loopback port, and a proxy that misbehaves."""

from __future__ import annotations

import contextlib
import dataclasses
import os
import re
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

import pytest
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

    def log_here(self, monkeypatch: pytest.MonkeyPatch) -> LiveServer:
        """Runs of this test log online to this server, as the admin."""
        monkeypatch.setenv("NBTRACK_BASE_URL", self.url)
        monkeypatch.setenv("NBTRACK_API_KEY", self.admin_key)
        monkeypatch.setenv("NBTRACK_MODE", "online")
        return self

    def new_user(self, name: str) -> str:
        """Create a user; returns its API key."""
        return str(self.api("POST", "/admin/users", json={"username": name})["api_key"])

    def web_session(self) -> requests.Session:
        """A browser-like session signed in as the admin through the login form."""
        session = requests.Session()
        form = session.get(f"{self.url}/login", timeout=30).text
        found = re.search(r'name="csrf" value="([^"]+)"', form)
        assert found is not None
        body = {"api_key": self.admin_key, "csrf": found.group(1)}
        answer = session.post(
            f"{self.url}/login",
            data=body,
            headers={"Origin": self.url},
            allow_redirects=False,
            timeout=30,
        )
        assert answer.status_code in (302, 303), answer.text
        return session


class FaultProxy:
    """A TCP proxy on loopback whose behaviour a test switches at will.

    ``mode``: ``pass`` forwards; ``drop`` closes new connections at once; ``stall`` accepts and
    never answers; ``http500`` / ``http503`` answer every request with that status.
    While forwarding, ``fault_replies`` makes chosen requests reach the server and then withholds
    their answers (a lost acknowledgement), or holds the requests themselves back.
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
        self.faults: list[ReplyFault] = []
        self.seen: list[bytearray] = []  # each request's first 4 kB (head and body), in order
        self._lock = threading.Lock()
        threading.Thread(target=self._accept, daemon=True).start()

    def fault_replies(self, fault: ReplyFault) -> ReplyFault:
        """Apply ``fault`` to the matching requests that follow (see ``ReplyFault``)."""
        with self._lock:
            self.faults.append(fault)
        return fault

    def _fault_for(self, link: _Link) -> ReplyFault | None:
        """The fault for the request that ``link`` just started, if any."""
        line = link.head.split(b"\r\n", 1)[0].decode("latin-1")
        with self._lock:
            self.seen.append(link.head)
            for fault in self.faults:
                if fault.claims(line):
                    return fault
        return None

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
        link = _Link(client, upstream)
        threading.Thread(target=self._requests, args=(link,), daemon=True).start()
        threading.Thread(target=_replies, args=(link,), daemon=True).start()

    def _requests(self, link: _Link) -> None:
        """Client to server: note each request's fault before the server can answer it."""
        try:
            while data := link.client.recv(65536):
                if _starts_request(data):
                    link.head = bytearray(data[:HEAD])
                    link.fault = self._fault_for(link)
                elif len(link.head) < HEAD:
                    link.head += data[: HEAD - len(link.head)]
                if link.fault is not None and link.fault.where == "request":
                    if _has_body_start(link.head):  # held back: never forwarded
                        link.fault.happen(link.head)
                        break
                    continue
                link.upstream.sendall(data)
        except OSError:
            pass
        link.client_gone.set()
        link.cut()

    def __enter__(self) -> FaultProxy:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def close(self) -> None:
        self.closed = True
        self.set("pass")
        self.listener.close()


HEAD = 4096
METHODS = (b"GET", b"POST", b"PUT", b"PATCH", b"DELETE", b"HEAD")


def _has_body_start(head: bytearray) -> bool:
    """The request's head and the start of its body (up to 100 bytes of it) have arrived."""
    end = head.find(b"\r\n\r\n")
    if end < 0:
        return len(head) >= HEAD
    length = re.search(rb"(?i)\r\ncontent-length: *(\d+)", head[:end])
    wanted = min(100, int(length.group(1)) if length else 0)
    return len(head) >= min(end + 4 + wanted, HEAD)


def _starts_request(data: bytes) -> bool:
    return data[:8].split(b" ")[0] in METHODS


@dataclasses.dataclass
class ReplyFault:
    """What to do to the requests whose request line contains ``path``.

    The first ``skip`` matches pass; the next ``count`` are faulted, then all pass again.
    ``where``: ``reply`` lets the request reach the server, waits for its whole answer to begin,
    then ``how`` decides: ``lose`` cuts the connection (the answer never arrives), ``late`` holds
    the answer until the client gave up waiting (its read timeout) and closed the connection.
    ``request`` withholds the request itself and cuts the connection. ``then`` runs at the moment
    of the fault (the answer or request held), e.g. to kill the client right there.
    """

    path: str
    skip: int = 0
    count: int = 1
    where: str = "reply"
    how: str = "lose"
    then: Callable[[], None] | None = None
    matched: int = 0
    faulted: list[bytes] = dataclasses.field(default_factory=list)  # their first 4 kB

    def claims(self, line: str) -> bool:
        if self.path not in line:
            return False
        self.matched += 1
        return self.skip < self.matched <= self.skip + self.count

    def happen(self, head: bytearray) -> None:
        self.faulted.append(bytes(head))
        if self.then is not None:
            self.then()


class _Link:
    """One client connection and its upstream connection."""

    def __init__(self, client: socket.socket, upstream: socket.socket) -> None:
        self.client, self.upstream = client, upstream
        self.fault: ReplyFault | None = None
        self.head = bytearray()
        self.client_gone = threading.Event()

    def close(self) -> None:
        """A clean close: what was sent still reaches the client, then EOF."""
        for sock in (self.upstream, self.client):
            with contextlib.suppress(OSError):
                sock.shutdown(socket.SHUT_WR)
            sock.close()

    def cut(self) -> None:
        with contextlib.suppress(OSError):
            self.client.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, b"\1\0\0\0\0\0\0\0")
        for sock in (self.client, self.upstream):
            with contextlib.suppress(OSError):
                sock.shutdown(socket.SHUT_RDWR)
            sock.close()


def _replies(link: _Link) -> None:
    """Server to client, unless the request being answered carries a fault."""
    try:
        while data := link.upstream.recv(65536):
            fault, link.fault = link.fault, None
            if fault is None:
                link.client.sendall(data)
                continue
            fault.happen(link.head)
            if fault.how == "late":
                link.client_gone.wait(120)
                link.client.sendall(data)  # too late: the client closed, this fails
            break
        else:  # the server closed after answering (HTTP/1.0): the answer arrives whole
            link.close()
            return
    except OSError:
        pass
    link.cut()


def first_offset(request: bytes) -> int:
    """The log offset of the first record in a history request, as the proxy saw it."""
    found = re.search(rb'"records":\[\{"offset":(\d+)', request)
    assert found is not None, request[:300]
    return int(found.group(1))


def history_offsets(proxy: FaultProxy) -> list[int]:
    """The first offset of every history request that went through ``proxy``, in order."""
    return [first_offset(bytes(r)) for r in proxy.seen if b"/history " in r[:300]]
