"""A chart spec with its data table (``_type: "plot"`` in docs/media-format.md), and the charts
drawn straight from a table's columns: ``line``, ``scatter``, ``bar``, ``histogram``."""

from __future__ import annotations

from typing import Any

from nbtrack.media import base
from nbtrack.media.table import Table


class CustomChart(base.Media):
    """What ``nbtrack.plot.*`` returns; log it: ``log({"roc": plot.roc_curve(...)})``."""

    _type = "plot"

    def __init__(
        self,
        chart: str,
        table: Table,
        fields: dict[str, Any],
        title: str = "",
        split_table: bool = False,
    ) -> None:
        for role, column in fields.items():
            if column is not None and column not in table.columns:
                raise ValueError(
                    f"plot.{chart}: {role}={column!r} is not a column of the table "
                    f"({table.columns}); pass one of those"
                )
        self.chart, self.table = chart, table
        self.fields = {role: column for role, column in fields.items() if column is not None}
        self.title, self.split_table = str(title or ""), bool(split_table)

    def prepare(self, key: str) -> base.Prepared:
        return self._prepare(key)  # the table may change between logs

    def _prepare(self, key: str) -> base.Prepared:
        table = self.table.prepare(key)
        reference: dict[str, Any] = {"_type": self._type, "chart": self.chart, "title": self.title}
        reference.update(fields=self.fields, table=table.reference)
        if self.split_table:
            reference["split_table"] = True
        return base.Prepared(reference, table.files)

    def __repr__(self) -> str:
        return f"<nbtrack.plot.{self.chart} {self.title!r}>"


def _table(function: str, table: Any) -> Table:
    if not isinstance(table, Table):
        raise TypeError(
            f"plot.{function}() takes an nbtrack.Table first, not {type(table).__name__}."
        )
    return table


def line(
    table: Table,
    x: str,
    y: str,
    stroke: str | None = None,
    title: str = "",
    split_table: bool = False,
) -> CustomChart:
    """A line of column ``y`` over column ``x`` (one line per value of ``stroke``)."""
    fields = {"x": x, "y": y, "stroke": stroke}
    return CustomChart("line", _table("line", table), fields, title, split_table)


def scatter(
    table: Table, x: str, y: str, title: str = "", split_table: bool = False
) -> CustomChart:
    """Points at (``x``, ``y``)."""
    return CustomChart("scatter", _table("scatter", table), {"x": x, "y": y}, title, split_table)


def bar(
    table: Table, label: str, value: str, title: str = "", split_table: bool = False
) -> CustomChart:
    """One bar per row: its ``label`` and its ``value``."""
    fields = {"label": label, "value": value}
    return CustomChart("bar", _table("bar", table), fields, title, split_table)


def histogram(table: Table, value: str, title: str = "", split_table: bool = False) -> CustomChart:
    """The distribution of column ``value`` (binned when drawn)."""
    return CustomChart(
        "histogram", _table("histogram", table), {"value": value}, title, split_table
    )


def line_series(
    xs: Any, ys: Any, keys: Any = None, title: str = "", xname: str = "x", split_table: bool = False
) -> CustomChart:
    """Several lines: ``ys`` is a list of series, over ``xs`` (shared, or one list per series)."""
    series = [list(y) for y in ys]
    shared = len(xs) > 0 and not isinstance(next(iter(xs)), list | tuple)
    names = list(keys) if keys is not None else [f"key_{i}" for i in range(len(series))]
    if len(names) != len(series):
        raise ValueError(
            f"plot.line_series: {len(names)} keys for {len(series)} series; give one per series"
        )
    table = Table(columns=["lineKey", "step", "lineVal"])
    for index, values in enumerate(series):
        x_values = list(xs) if shared else list(xs[index])
        if len(x_values) != len(values):
            raise ValueError(
                f"plot.line_series: series {index} has {len(values)} values for {len(x_values)} xs"
            )
        table.data.extend([names[index], x, y] for x, y in zip(x_values, values, strict=True))
    fields = {"x": "step", "y": "lineVal", "stroke": "lineKey"}
    chart = CustomChart("line_series", table, fields, title, split_table)
    chart.fields["xname"] = xname
    return chart
