"""What a table cell may hold, and each column's kind: numbers, strings, bools, None, media."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from nbtrack.media.base import Media

MAX_ROWS = 1_000_000
MAX_COLUMNS = 10_000
PLAIN = {int: "number", float: "number", str: "string", bool: "bool", type(None): "none"}
TYPE_NAMES = {int: "number", float: "number", str: "string", bool: "bool"}


def kind(value: Any) -> str:
    """``number``, ``string``, ``bool``, ``none``, a media ``_type``, or ``unknown``."""
    found = PLAIN.get(type(value))
    if found is not None:
        return found
    if isinstance(value, Media):
        return value._type
    dtype = getattr(value, "dtype", None)
    if getattr(value, "ndim", None) == 0 and dtype is not None:
        return {"b": "bool", "U": "string"}.get(
            dtype.kind, "number" if dtype.kind in "iuf" else "unknown"
        )
    if isinstance(value, bool | int | float):
        return "number"
    return "unknown"


def column_kind(values: Iterable[Any]) -> set[str]:
    """The kinds of a column's cells (``none`` left out)."""
    kinds = {PLAIN.get(t) or "?" for t in set(map(type, values))}
    if "?" in kinds:
        kinds = {kind(v) for v in values}
    kinds.discard("none")
    return kinds


def check_column(name: str, kinds: set[str], mixed_ok: bool) -> None:
    if "unknown" in kinds:
        raise TypeError(
            f"column {name!r} holds values that cannot be stored; use numbers, strings, bools, "
            "None or media (Image, Audio, Html, ...)"
        )
    if len(kinds) > 1 and not mixed_ok:
        raise TypeError(
            f"column {name!r} mixes {sorted(kinds)}; make its values one kind, or pass "
            "allow_mixed_types=True to Table()"
        )


def dtype_kind(dtype: Any) -> str:
    if isinstance(dtype, type) and issubclass(dtype, Media):
        return dtype._type
    found = TYPE_NAMES.get(dtype)
    if found is None:
        raise TypeError(
            f"dtype {dtype!r} is not supported; use int, float, str, bool or a media class"
        )
    return found


def check_size(rows: int, columns: int) -> None:
    if rows > MAX_ROWS:
        raise ValueError(
            f"the table has {rows:,} rows, over the {MAX_ROWS:,} limit; log a sample or split it"
        )
    if columns > MAX_COLUMNS:
        raise ValueError(
            f"the table has {columns:,} columns, over the {MAX_COLUMNS:,} limit; keep fewer columns"
        )
