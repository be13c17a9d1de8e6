"""Run filters and orders (``nbtrack.api.filters``, ``nbtrack.api.runorder``) as parameterised SQL.

Every value and key path is a bound parameter; only fixed fragments are written into the SQL.
Config and summary are JSON text: SQLite reads them with ``json_type``/``json_extract``,
PostgreSQL as ``jsonb`` with ``#>``. Text holding NaN or Infinity (valid for Python, not for the
databases' JSON) goes through ``nbtrack_json`` (a function registered on each SQLite connection)
or ``nbtrack_jsonb`` (created by migration 4 on PostgreSQL), which read those values as null.
Every condition is false rather than NULL, so ``NOT`` means "does not match", as in
:func:`nbtrack.api.filters.matches`.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from typing import Any

from nbtrack.api.filters import Cond, Field, Group, Node, Not, kind
from nbtrack.api.runorder import Order
from nbtrack.server.database import Dialect
from nbtrack.server.wire import dumps

SQL_COMPARE = {"$gt": ">", "$gte": ">=", "$lt": "<", "$lte": "<="}
SHOWN_STATE = (
    "(CASE WHEN state IN ('running', 'preempting') AND heartbeat_at < :cutoff THEN 'crashed' "
    "ELSE state END)"
)
STRING_COLUMNS = {
    "display_name": "name",
    "group": "group_name",
    "job_type": "job_type",
    "state": SHOWN_STATE,
    "id": "run_id",
}
NUMBER_COLUMNS = ("created_at", "heartbeat_at", "updated_at", "runtime", "history_count")
JSON_COLUMNS = {"config": "config", "summary": "summary"}
PG_TYPES = {
    "number": "number",
    "string": "string",
    "bool": "boolean",
    "null": "null",
    "list": "array",
    "dict": "object",
}


class Value:
    """One value of a run as SQL: its type tests and its number/text/JSON readings."""

    def __init__(
        self, sql: Compiler, field: Field, path: tuple[str, ...] = (), clean: bool = True
    ) -> None:
        self.sql, self.field, self.path = sql, field, path
        self.pg = sql.dialect.name == "postgresql"
        if field.kind != "column":
            self._json_init(JSON_COLUMNS[field.kind], clean)

    def _json_init(self, column: str, clean: bool) -> None:
        """``clean``: the text is standard JSON (see :func:`standard`), read as it is stored."""
        if self.pg:
            self.sql.docs.add(column)
            self.node = f"(docs.doc_{column} #> CAST({self.sql.bind(list(self.path))} AS text[]))"
        else:
            self.doc = column if clean else f"nbtrack_json({column})"
            self.where = self.sql.bind("$" + "".join(f'."{key}"' for key in self.path))

    def exists(self) -> str:
        if self.field.kind == "column":
            return "TRUE" if self.field.name in NUMBER_COLUMNS else f"{self.column} IS NOT NULL"
        return f"{self.node} IS NOT NULL" if self.pg else f"{self._type()} IS NOT NULL"

    def is_kind(self, name: str) -> str:
        """SQL true when the value is of ``name`` (number, string, bool, null, list, dict)."""
        if self.field.kind == "column":
            column_kind = "number" if self.field.name in NUMBER_COLUMNS else "string"
            if name == "null":
                return f"{self.column} IS NULL"
            return self.exists() if name == column_kind else "FALSE"
        if self.pg:
            return f"jsonb_typeof({self.node}) = '{PG_TYPES[name]}'"
        names = {"number": "'integer', 'real'", "string": "'text'", "bool": "'true', 'false'"}
        other = {"null": "'null'", "list": "'array'", "dict": "'object'"}
        return f"{self._type()} IN ({names.get(name) or other[name]})"

    @property
    def column(self) -> str:
        name = self.field.name
        return name if name in NUMBER_COLUMNS else STRING_COLUMNS[name]

    def number(self) -> str:
        if self.field.kind == "column":
            return self.column
        return f"CAST({self.node} AS numeric)" if self.pg else self._extract()

    def text(self) -> str:
        if self.field.kind == "column":
            return self.column
        return f"({self.node} #>> '{{}}')" if self.pg else self._extract()

    def boolean(self, value: bool) -> str:
        if self.field.kind == "column":
            return "FALSE"
        if self.pg:
            return f"{self.node} = CAST('{'true' if value else 'false'}' AS jsonb)"
        return f"{self._type()} = '{'true' if value else 'false'}'"

    def json_equal(self, value: Any) -> str:
        if self.field.kind == "column":
            return "FALSE"
        if self.pg:
            return f"{self.node} = CAST({self.sql.bind(dumps(value))} AS jsonb)"
        return f"{self._extract()} = json({self.sql.bind(dumps(value))})"

    def _type(self) -> str:
        return f"json_type({self.doc}, {self.where})"

    def _extract(self) -> str:
        return f"json_extract({self.doc}, {self.where})"


class Compiler:
    """Builds one WHERE clause or ORDER BY list; ``params`` holds the values bound so far."""

    def __init__(self, dialect: Dialect) -> None:
        self.dialect = dialect
        self.params: dict[str, Any] = {}
        self.docs: set[str] = set()  # PostgreSQL: JSON columns read once per row as jsonb

    def bind(self, value: Any) -> str:
        name = f"f{len(self.params)}"
        if self._beyond_sqlite(value):
            value = float(
                value
            )  # SQLite binds 64-bit integers only; it stores larger ones as reals
        self.params[name] = value
        return f":{name}"

    def _beyond_sqlite(self, value: Any) -> bool:
        big = (
            isinstance(value, int) and not isinstance(value, bool) and not -(2**63) <= value < 2**63
        )
        return big and self.dialect.name == "sqlite"

    def where(self, node: Node) -> str:
        if isinstance(node, Group):
            parts = [self.where(part) for part in node.parts]
            joined = balanced("AND" if node.op == "$and" else "OR", parts)
            return f"NOT ({joined})" if node.op == "$nor" else joined
        if isinstance(node, Not):
            return f"NOT ({self.where(node.part)})"
        if node.field == Field("column", "tags"):
            return f"COALESCE(({self._tags(node)}), FALSE)"
        return f"COALESCE(({self._condition(node)}), FALSE)"

    def _condition(self, cond: Cond) -> str:
        return self._either(cond.field, lambda value: self._test(value, cond.op, cond.value))

    def _either(self, field: Field, expression: Callable[[Value], str]) -> str:
        """``expression`` of the field; for config and summary once per way the text reads."""
        if field.kind == "column":
            return expression(Value(self, field))
        if self.dialect.name == "postgresql":  # the join below parses each row once
            return self._pick(field, True, expression)
        read = {clean: self._pick(field, clean, expression) for clean in (True, False)}
        return (
            f"(CASE WHEN {standard(self.dialect, field)} THEN {read[True]} ELSE {read[False]} END)"
        )

    def _pick(self, field: Field, clean: bool, expression: Callable[[Value], str]) -> str:
        """The literal key when it exists, else the nested one."""
        values = [Value(self, field, path, clean) for path in field.candidates()]
        if len(values) == 1:
            return f"({expression(values[0])})"
        literal, nested = values
        return (
            f"(CASE WHEN {literal.exists()} THEN {expression(literal)} "
            f"ELSE {expression(nested)} END)"
        )

    def _test(self, value: Value, op: str, arg: Any) -> str:
        if op in ("$eq", "$ne"):
            equal = self._equal(value, arg)
            return equal if op == "$eq" else f"NOT COALESCE(({equal}), FALSE)"
        if op in ("$in", "$nin"):
            anyof = balanced("OR", [f"COALESCE(({self._equal(value, a)}), FALSE)" for a in arg])
            return anyof if op == "$in" else f"NOT ({anyof})"
        if op == "$exists":
            return value.exists() if arg else f"NOT ({value.exists()})"
        if op == "$regex":
            match = f"{value.text()} {'~' if value.pg else 'REGEXP'} {self.bind(arg)}"
            return f"CASE WHEN {value.is_kind('string')} THEN {match} ELSE FALSE END"
        return self._compare(value, SQL_COMPARE[op], arg)

    def _equal(self, value: Value, arg: Any) -> str:
        found = kind(arg)
        if found == "null":
            return f"(NOT ({value.exists()}) OR {value.is_kind('null')})"
        if found == "bool":
            return value.boolean(bool(arg))
        if found in ("number", "string"):
            return self._compare(value, "=", arg)
        return f"CASE WHEN {value.is_kind(found)} THEN {value.json_equal(arg)} ELSE FALSE END"

    def _compare(self, value: Value, op: str, arg: Any) -> str:
        bound = self.bind(arg)
        if kind(arg) == "number":
            reading = value.number()
            bound = f"CAST({bound} AS numeric)" if value.pg else bound
        else:
            reading = f'{value.text()} COLLATE "C"' if value.pg else value.text()
        test = f"{reading} {op} {bound}"
        return f"CASE WHEN {value.is_kind(kind(arg))} THEN {test} ELSE FALSE END"

    def _tags(self, cond: Cond) -> str:
        if cond.op == "$exists":
            return "TRUE" if cond.value else "FALSE"
        if cond.op in ("$eq", "$ne", "$in", "$nin"):
            items = cond.value if cond.op in ("$in", "$nin") else (cond.value,)
            anyof = balanced("OR", [self._tag_equal(item) for item in items])
            return anyof if cond.op in ("$eq", "$in") else f"NOT ({anyof})"
        if cond.op == "$regex":
            test = f"t.tag {'~' if self.dialect.name == 'postgresql' else 'REGEXP'} "
            return self._any_tag(test + self.bind(cond.value))
        if kind(cond.value) != "string":
            return "FALSE"
        collate = ' COLLATE "C"' if self.dialect.name == "postgresql" else ""
        return self._any_tag(f"t.tag{collate} {SQL_COMPARE[cond.op]} {self.bind(cond.value)}")

    def _tag_equal(self, item: Any) -> str:
        if isinstance(item, list):
            if self.dialect.name == "postgresql":
                return f"CAST(runs.tags AS jsonb) = CAST({self.bind(dumps(item))} AS jsonb)"
            return f"runs.tags = json({self.bind(dumps(item))})"
        if not isinstance(item, str):
            return "FALSE"
        return self._any_tag(f"t.tag = {self.bind(item)}")

    @staticmethod
    def _any_tag(test: str) -> str:
        return f"EXISTS (SELECT 1 FROM run_tags t WHERE t.run_pk = runs.pk AND {test})"

    def order_by(self, order: Order) -> str:
        """ORDER BY terms: numbers, then strings, then the rest; ties by creation."""
        direction = "DESC" if order.descending else "ASC"
        field = order.field
        if field.kind == "column" and field.name in NUMBER_COLUMNS:
            return f"{field.name} {direction}, pk {direction}"
        rank = self._either(
            field,
            lambda v: (
                f"CASE WHEN {v.is_kind('number')} THEN 0 "
                f"WHEN {v.is_kind('string')} THEN 1 ELSE 2 END"
            ),
        )
        number = self._either(
            field, lambda v: f"CASE WHEN {v.is_kind('number')} THEN {v.number()} END"
        )
        text = self._either(field, lambda v: f"CASE WHEN {v.is_kind('string')} THEN {v.text()} END")
        collate = ' COLLATE "C"' if self.dialect.name == "postgresql" else ""
        return (
            f"{rank} ASC, {number} {direction}, {text}{collate} {direction}, "
            f"created_at {direction}, pk {direction}"
        )

    def joins(self) -> str:
        """PostgreSQL: the JSON columns the query reads, parsed once per row (``docs.doc_*``)."""
        if self.dialect.name != "postgresql" or not self.docs:
            return ""
        columns = ", ".join(
            f"CASE WHEN {_clean_pg(c)} THEN CAST({c} AS jsonb) ELSE nbtrack_jsonb({c}) END "
            f"AS doc_{c}"
            for c in sorted(self.docs)
        )
        return f" CROSS JOIN LATERAL (SELECT {columns} OFFSET 0) docs"


def _clean_pg(column: str) -> str:
    return f"position('NaN' in {column}) = 0 AND position('Infinity' in {column}) = 0"


def standard(dialect: Dialect, field: Field) -> str:
    """SQL true when the field's JSON text holds no NaN or Infinity, so the database reads it."""
    column = JSON_COLUMNS[field.kind]
    if dialect.name == "postgresql":
        return _clean_pg(column)
    return f"instr({column}, 'NaN') = 0 AND instr({column}, 'Infinity') = 0"


def balanced(operator: str, parts: list[str]) -> str:
    """``a OR b OR ...`` nested as a balanced tree: SQLite refuses expressions over 1000 deep."""
    if not parts:
        return "FALSE" if operator == "OR" else "TRUE"
    if len(parts) <= 8:
        return f" {operator} ".join(f"({p})" for p in parts)
    middle = len(parts) // 2
    return (
        f"({balanced(operator, parts[:middle])}) {operator} ({balanced(operator, parts[middle:])})"
    )


@dataclasses.dataclass(frozen=True)
class Query:
    """``SELECT runs.* FROM runs{joins} WHERE ... AND ({where}) ORDER BY {order}``."""

    joins: str
    where: str
    order: str
    params: dict[str, Any]


def compile(dialect: Dialect, node: Node | None, order: Order) -> Query:
    """The SQL of a filter and an order over ``runs`` (``:cutoff`` must be bound too)."""
    compiler = Compiler(dialect)
    where = "TRUE" if node is None else compiler.where(node)
    order_sql = compiler.order_by(order)
    return Query(compiler.joins(), where, order_sql, compiler.params)
