"""A real HTTP server on a free loopback port that answers the real ``wandb`` client (its
public API, through wandb-core) with recorded answers: ``tests/data/wandb_server/answers.json``
maps each GraphQL operation to its answer (or to answers by the ``name`` variable, a run's id),
and ``files/<run>/<name>`` are the runs' files. ``{base}`` in an answer is the server's URL.
A history page holds only the rows its ``minStep``/``maxStep`` ask for, as on a real server."""

from __future__ import annotations

import json
import re
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

DATA = Path(__file__).resolve().parents[1] / "data" / "wandb_server"
NAMES = ("name", "runName", "run")  # the variable naming the run, by query
OPERATION = re.compile(r"\b(?:query|mutation)\s+(\w+)")


class RecordedWandb:
    """``with RecordedWandb() as server:`` ... ``server.base``; ``server.asked`` lists the
    operations asked, ``server.unknown`` those without a recorded answer."""

    def __init__(self, data: Path = DATA) -> None:
        self.answers: dict[str, Any] = json.loads((data / "answers.json").read_text())
        self.files = data / "files"
        self.asked: list[str] = []
        self.requests: list[dict[str, Any]] = []  # every GraphQL request body
        self.unknown: list[str] = []
        self.downloads: list[str] = []  # every file asked for, its path under /files/
        self.extra: dict[str, Path] = {}  # more files to serve: path under /files/ -> file
        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), _handler(self))
        self.base = f"http://127.0.0.1:{self.httpd.server_address[1]}"

    def __enter__(self) -> RecordedWandb:
        threading.Thread(target=self.httpd.serve_forever, daemon=True).start()
        return self

    def __exit__(self, *exc: Any) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()

    @contextmanager
    def answering(self, answers: dict[str, Any], files: dict[str, Path]) -> Iterator[None]:
        """Gives ``answers`` (operation -> answer) instead of the recorded ones, and serves
        ``files`` (path under ``/files/`` -> file) too, inside the ``with``."""
        recorded = self.answers
        self.answers, self.extra = {**recorded, **answers}, files
        try:
            yield
        finally:
            self.answers, self.extra = recorded, {}

    def answer(self, body: dict[str, Any]) -> dict[str, Any] | None:
        found = OPERATION.search(body.get("query", ""))
        operation = body.get("operationName") or (found.group(1) if found else "?")
        self.asked.append(operation)
        self.requests.append(body)
        answer = self.answers.get(operation)
        if isinstance(answer, dict) and "by_name" in answer:
            variables = body.get("variables") or {}
            answer = answer["by_name"].get(
                next((variables[k] for k in NAMES if k in variables), None)
            )
        if answer is None:
            self.unknown.append(operation)
            return None
        answer = json.loads(json.dumps(answer).replace("{base}", self.base))
        if operation == "HistoryPage":
            _page(answer, body.get("variables") or {})
        return dict(answer)

    def file(self, path: str) -> Path | None:
        if path in self.extra:
            return self.extra[path]
        found = (self.files / path).resolve()
        return found if found.is_relative_to(self.files) and found.is_file() else None


def _page(answer: dict[str, Any], variables: dict[str, Any]) -> None:
    """Keeps the history lines with ``minStep <= _step < maxStep``."""
    run = answer["data"]["project"]["run"]
    low, high = variables.get("minStep", 0), variables.get("maxStep", 2**63)
    run["history"] = [
        line for line in run["history"] if low <= json.loads(line).get("_step", 0) < high
    ]


def _handler(server: RecordedWandb) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
            if self.path.rstrip("/") != "/graphql":
                return self._send(200, b"{}")  # wandb-core's own telemetry
            answer = server.answer(json.loads(body))
            if answer is None:
                return self._send(400, b'{"errors": [{"message": "no recorded answer"}]}')
            return self._send(200, json.dumps(answer).encode())

        def do_GET(self) -> None:
            server.downloads.append(self.path.removeprefix("/files/"))
            path = server.file(server.downloads[-1])
            if path is None:
                return self._send(404, b"")
            return self._send(200, path.read_bytes(), "application/octet-stream")

        def _send(self, code: int, data: bytes, kind: str = "application/json") -> None:
            self.send_response(code)
            self.send_header("Content-Type", kind)
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        def log_message(self, *args: Any) -> None:
            pass

    return Handler
