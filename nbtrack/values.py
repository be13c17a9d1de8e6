"""Checking and shaping what users log: flat dotted keys, JSON-able values, clear errors."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import orjson

RESERVED_KEYS = frozenset({"_step", "_runtime", "_timestamp"})
MAX_ROW_BYTES = 1 << 20
MAX_STEP = 2**63 - 1  # the server stores a step as a signed 64-bit integer
MAX_DEPTH = 200  # orjson refuses more than 254 levels; a deeper value is almost surely a mistake
CIRCULAR = "refers to itself (a circular reference); log the plain values it holds instead."
TOO_DEEP = f"is nested too deeply (over {MAX_DEPTH} levels); flatten it or log a summary of it."


def as_dict(data: Any, what: str = "log()") -> dict[str, Any]:
    """A plain dict from a mapping (or an argparse Namespace for config)."""
    if isinstance(data, Mapping):
        return dict(data)
    if what == "config" and hasattr(data, "__dict__") and not callable(data):
        return dict(vars(data))
    raise TypeError(
        f"{what} takes a dict of key -> value, not {type(data).__name__}: "
        f"pass e.g. {{'loss': 0.1}}."
    )


def flatten(
    data: Mapping[Any, Any], prefix: str = "", parents: tuple[int, ...] = ()
) -> dict[str, Any]:
    """Nested dicts become dotted keys: ``{"a": {"b": 1}}`` -> ``{"a.b": 1}``."""
    flat: dict[str, Any] = {}
    parents = (*parents, id(data))
    for key, value in data.items():
        check_key(key)
        name = f"{prefix}{key}"
        if isinstance(value, Mapping):
            if id(value) in parents or len(parents) >= MAX_DEPTH:
                problem = CIRCULAR if id(value) in parents else TOO_DEEP
                raise TypeError(f"log(): value for key {name!r} ({_kind(value)}) {problem}")
            flat.update(flatten(value, f"{name}.", parents))
        else:
            flat[name] = value
    return flat


def check_key(key: Any) -> str:
    if not isinstance(key, str):
        raise TypeError(
            f"Keys must be strings; got {key!r} ({type(key).__name__}). "
            f"Use str({key!r}) as the key."
        )
    if not key:
        raise ValueError("Keys must not be empty strings; name the value, e.g. 'loss'.")
    return key


def step_error(step: int) -> ValueError:
    return ValueError(
        f"log(): step={step} is beyond the largest step the server can store ({MAX_STEP}, "
        "2**63 - 1); number steps with a counter (e.g. the batch index), not a huge id."
    )


def check_reserved(data: Mapping[str, Any]) -> None:
    clash = RESERVED_KEYS.intersection(data)
    if clash:
        name = sorted(clash)[0]
        raise ValueError(
            f"Key {name!r} is set by nbtrack itself; rename your key (e.g. 'my{name}'), "
            "or pass step=... to log() to choose the step."
        )


def explain(data: Mapping[Any, Any], exc: Exception, what: str = "log()") -> Exception:
    """The error to raise for a row that could not be encoded: it names the bad key."""
    for key, value in data.items():
        check_key(key)
        problem = _problem(value)
        if problem:
            message = f"{what}: value for key {key!r} ({_kind(value)}) {problem}"
            return ValueError(message) if "too large" in problem else TypeError(message)
    return TypeError(f"{what}: the data could not be stored ({exc}).")


def _kind(value: Any) -> str:
    kind = type(value).__module__ + "." + type(value).__qualname__
    return kind.removeprefix("builtins.")


def _problem(value: Any, parents: tuple[int, ...] = ()) -> str | None:
    """What makes ``value`` unstorable (None: nothing found), looking inside containers."""
    if isinstance(value, int) and not isinstance(value, bool) and not -(2**63) <= value < 2**64:
        return "is too large to store exactly (beyond 64 bits); log float(value) or str(value)."
    if isinstance(value, list | tuple | Mapping):
        if id(value) in parents:
            return CIRCULAR
        if len(parents) >= MAX_DEPTH:
            return TOO_DEEP
        inner = value.values() if isinstance(value, Mapping) else value
        within = (*parents, id(value))
        return next((p for p in (_problem(v, within) for v in inner) if p), None)
    try:
        orjson.dumps(value, option=orjson.OPT_SERIALIZE_NUMPY)
    except (TypeError, orjson.JSONEncodeError):
        return (
            "cannot be stored: use numbers, strings, booleans, None, lists of those, "
            "or numpy scalars/arrays; convert other objects first (e.g. float(x) or str(x))."
        )
    return None


def check_size(line: bytes, data: Mapping[str, Any], what: str = "log()") -> None:
    if len(line) <= MAX_ROW_BYTES:
        return
    biggest = max(data, key=lambda k: len(orjson.dumps(data[k], option=orjson.OPT_SERIALIZE_NUMPY)))
    raise ValueError(
        f"{what}: the row is {len(line) / 1e6:.1f} MB, over the {MAX_ROW_BYTES >> 20} MiB limit; "
        f"the largest value is {biggest!r}. Log a summary statistic (mean, norm) instead."
    )
