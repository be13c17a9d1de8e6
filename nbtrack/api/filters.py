"""Run filters: wandb's MongoDB-style query language, parsed and checked once, evaluated anywhere.

``parse(filters)`` turns ``{"config.lr": {"$gt": 0.01}, "state": "finished"}`` into a small tree
of :class:`Cond`, :class:`Group` and :class:`Not` nodes, or raises ``ValueError`` naming the
operator, field or value it cannot take: a filter is never silently ignored. ``matches(node, doc)``
evaluates a tree on one run (``Api.local()``); the server compiles the same tree to SQL
(``nbtrack.server.runs.filters``), with the same meaning:

- fields: ``config.<key>``, ``summary_metrics.<key>`` (or ``summary.<key>``), ``state``, ``tags``,
  ``display_name``, ``created_at``, ``group``, ``job_type`` (wandb's ``displayName``,
  ``createdAt`` and ``jobType`` too) and ``name``, which is the run's id as in wandb. A dotted key
  names a literal key first (``summary_metrics.train.loss`` is ``summary["train.loss"]`` when that
  exists), else nested dicts.
- ``$eq`` compares like types only (``1`` is not ``"1"`` nor ``True``); ``None`` matches a missing
  or null value; a list or dict matches the whole value. On ``tags``, a string matches a run that
  has that tag, and ``$gt``/``$regex``... match when any tag does.
- ``$gt $gte $lt $lte`` take a number or a string and never match a value of another type.
- ``$ne``, ``$nin`` and ``$not`` match what the positive form does not, missing values included.
- ``created_at`` takes unix seconds or an ISO 8601 string (``"2026-01-31"``, ``"...T12:00:00Z"``;
  UTC unless it says otherwise).
- NaN and infinities in config or summary count as null.
"""

from __future__ import annotations

import dataclasses
import datetime
import math
import re
from collections.abc import Mapping
from typing import Any

GROUPS = ("$and", "$or", "$nor")
MAX_DEPTH = 32  # dicts inside dicts in a filter
MAX_CONDITIONS = 1000
OPERATORS = (
    "$eq",
    "$ne",
    "$gt",
    "$gte",
    "$lt",
    "$lte",
    "$in",
    "$nin",
    "$exists",
    "$regex",
    "$not",
)
COMPARISONS = ("$gt", "$gte", "$lt", "$lte")
COLUMNS = {
    "state": "state",
    "tags": "tags",
    "display_name": "display_name",
    "displayName": "display_name",
    "created_at": "created_at",
    "createdAt": "created_at",
    "group": "group",
    "job_type": "job_type",
    "jobType": "job_type",
    "name": "id",  # as in wandb: a run's name in filters is its id
}
PREFIXES = {"config": "config", "summary_metrics": "summary", "summary": "summary"}
FIELD_HELP = (
    "config.<key>, summary_metrics.<key>, state, tags, display_name, created_at, group, "
    "job_type, name (the run id)"
)


@dataclasses.dataclass(frozen=True)
class Field:
    """``kind`` is "column" (``name`` a run field) or "config"/"summary" (``name`` a key path)."""

    kind: str
    name: str

    def candidates(self) -> tuple[tuple[str, ...], ...]:
        """Key paths to try in order: the literal key, then the dotted parts as nested dicts."""
        if "." not in self.name:
            return ((self.name,),)
        return ((self.name,), tuple(self.name.split(".")))


@dataclasses.dataclass(frozen=True)
class Cond:
    field: Field
    op: str
    value: Any


@dataclasses.dataclass(frozen=True)
class Group:
    op: str
    parts: tuple[Node, ...]


@dataclasses.dataclass(frozen=True)
class Not:
    part: Node


Node = Cond | Group | Not


def parse(filters: Any) -> Node | None:
    """The checked tree of ``filters`` (None for no filter); ValueError names what is wrong."""
    if filters is None:
        return None
    if not isinstance(filters, Mapping):
        raise ValueError(
            f"filters must be a dict such as {{'config.lr': 0.1}}, not {type(filters).__name__}."
        )
    if not filters:
        return None
    _check_depth(filters)
    node = _document(filters)
    count = conditions(node)
    if count > MAX_CONDITIONS:
        raise ValueError(
            f"filters hold {count} conditions (an $in list counts each item); at most "
            f"{MAX_CONDITIONS}: split the query."
        )
    return node


def _check_depth(filters: Mapping[Any, Any]) -> None:
    stack: list[tuple[Any, int]] = [(filters, 1)]
    while stack:
        value, depth = stack.pop()
        if depth > MAX_DEPTH and isinstance(value, Mapping):
            raise ValueError(f"filters nest deeper than {MAX_DEPTH} levels; flatten them.")
        if isinstance(value, Mapping):
            stack.extend((child, depth + 1) for child in value.values())
        elif isinstance(value, list | tuple):
            stack.extend((child, depth) for child in value)


def conditions(node: Node) -> int:
    if isinstance(node, Group):
        return sum(conditions(part) for part in node.parts)
    if isinstance(node, Not):
        return conditions(node.part)
    return len(node.value) if node.op in ("$in", "$nin") else 1


def field_of(name: Any) -> Field:
    """The run field that ``name`` names, as filters and orders spell it."""
    if not isinstance(name, str) or not name:
        raise ValueError(f"Unknown filter field {name!r}; use one of {FIELD_HELP}.")
    if name in COLUMNS:
        return Field("column", COLUMNS[name])
    prefix, _, key = name.partition(".")
    if prefix in PREFIXES and key:
        if '"' in key or "\\" in key or "" in key.split("."):
            raise ValueError(
                f"Filter field {name!r}: keys may not contain quotes, backslashes or empty parts."
            )
        return Field(PREFIXES[prefix], key)
    raise ValueError(f"Unknown filter field {name!r}; use one of {FIELD_HELP}.")


def _document(doc: Mapping[Any, Any]) -> Node:
    parts = [_entry(key, value) for key, value in doc.items()]
    return parts[0] if len(parts) == 1 else Group("$and", tuple(parts))


def _entry(key: Any, value: Any) -> Node:
    if key in GROUPS:
        if not isinstance(value, list | tuple) or not value:
            raise ValueError(f"{key} takes a non-empty list of filters, not {value!r}.")
        return Group(key, tuple(_sub_document(key, part) for part in value))
    if key == "$not":
        return Not(_sub_document(key, value))
    if isinstance(key, str) and key.startswith("$"):
        raise ValueError(
            f"Unknown filter operator {key!r} at the top level; use $and, $or, $nor, $not "
            "or a field name."
        )
    return _field_expression(field_of(key), value)


def _sub_document(operator: str, value: Any) -> Node:
    if not isinstance(value, Mapping) or not value:
        raise ValueError(f"{operator} takes filters as non-empty dicts, not {value!r}.")
    return _document(value)


def _field_expression(field: Field, value: Any) -> Node:
    if isinstance(value, Mapping) and value and any(str(k).startswith("$") for k in value):
        plain = [k for k in value if not str(k).startswith("$")]
        if plain:
            raise ValueError(f"Filter on {_name(field)} mixes operators with the key {plain[0]!r}.")
        parts = [_operator(field, str(op), arg) for op, arg in value.items()]
        return parts[0] if len(parts) == 1 else Group("$and", tuple(parts))
    return _operator(field, "$eq", value)


def _operator(field: Field, op: str, arg: Any) -> Node:
    if op == "$not":
        if isinstance(arg, str):
            return Not(_operator(field, "$regex", arg))
        if not isinstance(arg, Mapping) or not arg:
            raise ValueError(f"$not on {_name(field)} takes operators or a regex, not {arg!r}.")
        return Not(_field_expression(field, arg))
    if op not in OPERATORS:
        raise ValueError(
            f"Unknown filter operator {op!r} on {_name(field)}; use one of {', '.join(OPERATORS)}."
        )
    return Cond(field, op, _argument(field, op, arg))


def _argument(field: Field, op: str, arg: Any) -> Any:
    if op in ("$in", "$nin"):
        if not isinstance(arg, list | tuple):
            raise ValueError(f"{op} on {_name(field)} takes a list, not {arg!r}.")
        return tuple(_value(field, op, item) for item in arg)
    if op == "$exists":
        if not isinstance(arg, bool):
            raise ValueError(f"$exists on {_name(field)} takes True or False, not {arg!r}.")
        return arg
    if op == "$regex":
        return _regex(field, arg)
    value = _value(field, op, arg)
    if op in COMPARISONS and (isinstance(value, bool) or not isinstance(value, int | float | str)):
        raise ValueError(f"{op} on {_name(field)} takes a number or a string, not {arg!r}.")
    return value


def _value(field: Field, op: str, value: Any) -> Any:
    if field == Field("column", "created_at") and value is not None:
        return timestamp(value, op)
    if isinstance(value, float) and not math.isfinite(value):
        raise ValueError(f"{op} on {_name(field)}: {value!r} cannot be compared; use a number.")
    if isinstance(value, int) and not isinstance(value, bool) and abs(value) > 2**1023:
        raise ValueError(f"{op} on {_name(field)}: the integer {value} is too large to compare.")
    if value is None or isinstance(value, bool | int | float | str):
        return value
    if isinstance(value, list | tuple | Mapping):
        return _plain(value, field, op)
    raise ValueError(
        f"{op} on {_name(field)} takes a number, string, bool, None, list or dict, "
        f"not {type(value).__name__}."
    )


def _plain(value: Any, field: Field, op: str) -> Any:
    if isinstance(value, Mapping):
        return {str(k): _plain(v, field, op) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_plain(v, field, op) for v in value]
    return _value(field, op, value)


def _regex(field: Field, pattern: Any) -> str:
    if not isinstance(pattern, str):
        raise ValueError(f"$regex on {_name(field)} takes a string pattern, not {pattern!r}.")
    try:
        re.compile(pattern)
    except re.error as exc:
        raise ValueError(f"$regex {pattern!r} on {_name(field)} is not a regex: {exc}.") from None
    return pattern


def timestamp(value: Any, op: str = "$eq") -> float:
    """Unix seconds from a number, a datetime or an ISO 8601 string (UTC unless it says)."""
    if isinstance(value, int | float) and not isinstance(value, bool) and math.isfinite(value):
        return float(value)
    moment = value
    if isinstance(value, str):
        try:
            moment = datetime.datetime.fromisoformat(value.replace("Z", "+00:00"))
        except ValueError:
            moment = None
    if isinstance(moment, datetime.date) and not isinstance(moment, datetime.datetime):
        moment = datetime.datetime(moment.year, moment.month, moment.day)
    if not isinstance(moment, datetime.datetime):
        raise ValueError(
            f"{op} on created_at takes unix seconds or an ISO 8601 date such as "
            f"'2026-01-31T12:00:00Z', not {value!r}."
        )
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=datetime.timezone.utc)
    return moment.timestamp()


def _name(field: Field) -> str:
    if field.kind == "column":
        return field.name
    return f"{'config' if field.kind == 'config' else 'summary_metrics'}.{field.name}"


# --- evaluation on one run (Api.local) ---


def matches(node: Node | None, doc: Mapping[str, Any]) -> bool:
    """Whether the run ``doc`` (state, tags, display_name, created_at, group, job_type, config,
    summary) passes the filter."""
    if node is None:
        return True
    if isinstance(node, Group):
        results = (matches(part, doc) for part in node.parts)
        if node.op == "$and":
            return all(results)
        return any(results) if node.op == "$or" else not any(results)
    if isinstance(node, Not):
        return not matches(node.part, doc)
    return _condition(node, doc)


def lookup(field: Field, doc: Mapping[str, Any]) -> tuple[bool, Any]:
    """(found, value) of a field in a run; non-finite floats read as None."""
    if field.kind == "column":
        value = doc.get(field.name)
        return value is not None, value
    source = doc.get(field.kind) or {}
    for path in field.candidates():
        found, value = _walk(source, path)
        if found:
            return True, None if isinstance(value, float) and not math.isfinite(value) else value
    return False, None


def _walk(source: Any, path: tuple[str, ...]) -> tuple[bool, Any]:
    for key in path:
        if not isinstance(source, Mapping) or key not in source:
            return False, None
        source = source[key]
    return True, source


def _condition(cond: Cond, doc: Mapping[str, Any]) -> bool:
    found, value = lookup(cond.field, doc)
    if cond.field == Field("column", "tags"):
        return _tags_condition(cond, list(value or []))
    return _test(cond.op, cond.value, found, value)


def _test(op: str, arg: Any, found: bool, value: Any) -> bool:
    if op == "$eq":
        return equal(found, value, arg)
    if op == "$ne":
        return not equal(found, value, arg)
    if op == "$in":
        return any(equal(found, value, item) for item in arg)
    if op == "$nin":
        return not any(equal(found, value, item) for item in arg)
    if op == "$exists":
        return found is arg
    if op == "$regex":
        return isinstance(value, str) and re.search(arg, value) is not None
    return compare(op, value, arg)


def _tags_condition(cond: Cond, tags: list[str]) -> bool:
    if cond.op in ("$eq", "$ne", "$in", "$nin"):
        items = cond.value if cond.op in ("$in", "$nin") else (cond.value,)
        hit = any(tags == item if isinstance(item, list) else item in tags for item in items)
        return hit if cond.op in ("$eq", "$in") else not hit
    if cond.op == "$exists":
        return cond.value is True
    return any(_test(cond.op, cond.value, True, tag) for tag in tags)


def kind(value: Any) -> str:
    """number, string, bool, null, list or dict (the types filters compare within)."""
    if value is None or (isinstance(value, float) and not math.isfinite(value)):
        return "null"
    if isinstance(value, bool):
        return "bool"
    if isinstance(value, int | float):
        return "number"
    if isinstance(value, str):
        return "string"
    return "list" if isinstance(value, list | tuple) else "dict"


def equal(found: bool, value: Any, arg: Any) -> bool:
    if arg is None:
        return not found or value is None
    return kind(value) == kind(arg) and value == arg


def compare(op: str, value: Any, arg: Any) -> bool:
    if kind(value) != kind(arg):
        return False
    if op == "$gt":
        return bool(value > arg)
    if op == "$gte":
        return bool(value >= arg)
    if op == "$lt":
        return bool(value < arg)
    return bool(value <= arg)
