"""Web UI placeholder (filled in below)."""

from __future__ import annotations

from fastapi import FastAPI
from starlette.requests import Request
from starlette.responses import Response

from nbtrack.server.problems import ApiError
from nbtrack.server.wire import error_response


def mount(app: FastAPI) -> None:
    return None


def error_page(request: Request, error: ApiError) -> Response:
    return error_response(error)
