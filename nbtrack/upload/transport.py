"""HTTP to the tracking server: one session, JSON with NaN/Infinity, errors as exceptions.

The API key travels only in the ``Authorization`` header; it never appears in an exception.
"""

from __future__ import annotations

import json
from typing import Any, BinaryIO

import requests

from nbtrack import credentials, runlog
from nbtrack.errors import (
    CommError,
    EntityNotFound,
    LaunchError,
    NotLoggedIn,
    PermissionDenied,
    ServerError,
)
from nbtrack.upload.backoff import retry_after

API = "/api/v1"
CONNECT_TIMEOUT = 2.0


class Transport:
    """Talks to one server with one key (or none: anonymous)."""

    def __init__(self, base_url: str, api_key: str | None, timeout: float = 10.0) -> None:
        self.base_url = credentials.normalize_host(base_url)
        self.api_key = api_key
        self.timeout = timeout
        self.session = requests.Session()
        self.session.headers["User-Agent"] = "nbtrack"
        if api_key:
            self.session.headers["Authorization"] = f"Bearer {api_key}"

    def call(
        self,
        method: str,
        path: str,
        body: Any = None,
        *,
        params: dict[str, Any] | None = None,
        data: bytes | BinaryIO | None = None,
        timeout: float | None = None,
        raw: bool = False,
    ) -> Any:
        """Send one request to ``/api/v1{path}``; returns the decoded JSON answer."""
        headers = {}
        if body is not None:
            data = body if isinstance(body, bytes) else runlog.dumps(body)
            headers["Content-Type"] = "application/json"
        elif data is not None:
            headers["Content-Type"] = "application/octet-stream"
        try:
            response = self.session.request(
                method,
                f"{self.base_url}{API}{path}",
                data=data,
                params=params,
                headers=headers,
                timeout=(CONNECT_TIMEOUT, timeout or self.timeout),
            )
        except requests.RequestException as exc:
            raise CommError(
                f"Cannot reach the nbtrack server at {self.base_url} ({type(exc).__name__}); "
                "check that it runs and NBTRACK_BASE_URL is right."
            ) from None
        if response.status_code >= 400:
            raise _error(response)
        if raw:
            return response.content
        try:
            return json.loads(response.content) if response.content else None
        except ValueError:
            raise CommError(
                f"The server at {self.base_url} answered {method} {path} with something that is "
                "not JSON; is NBTRACK_BASE_URL pointing at an nbtrack server?"
            ) from None

    def close(self) -> None:
        self.session.close()


def _error(response: requests.Response) -> ServerError:
    try:
        detail = response.json().get("error", {})
        code, message = str(detail.get("code", "error")), str(detail.get("message", ""))
    except (ValueError, AttributeError):
        code, message = "error", response.text[:200]
    wait = retry_after(response.headers.get("Retry-After"))
    return ServerError(response.status_code, code, message or response.reason or "error", wait)


def launch_error(error: ServerError) -> LaunchError | None:
    """The LaunchError for a refusal at init(), or None for errors worth retrying."""
    if error.status == 401:
        return NotLoggedIn(error.server_message or "Not logged in: run `nbtrack login`.")
    if error.status == 404 and error.code == "entity_not_found":
        return EntityNotFound(error.server_message)
    if error.status in (403, 404):
        return PermissionDenied(error.server_message)
    if 400 <= error.status < 500 and error.status not in (408, 429):
        return LaunchError(error.server_message)
    return None
