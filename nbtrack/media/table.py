"""``nbtrack.Table``: rows and columns of numbers, strings, bools, None and media, as wandb's."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from typing import Any

from nbtrack.media import base, cells, tablefile

LOG_MODES = ("IMMUTABLE", "MUTABLE", "INCREMENTAL")
DEFAULT_COLUMNS = ["Input", "Output", "Expected"]


class Table(base.Media):
    """``Table(columns=["id", "pred"], data=[[1, "cat"], ...])`` or ``Table(dataframe=df)``;
    grow it with ``add_data(*row)`` and ``add_column(name, values)``.

    ``log_mode``: ``IMMUTABLE``/``MUTABLE`` log the whole table each time; ``INCREMENTAL`` logs
    the rows added since the table was last logged (see docs/media-format.md).
    """

    _type = "table-file"

    def __init__(
        self,
        columns: Sequence[Any] | None = None,
        data: Sequence[Sequence[Any]] | None = None,
        rows: Sequence[Sequence[Any]] | None = None,
        dataframe: Any = None,
        dtype: Any = None,
        optional: bool | Sequence[bool] = True,
        allow_mixed_types: bool = False,
        log_mode: str = "IMMUTABLE",
    ) -> None:
        if log_mode not in LOG_MODES:
            raise ValueError(f"log_mode must be one of {LOG_MODES}, not {log_mode!r}.")
        self.log_mode = log_mode
        self._mixed_ok = allow_mixed_types
        self._logged_rows = 0
        self._increment = 0
        data = rows if data is None else data
        if dataframe is not None:
            columns, data = _from_frame(dataframe, columns)
        self.columns: list[str] = [str(c) for c in (columns or DEFAULT_COLUMNS)]
        cells.check_size(len(data) if data is not None else 0, len(self.columns))
        self.data: list[list[Any]] = []
        self._dtypes = _per_column(dtype, len(self.columns), None)
        self._optional = _per_column(optional, len(self.columns), True)
        if data is not None:
            self._add_rows(list(map(list, data)))

    # -- building ------------------------------------------------------------------------------
    def add_data(self, *data: Any) -> None:
        """Add one row, a value per column."""
        self._add_rows([list(data)])

    def _add_rows(self, rows: list[list[Any]]) -> None:
        width = len(self.columns)
        if set(map(len, rows)) - {width}:
            row = next(row for row in rows if len(row) != width)
            raise ValueError(
                f"a row has {len(row)} values but the table has {width} columns "
                f"{self.columns}; give one value per column"
            )
        cells.check_size(len(self.data) + len(rows), width)
        self._check(rows)
        self.data.extend(rows)

    def _check(self, rows: list[list[Any]]) -> None:
        if not rows or (all(self._optional) and not any(self._dtypes)):
            return
        for index, values in enumerate(zip(*rows, strict=True)):
            name, dtype = self.columns[index], self._dtypes[index]
            if not self._optional[index] and any(v is None for v in values):
                raise ValueError(f"column {name!r} is not optional: it must not hold None")
            if dtype is not None:
                wanted = cells.dtype_kind(dtype)
                bad = cells.column_kind(values) - {wanted}
                if bad:
                    raise TypeError(
                        f"column {name!r} has dtype {dtype.__name__}, got {sorted(bad)}"
                    )

    def add_column(self, name: str, data: Sequence[Any], optional: bool = False) -> None:
        """Add a column (one value per existing row)."""
        if name in self.columns:
            raise ValueError(f"the table already has a column {name!r}; choose another name")
        values = list(data)
        if self.data and len(values) != len(self.data):
            raise ValueError(f"column {name!r} has {len(values)} values for {len(self.data)} rows")
        cells.check_size(len(values), len(self.columns) + 1)
        if not optional and any(v is None for v in values):
            raise ValueError(f"column {name!r} is not optional: pass optional=True to allow None")
        self.data = [
            [*row, value]
            for row, value in zip(self.data or [[]] * len(values), values, strict=True)
        ]
        self.columns.append(str(name))
        self._dtypes.append(None)
        self._optional.append(optional)

    # -- reading -------------------------------------------------------------------------------
    def get_column(self, name: str, convert_to: str | None = None) -> Any:
        """The values of a column (a numpy array with ``convert_to="numpy"``)."""
        index = self._index_of(name)
        values = [row[index] for row in self.data]
        if convert_to == "numpy":
            from nbtrack.media.optional import numpy

            return numpy().array(values)
        return values

    def get_index(self) -> list[int]:
        """The row numbers, 0 .. len - 1."""
        return list(range(len(self.data)))

    def iterrows(self) -> Iterator[tuple[int, list[Any]]]:
        """``(index, row)`` for each row."""
        yield from enumerate(self.data)

    def get_dataframe(self) -> Any:
        """The table as a pandas DataFrame."""
        import pandas

        return pandas.DataFrame(self.data, columns=self.columns)

    def __len__(self) -> int:
        return len(self.data)

    def _index_of(self, name: str) -> int:
        if name not in self.columns:
            raise KeyError(f"the table has no column {name!r}; its columns are {self.columns}")
        return self.columns.index(name)

    # -- logging -------------------------------------------------------------------------------
    def prepare(self, key: str) -> base.Prepared:
        return self._prepare(key)  # a table may change between logs: never cached

    def _prepare(self, key: str) -> base.Prepared:
        rows = self.data
        if self.log_mode == "INCREMENTAL":
            rows = self.data[self._logged_rows :]
        types = tablefile.column_types(self.columns, rows, self._mixed_ok)
        body, jobs = tablefile.encode(key, self.columns, rows, types)
        reference, job = base.stored(body, "table.json", self._type)
        reference.update(nrows=len(rows), ncols=len(self.columns), columns=self.columns[:100])
        reference["log_mode"] = self.log_mode
        if self.log_mode == "INCREMENTAL":
            reference["increment"] = self._increment
            self._increment += 1
            self._logged_rows = len(self.data)
        return base.Prepared(reference, (job, *jobs))

    def _repr_html_(self) -> str:
        from nbtrack.media.display import table_html

        return table_html(self.columns, self.data)

    def __repr__(self) -> str:
        return f"<nbtrack.Table {len(self.data)} rows x {len(self.columns)} columns>"


def _from_frame(frame: Any, columns: Any) -> tuple[list[Any], list[list[Any]]]:
    names = list(columns) if columns is not None else [str(c) for c in frame.columns]
    return names, frame.astype(object).where(frame.notna(), None).values.tolist()


def _per_column(value: Any, width: int, default: Any) -> list[Any]:
    if isinstance(value, list | tuple):
        if len(value) != width:
            raise ValueError(f"give one value per column ({width}), not {len(value)}: {value!r}")
        return list(value)
    return [default if value is None else value] * width
