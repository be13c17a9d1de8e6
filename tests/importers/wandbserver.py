"""A real HTTP server on a free loopback port that answers the real ``wandb`` client (its
public API, through wandb-core) with recorded answers: ``tests/data/wandb_server/answers.json``
maps each GraphQL operation to its answer (or to answers by the ``name`` variable, a run's id),
and ``files/<run>/<name>`` are the runs' files. ``{base}`` in an answer is the server's URL."""

from __future__ import annotations

import json
import re
import threading
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
        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), _handler(self))
        self.base = f"http://127.0.0.1:{self.httpd.server_address[1]}"

    def __enter__(self) -> RecordedWandb:
        threading.Thread(target=self.httpd.serve_forever, daemon=True).start()
        return self

    def __exit__(self, *exc: Any) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()

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
        return dict(json.loads(json.dumps(answer).replace("{base}", self.base)))


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
            path = (server.files / self.path.removeprefix("/files/")).resolve()
            if not path.is_relative_to(server.files) or not path.is_file():
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
