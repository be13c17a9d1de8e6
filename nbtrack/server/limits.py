"""Request size limits, enforced before a route reads the body (413 as JSON)."""

from __future__ import annotations

import re
from collections.abc import Awaitable, Callable, MutableMapping
from typing import Any

from nbtrack.server.problems import too_large
from nbtrack.server.wire import error_response

Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]
ASGIApp = Callable[[Scope, Receive, Send], Awaitable[None]]
FILE_ROUTE = re.compile(r"^/api/v1/runs/[^/]+/[^/]+/[^/]+/files/")
BLOB_ROUTE = re.compile(
    r"^/api/v1/artifacts/[^/]+/[^/]+/blobs/[0-9a-f]{64}(/parts/\d+)?$"
)  # own limit


class BodyLimit:
    """Refuse bodies over the limit: by Content-Length up front, else while they stream in."""

    def __init__(self, app: ASGIApp, max_body: int, max_file: int) -> None:
        self.app = app
        self.max_body = max_body
        self.max_file = max_file

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        if BLOB_ROUTE.match(scope["path"]):
            await self.app(scope, receive, send)  # the route streams it under its own limit
            return
        limit = self.max_file if FILE_ROUTE.match(scope["path"]) else self.max_body
        declared = _content_length(scope)
        if declared is not None and declared > limit:
            await _refuse(scope, receive, send, limit)
            return
        if declared is not None or limit == self.max_file:
            await self.app(scope, receive, send)
            return
        await self._buffered(scope, receive, send, limit)

    async def _buffered(self, scope: Scope, receive: Receive, send: Send, limit: int) -> None:
        messages: list[Message] = []
        size = 0
        while True:
            message = await receive()
            messages.append(message)
            if message["type"] != "http.request":
                break
            size += len(message.get("body", b""))
            if size > limit:
                await _refuse(scope, receive, send, limit)
                return
            if not message.get("more_body", False):
                break

        async def replay() -> Message:
            return messages.pop(0) if messages else await receive()

        await self.app(scope, replay, send)


def _content_length(scope: Scope) -> int | None:
    for name, value in scope.get("headers", []):
        if name == b"content-length":
            try:
                return int(value)
            except ValueError:
                return None
    return None


async def _refuse(scope: Scope, receive: Receive, send: Send, limit: int) -> None:
    response = error_response(too_large(limit))
    response.headers["Connection"] = "close"
    await response(scope, receive, send)
