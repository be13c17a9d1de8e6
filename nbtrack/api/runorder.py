"""Run orders as wandb spells them: ``"+created_at"``, ``"-summary_metrics.loss"``, ``"config.lr"``.

``+`` (or nothing) is ascending, ``-`` descending. Keys: the run fields below, ``config.<key>``
(wandb's ``config.<key>.value`` is the same key) and ``summary_metrics.<key>`` (or
``summary.<key>``). Numbers sort before strings, and runs without a number or string there come
last in both directions; ties go by creation time. The server sorts in SQL
(``nbtrack.server.runs.filters``), ``Api.local()`` with :func:`sort`.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping, Sequence
from typing import Any, TypeVar

from nbtrack.api.filters import COLUMNS, Field, field_of, kind, lookup

ORDER_COLUMNS = {
    **{k: v for k, v in COLUMNS.items() if v not in ("tags", "id")},
    "heartbeat_at": "heartbeat_at",
    "heartbeatAt": "heartbeat_at",
    "updated_at": "updated_at",
    "name": "display_name",
    "id": "id",
    "runtime": "runtime",
    "history_count": "history_count",
}
SERVER_ONLY = ("heartbeat_at", "updated_at")
Doc = TypeVar("Doc")


@dataclasses.dataclass(frozen=True)
class Order:
    field: Field
    descending: bool


def parse(order: Any, default: str = "+created_at") -> Order:
    """The order ``order`` names; ValueError names a key that is not a run field."""
    if order is None or order == "":
        order = default
    if not isinstance(order, str):
        raise ValueError(f"order must be a string such as '-created_at', not {order!r}.")
    descending = order.startswith("-")
    name = order.lstrip("+-").strip()
    if name in ORDER_COLUMNS:
        return Order(Field("column", ORDER_COLUMNS[name]), descending)
    try:
        field = field_of(name)
    except ValueError:
        raise ValueError(
            f"Cannot order by {name!r}; use one of {', '.join(sorted(ORDER_COLUMNS))}, "
            "config.<key> or summary_metrics.<key>, with '-' in front for descending."
        ) from None
    if field.kind == "column":  # tags
        raise ValueError(f"Cannot order by {name!r}: it holds a list.")
    if field.kind == "config" and field.name.endswith(".value"):
        field = Field("config", field.name.removesuffix(".value"))
    return Order(field, descending)


def sort(docs: Sequence[Doc], order: Order, doc_of: Any) -> list[Doc]:
    """``docs`` sorted by ``order`` (``doc_of(item)`` gives the mapping filters read)."""
    if order.field.kind == "column" and order.field.name in SERVER_ONLY:
        raise ValueError(f"Cannot order local runs by {order.field.name}: only servers know it.")
    groups: dict[int, list[tuple[Any, Doc]]] = {0: [], 1: [], 2: []}
    for item in docs:
        doc = doc_of(item)
        rank, value = _key(order.field, doc)
        groups[rank].append(((value, doc.get("created_at") or 0.0), item))
    ordered: list[Doc] = []
    for rank in (0, 1, 2):  # missing values last either way
        pairs = sorted(groups[rank], key=lambda pair: pair[0], reverse=order.descending)
        ordered.extend(item for _, item in pairs)
    return ordered


def _key(field: Field, doc: Mapping[str, Any]) -> tuple[int, Any]:
    _, value = lookup(field, doc)
    found = kind(value)
    if found == "number":
        return 0, float(value)
    if found == "string":
        return 1, value
    return 2, 0
