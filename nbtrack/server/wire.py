"""JSON on the wire: non-finite floats travel as the bare literals NaN/Infinity/-Infinity."""

from __future__ import annotations

import json
import math
from typing import Any

import orjson
from starlette.responses import Response

from nbtrack.server.problems import ApiError, invalid

_ENCODER = json.JSONEncoder(allow_nan=True, separators=(",", ":"))


def dumps(value: Any) -> str:
    """JSON text that keeps NaN/Infinity as bare literals (what Python's json reads).

    orjson first, for speed; the json module where orjson cannot say it exactly (it writes
    non-finite floats as null and refuses integers beyond 64 bits) or escapes differently.
    """
    try:
        text = orjson.dumps(value)
    except (TypeError, orjson.JSONEncodeError):
        return _ENCODER.encode(value)
    if b"null" in text or not text.isascii():
        return _ENCODER.encode(value)
    return text.decode()


def loads(text: bytes | str, what: str = "request body") -> Any:
    """Parse JSON that may hold NaN/Infinity (and integers of any size: no orjson here, it turns
    those beyond 64 bits into floats); malformed input is a 400 naming ``what``."""
    try:
        return json.loads(text)
    except (ValueError, RecursionError, UnicodeDecodeError) as exc:
        raise invalid(f"The {what} is not valid JSON ({exc}); send a JSON document.") from None


def finite(value: Any) -> Any:
    """The same value with every non-finite float replaced by None (for browsers)."""
    if isinstance(value, float):
        return value if math.isfinite(value) else None
    if isinstance(value, dict):
        return {k: finite(v) for k, v in value.items()}
    if isinstance(value, list):
        return [finite(v) for v in value]
    return value


class JSONResponse(Response):
    """A JSON response that allows non-finite floats (Starlette's refuses them)."""

    media_type = "application/json"

    def render(self, content: Any) -> bytes:
        return dumps(content).encode("utf-8")


def error_response(error: ApiError) -> JSONResponse:
    body = {"error": {"code": error.code, "message": error.message}}
    return JSONResponse(body, status_code=error.status, headers=error.headers)
