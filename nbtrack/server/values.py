"""The JSON values the server stores (config, summary, metadata, git, history rows): checked when
written, read back defensively.

A value can be stored when orjson can encode it: text is valid Unicode (no lone surrogates, in
keys too), integers fit in 64 bits (-2**63 .. 2**64-1, what the client accepts) and containers nest
at most ``MAX_DEPTH`` levels. On the hot path (history) one ``orjson.dumps`` both checks and
encodes; only a value it refuses is walked, to name the part at fault in a 400.

Reading never fails: stored text that does not parse as the expected kind reads as empty, and a
value nested deeper than ``MAX_DEPTH`` (older databases, or written by hand) is cut there.
"""

from __future__ import annotations

import json
import math
from typing import Any

import orjson

from nbtrack.server.problems import invalid

MAX_DEPTH = 254  # orjson's limit: the outer object and 253 levels inside it
INT_MIN = -(2**63)
INT_MAX = 2**64 - 1
MAX_TIMESTAMP = 253_402_300_799.0  # 9999-12-31 23:59:59 UTC
CUT = "(nested too deeply)"
_ENCODER = json.JSONEncoder(allow_nan=True, separators=(",", ":"))


def problem(value: Any, where: str) -> str | None:
    """Why ``value`` cannot be stored (naming the part at fault), or None when it can."""
    try:
        orjson.dumps(value)
    except orjson.JSONEncodeError:
        return _explain(value, where)
    return None


def check(value: Any, where: str) -> Any:
    """``value`` if it can be stored, else a 400 naming the part at fault and the fix."""
    found = problem(value, where)
    if found is not None:
        raise invalid(found + ".")
    return value


def encode(value: Any, where: str) -> str:
    """The stored JSON text of a value a client sent (NaN/Infinity kept); a 400 if it cannot be."""
    try:
        text = orjson.dumps(value)
    except orjson.JSONEncodeError:
        raise invalid(_explain(value, where) + ".") from None
    if b"null" in text or not text.isascii():
        return _ENCODER.encode(value)
    return text.decode()


def _explain(value: Any, where: str) -> str:
    return _find(value, where, 1) or f"{_short(where)} cannot be stored as JSON"


def _find(value: Any, where: str, depth: int) -> str | None:
    if depth > MAX_DEPTH and isinstance(value, dict | list):
        return f"{_short(where)} is nested more than {MAX_DEPTH} levels deep; flatten it"
    if isinstance(value, str):
        return None if _unicode(value) else f"{_short(where)} is {_BAD_TEXT}"
    if isinstance(value, int) and not isinstance(value, bool) and not INT_MIN <= value <= INT_MAX:
        return (
            f"{_short(where)} is an integer beyond 64 bits ({INT_MIN}..{INT_MAX}); "
            "send it as a float or a string"
        )
    if isinstance(value, dict):
        return _find_in_dict(value, where, depth)
    if isinstance(value, list):
        for index, item in enumerate(value):
            found = _find(item, f"{where}[{index}]", depth + 1)
            if found:
                return found
    return None


def _find_in_dict(value: dict[str, Any], where: str, depth: int) -> str | None:
    for key, item in value.items():
        if not _unicode(key):
            return f"{_short(where)} has a key {ascii(key)[:80]} that is {_BAD_TEXT}"
        found = _find(item, f"{where}[{key!r}]", depth + 1)
        if found:
            return found
    return None


_BAD_TEXT = "text that is not valid Unicode (a lone surrogate); send UTF-8 text"


def _unicode(text: str) -> bool:
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True


def _short(where: str) -> str:
    return where if len(where) <= 200 else where[:197] + "..."


def stored_object(text: str | None) -> dict[str, Any]:
    """A stored JSON object; empty when the text does not read as one."""
    value = _stored(text)
    return value if isinstance(value, dict) else {}


def stored_list(text: str | None) -> list[Any]:
    """A stored JSON array; empty when the text does not read as one."""
    value = _stored(text)
    return value if isinstance(value, list) else []


def _stored(text: str | None) -> Any:
    if not text:
        return None
    try:
        value = json.loads(text)
    except (ValueError, RecursionError, TypeError):
        return None
    if text.count("[") + text.count("{") > MAX_DEPTH:
        return _cut(value, 1)
    return value


def _cut(value: Any, depth: int) -> Any:
    """``value`` with containers deeper than MAX_DEPTH replaced by a marker."""
    if not isinstance(value, dict | list):
        return value
    if depth > MAX_DEPTH:
        return CUT
    if isinstance(value, dict):
        return {k: _cut(v, depth + 1) for k, v in value.items()}
    return [_cut(v, depth + 1) for v in value]


def timestamp(value: Any) -> float | None:
    """``value`` as unix seconds when it is a date pages can show (1970 to 9999), else None."""
    if isinstance(value, bool) or not isinstance(value, int | float):
        return None
    if isinstance(value, float) and not math.isfinite(value):
        return None
    return float(value) if 0 <= value <= MAX_TIMESTAMP else None
