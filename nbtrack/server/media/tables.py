"""Table files (``media/<sha256>.table.json``) read for the run page: sorted, filtered and paged.

A table file is parsed once (orjson) and kept, by its files' paths on disk, in a small cache:
a content-addressed name never changes content. Each sort order is computed once per table and
kept beside it, and each row's text (for filtering) once too, so paging through 100k rows is a
slice. An ``INCREMENTAL`` table is the concatenation of its increments (the parts' files in order).
A file that is not a table (damaged, hostile) is a 422 naming it, never a server error.
"""

from __future__ import annotations

import dataclasses
import threading
from collections import OrderedDict
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import orjson

from nbtrack.server.problems import ApiError

CACHED = 4
MAX_BYTES = 512 * 1024 * 1024


@dataclasses.dataclass
class Table:
    columns: list[str]
    types: list[str]
    data: list[list[Any]]
    orders: dict[tuple[int, bool], list[int]] = dataclasses.field(default_factory=dict)
    texts: list[str] | None = None

    def order(self, column: int, descending: bool) -> list[int]:
        """Row indexes sorted by one column: numbers, then strings, then media (by caption),
        empty cells last either way; computed once per column and direction."""
        found = self.orders.get((column, descending))
        if found is None:
            groups = _grouped([row[column] if column < len(row) else None for row in self.data])
            found = []
            for keys, indexes in groups[:3]:
                found += sorted(indexes, key=keys.__getitem__, reverse=descending)
            found += groups[3][1]
            self.orders[(column, descending)] = found
        return found

    def matching(self, query: str, among: list[int]) -> list[int]:
        """The rows of ``among`` whose JSON text holds ``query`` (case-insensitive)."""
        if self.texts is None:
            self.texts = [orjson.dumps(row).decode().casefold() for row in self.data]
        needle = query.casefold()
        texts = self.texts
        return [i for i in among if needle in texts[i]]


def _grouped(cells: list[Any]) -> list[tuple[dict[int, Any], list[int]]]:
    """(sort key by row, rows) for numbers, strings, other values and empty cells (NaN: empty)."""
    groups: list[tuple[dict[int, Any], list[int]]] = [({}, []) for _ in range(4)]
    for i, cell in enumerate(cells):
        kind = type(cell)
        if kind is float or kind is int or kind is bool:
            if cell == cell:
                groups[0][0][i] = cell
                groups[0][1].append(i)
                continue
            groups[3][1].append(i)
        elif kind is str:
            groups[1][0][i] = cell.casefold()
            groups[1][1].append(i)
        elif cell is None:
            groups[3][1].append(i)
        else:
            groups[2][0][i] = _text(cell).casefold()
            groups[2][1].append(i)
    return groups


def _text(cell: Any) -> str:
    if isinstance(cell, dict):
        return str(cell.get("caption") or cell.get("_type") or "")
    return ""


_CACHE: OrderedDict[tuple[str, ...], Table] = OrderedDict()
_LOCK = threading.Lock()


def load(paths: Sequence[Path], name: str) -> Table:
    """The table of these files (one, or an incremental table's parts in order), cached."""
    cache_key = tuple(str(p) for p in paths)
    with _LOCK:
        found = _CACHE.get(cache_key)
        if found is not None:
            _CACHE.move_to_end(cache_key)
            return found
    parts = [_parse(p, name) for p in paths]
    table = Table(parts[0].columns, parts[0].types, [row for part in parts for row in part.data])
    with _LOCK:
        _CACHE[cache_key] = table
        while len(_CACHE) > CACHED:
            _CACHE.popitem(last=False)
    return table


def _parse(path: Path, name: str) -> Table:
    try:
        if path.stat().st_size > MAX_BYTES:
            raise ValueError(f"larger than {MAX_BYTES // 2**20} MB")
        document = orjson.loads(path.read_bytes())
        return _checked(document)
    except (OSError, ValueError, TypeError, KeyError) as exc:
        raise ApiError(
            422,
            "unreadable",
            f"The file of the table under {name!r} is not a table ({exc}); "
            "log the table again to replace it.",
        ) from None


def _checked(document: Any) -> Table:
    if not isinstance(document, dict):
        raise ValueError("not a JSON object")
    columns, data = document["columns"], document["data"]
    if not isinstance(columns, list) or not isinstance(data, list):
        raise ValueError("columns and data must be lists")
    if not all(isinstance(row, list) for row in data):
        raise ValueError("every row must be a list")
    types = document.get("types")
    if not isinstance(types, list) or len(types) != len(columns):
        types = ["mixed"] * len(columns)
    return Table([str(c) for c in columns], [str(t) for t in types], data)


@dataclasses.dataclass(frozen=True)
class Page:
    sort: str | None = None
    descending: bool = False
    query: str | None = None
    offset: int = 0
    limit: int = 50


def page(table: Table, request: Page) -> dict[str, Any]:
    """One page of the table as the API answers it (cells still to be presented)."""
    among = list(range(len(table.data)))
    if request.sort is not None:
        among = table.order(_column(table, request.sort), request.descending)
    if request.query:
        among = table.matching(request.query, among)
    chosen = among[request.offset : request.offset + request.limit]
    return {
        "columns": table.columns,
        "types": table.types,
        "nrows": len(table.data),
        "total": len(among),
        "offset": request.offset,
        "indexes": chosen,
        "rows": [table.data[i] for i in chosen],
    }


def _column(table: Table, name: str) -> int:
    try:
        return table.columns.index(name)
    except ValueError:
        raise ApiError(
            400, "invalid", f"sort={name!r} is not a column of this table ({table.columns[:20]})."
        ) from None
