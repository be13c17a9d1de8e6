"""Assembly: the FastAPI application with the API, the web UI, error handlers and limits."""

from __future__ import annotations

import gc
from typing import Any

from fastapi import FastAPI
from fastapi.exceptions import RequestValidationError
from sqlalchemy.exc import IntegrityError, OperationalError
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import Response

from nbtrack import __version__
from nbtrack.server import api, migrations
from nbtrack.server.artifacts import api as artifactapi
from nbtrack.server.config import ServerConfig
from nbtrack.server.context import Context
from nbtrack.server.database import REGEX_SECONDS, Database
from nbtrack.server.files import uploadapi
from nbtrack.server.history import rewind, systemmetrics
from nbtrack.server.limits import BodyLimit
from nbtrack.server.media import api as mediaapi
from nbtrack.server.problems import ApiError, invalid
from nbtrack.server.runs import alerts
from nbtrack.server.storage import StorageError
from nbtrack.server.web.headers import SecurityHeaders
from nbtrack.server.wire import error_response

HTTP_CODES = {404: "not_found", 405: "method_not_allowed", 413: "too_large"}


def create_app(config: ServerConfig, db: Database | None = None) -> FastAPI:
    db = db or Database(config.database)
    migrations.upgrade(db)
    app = FastAPI(
        title="nbtrack server",
        version=__version__,
        openapi_url="/api/v1/openapi.json",
        docs_url=None,  # Swagger UI would load from a CDN: the schema alone is served
        redoc_url=None,
    )
    app.state.context = Context(config, db)
    app.include_router(api.router)
    app.include_router(alerts.router)
    app.include_router(systemmetrics.router)
    app.include_router(rewind.router)
    app.include_router(mediaapi.router)
    app.include_router(artifactapi.router)
    app.include_router(uploadapi.router)
    _add_webui(app)
    app.add_exception_handler(ApiError, _api_error)
    app.add_exception_handler(RequestValidationError, _validation_error)
    app.add_exception_handler(HTTPException, _http_error)
    app.add_exception_handler(IntegrityError, _integrity_error)
    app.add_exception_handler(OperationalError, _database_busy)
    app.add_exception_handler(StorageError, _storage_unavailable)
    app.add_exception_handler(Exception, _unexpected)
    app.add_middleware(BodyLimit, max_body=config.max_body, max_file=config.max_file)
    app.add_middleware(SecurityHeaders)
    return app


def _add_webui(app: FastAPI) -> None:
    from nbtrack.server.web import ui, workspace

    app.include_router(workspace.router)
    ui.mount(app)


def create_app_from_env() -> FastAPI:
    """The factory uvicorn workers call (the settings travel in an environment variable).

    What the worker holds once started (modules, routes, schemas) is moved out of the garbage
    collector's sight: a history batch allocates many objects, and each full collection would
    otherwise walk all of it again (ingest spent a third of its time there)."""
    app = create_app(ServerConfig.from_env())
    gc.collect()
    gc.freeze()
    return app


async def _api_error(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, ApiError)
    if _wants_html(request):
        from nbtrack.server.web import ui

        return ui.error_page(request, exc)
    return error_response(exc)


def _wants_html(request: Request) -> bool:
    path = request.url.path
    return request.method == "GET" and not path.startswith("/api/") and not path.endswith("/live")


async def _validation_error(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, RequestValidationError)
    return await _api_error(request, invalid(_describe(exc.errors())))


def _describe(errors: Any) -> str:
    parts = []
    for error in list(errors)[:5]:
        if error.get("type") == "json_invalid":
            return (
                f"The request body is not valid JSON ({error.get('ctx', {}).get('error')}); "
                "send a JSON document."
            )
        where = ".".join(str(p) for p in error.get("loc", ()) if p != "body") or "body"
        value = error.get("input")
        shown = repr(value) if not isinstance(value, dict | list) else type(value).__name__
        if len(shown) > 80:
            shown = shown[:77] + "..."
        message = str(error.get("msg", "invalid")).removeprefix("Value error, ")
        parts.append(f"{where}={shown}: {message}")
    return "Invalid request: " + "; ".join(parts) + " (see /api/v1/openapi.json)."


async def _http_error(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, HTTPException)
    code = HTTP_CODES.get(exc.status_code, "error")
    message = str(exc.detail)
    if exc.status_code == 400:
        code = "invalid"
        message = (
            "The request body could not be read as JSON (nested too deeply, a number too long, "
            "or not UTF-8); send a plain JSON document."
        )
    elif exc.status_code == 404:
        message = f"No such page or route: {request.url.path} (the API is under /api/v1)."
    elif exc.status_code == 405:
        message = f"Method {request.method} is not allowed on {request.url.path}."
    return await _api_error(
        request, ApiError(exc.status_code, code, message, dict(exc.headers or {}))
    )


async def _integrity_error(request: Request, exc: Exception) -> Response:
    message = "A concurrent request changed the same record; retry the request."
    return error_response(ApiError(409, "conflict", message))


async def _database_busy(request: Request, exc: Exception) -> Response:
    if "user-defined function raised exception" in str(exc):  # SQLite's REGEXP gave up
        message = (
            f"A $regex filter took over {REGEX_SECONDS} s on one value (a pattern that "
            "backtracks, such as (a|aa)+); simplify the pattern."
        )
        return error_response(ApiError(400, "invalid", message))
    message = "The database is busy or unreachable; retry in a moment."
    return error_response(ApiError(503, "unavailable", message, {"Retry-After": "1"}))


async def _storage_unavailable(request: Request, exc: Exception) -> Response:
    message = f"{exc} Nothing was recorded; retry later."
    return error_response(ApiError(503, "unavailable", message, {"Retry-After": "5"}))


async def _unexpected(request: Request, exc: Exception) -> Response:
    error = ApiError(
        500, "internal", f"Internal server error ({type(exc).__name__}); see the server log."
    )
    return error_response(error)
