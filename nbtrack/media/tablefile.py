"""A table as the file of docs/media-format.md: ``{"columns", "types", "nrows", "data"}``."""

from __future__ import annotations

from itertools import chain
from typing import Any

import orjson

from nbtrack.media import base, cells
from nbtrack.runparts import arrays

OPTIONS = orjson.OPT_SERIALIZE_NUMPY


def encode(
    key: str, columns: list[str], rows: list[list[Any]], types: list[str]
) -> tuple[bytes, list[base.FileJob]]:
    """The file's bytes (one orjson call) and the jobs of the media its cells hold."""
    jobs: list[base.FileJob] = []

    def default(value: Any) -> Any:
        if isinstance(value, base.Media):
            prepared = value.prepare(f"{key} (a table cell)")
            jobs.extend(prepared.files)
            return prepared.reference
        return arrays.plain(value)

    document = {"columns": columns, "types": types, "nrows": len(rows), "data": rows}
    return orjson.dumps(document, default=default, option=OPTIONS), jobs


def decode(data: bytes) -> tuple[list[str], list[list[Any]]]:
    """Columns and rows of a table file."""
    document = orjson.loads(data)
    return list(document["columns"]), list(document["data"])


def column_types(columns: list[str], rows: list[list[Any]], mixed_ok: bool) -> list[str]:
    """The kind of each column (``mixed`` when allowed to mix); TypeError for a bad column."""
    if not rows:
        return ["none"] * len(columns)
    uniform = _uniform_kind(rows)
    if uniform is not None:
        return [uniform] * len(columns)
    found = []
    for name, values in zip(columns, zip(*rows, strict=True), strict=True):
        kinds = cells.column_kind(values)
        cells.check_column(name, kinds, mixed_ok)
        found.append(kinds.pop() if len(kinds) == 1 else ("none" if not kinds else "mixed"))
    return found


def _uniform_kind(rows: list[list[Any]]) -> str | None:
    """The kind of every cell when all are plain values of one kind (one pass over the cells)."""
    kinds = {cells.PLAIN.get(t, "?") for t in set(map(type, chain.from_iterable(rows)))}
    kind = kinds.pop() if len(kinds) == 1 else None
    return None if kind == "?" else kind
