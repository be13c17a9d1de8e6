"""``api.runs()``: a sequence of runs fetched a page at a time, as wandb's ``Runs``."""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from typing import Any, overload

from nbtrack.api.run import RunView, frame

Fetch = Callable[[int, int], tuple[list[RunView], int]]  # (offset, limit) -> (page, total)


class Runs(Sequence[RunView]):
    """The matching runs in order; ``len()`` asks for the first page only, indexing and
    iterating fetch pages of ``per_page`` runs as they are reached."""

    def __init__(self, fetch: Fetch, per_page: int = 50) -> None:
        if not isinstance(per_page, int) or isinstance(per_page, bool) or not 1 <= per_page <= 1000:
            raise ValueError(f"per_page must be an int from 1 to 1000, not {per_page!r}.")
        self._fetch, self.per_page = fetch, per_page
        self._loaded: list[RunView] = []
        self._total: int | None = None

    def __len__(self) -> int:
        if self._total is None:
            self._load_more()
        assert self._total is not None
        return self._total

    @overload
    def __getitem__(self, index: int) -> RunView: ...

    @overload
    def __getitem__(self, index: slice) -> list[RunView]: ...

    def __getitem__(self, index: int | slice) -> Any:
        if isinstance(index, slice):
            return [self[i] for i in range(*index.indices(len(self)))]
        if index < 0:
            index += len(self)
        while index >= len(self._loaded) and self._load_more():
            pass
        if not 0 <= index < len(self._loaded):
            raise IndexError(f"run index {index} out of range ({len(self)} runs)")
        return self._loaded[index]

    def __iter__(self) -> Iterator[RunView]:
        index = 0
        while index < len(self._loaded) or self._load_more():
            yield self._loaded[index]
            index += 1

    def _load_more(self) -> bool:
        if self._total is not None and len(self._loaded) >= self._total:
            return False
        page, self._total = self._fetch(len(self._loaded), self.per_page)
        self._loaded.extend(page)
        if not page:
            self._total = len(self._loaded)
        return bool(page)

    def histories(
        self,
        samples: int = 500,
        keys: list[str] | None = None,
        x_axis: str = "_step",
        format: str = "default",
    ) -> Any:
        """Every run's sampled ``history()`` with a ``run_id`` column, as wandb's ``Runs``:
        a list of dicts (``format="default"``) or one pandas DataFrame (``"pandas"``)."""
        if format not in ("default", "pandas"):
            raise ValueError(f"format={format!r}: use 'default' or 'pandas'.")
        rows = [
            row | {"run_id": run.id}
            for run in self
            for row in run.history(samples=samples, keys=keys, x_axis=x_axis, pandas=False)
        ]
        if format == "default":
            return rows
        table = frame(rows)
        return table[sorted(table.columns)] if len(table.columns) else table

    def __repr__(self) -> str:
        return f"<Runs {len(self)} runs>"
