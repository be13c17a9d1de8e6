"""A run read back (wandb's public ``Run``): fields, sampled ``history()``, full ``scan_history()``,
and ``update()``/``delete()``/``files()``, the same whether it lives on a server or on disk.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterator
from typing import TYPE_CHECKING, Any, Protocol

from nbtrack.errors import UsageError

if TYPE_CHECKING:
    from nbtrack.api.files import File


class RunStore(Protocol):
    """Where a run lives: a server (``nbtrack.api.remote``) or a run directory (``.local``)."""

    def rows(
        self, view: RunView, min_step: int | None, max_step: int | None, page_size: int
    ) -> Iterator[dict[str, Any]]: ...

    def sample(
        self, view: RunView, samples: int, keys: list[str] | None
    ) -> list[dict[str, Any]]: ...

    def update(self, view: RunView) -> None: ...

    def delete(self, view: RunView) -> None: ...

    def files(self, view: RunView) -> list[File]: ...

    def system(self, view: RunView, samples: int) -> list[dict[str, Any]]: ...


@dataclasses.dataclass
class RunView:
    """A run as logged. Change ``name``, ``notes``, ``tags``, ``group``, ``job_type``, ``config`` or
    ``summary`` and call ``update()`` to store the change where the run lives."""

    id: str
    name: str
    project: str
    entity: str | None
    state: str
    config: dict[str, Any]
    summary: dict[str, Any]
    metadata: dict[str, Any]
    tags: list[str]
    notes: str | None
    group: str | None
    job_type: str | None
    created_at: float | None
    url: str | None
    dir: str | None
    _store: RunStore = dataclasses.field(repr=False, compare=False)

    @property
    def path(self) -> str:
        return "/".join(p for p in (self.entity, self.project, self.id) if p)

    @property
    def display_name(self) -> str:
        return self.name

    @display_name.setter
    def display_name(self, value: str) -> None:
        self.name = value

    @property
    def summary_metrics(self) -> dict[str, Any]:
        return self.summary

    def history(
        self,
        samples: int = 500,
        keys: list[str] | None = None,
        x_axis: str = "_step",
        pandas: bool = True,
        stream: str = "default",
    ) -> Any:
        """About ``samples`` rows spread evenly over the run, first and last included, as a pandas
        DataFrame (a list of dicts with ``pandas=False``). With ``keys``: only rows that hold
        ``x_axis`` and every key, cut to those columns. ``scan_history()`` gives every row.
        ``stream="system"``: the system metrics (CPU, memory, disk, network, GPU), by
        ``_runtime``."""
        _check_samples(samples)
        if stream == "system":
            return self._system(samples, keys, pandas)
        if stream != "default":
            raise ValueError(f"stream={stream!r} is not a stream; use 'default' or 'system'.")
        wanted = [x_axis, *(k for k in _check_keys(keys) if k != x_axis)] if keys else None
        rows = list(_with_media(iter(self._store.sample(self, samples, wanted)), self))
        return frame(rows) if pandas else rows

    def _system(self, samples: int, keys: list[str] | None, pandas: bool) -> Any:
        """The system-metrics stream (:mod:`nbtrack.system`), indexed by ``_runtime``."""
        rows = self._store.system(self, samples)
        if keys:
            wanted = ["_runtime", *(k for k in _check_keys(keys) if k != "_runtime")]
            rows = list(_with_keys(iter(rows), wanted))
        return frame(rows) if pandas else rows

    def scan_history(
        self,
        keys: list[str] | None = None,
        page_size: int = 1000,
        min_step: int | None = None,
        max_step: int | None = None,
    ) -> Iterator[dict[str, Any]]:
        """Every row with ``min_step <= _step < max_step``, in step order, fetched ``page_size``
        rows at a time; with ``keys``, only rows holding all of them, cut to those keys."""
        chosen = _check_keys(keys)
        if not isinstance(page_size, int) or isinstance(page_size, bool) or page_size < 1:
            raise ValueError(f"page_size must be a positive int, not {page_size!r}.")
        last = None if max_step is None else _check_step("max_step", max_step) - 1
        rows = _with_media(self._store.rows(self, _step_or_none(min_step), last, page_size), self)
        return rows if not chosen else _with_keys(rows, chosen)

    def update(self) -> None:
        """Store the changed name, notes, tags, group, job type, config and summary."""
        self._store.update(self)

    def save(self) -> None:
        self.update()

    def delete(self) -> None:
        """Delete the run (on the server, or its local run directory)."""
        self._store.delete(self)

    def files(self) -> list[File]:
        """The run's files (``files/`` of the run directory, or uploaded to the server)."""
        return self._store.files(self)

    def file(self, name: str) -> File:
        for found in self.files():
            if found.name == name:
                return found
        raise UsageError(f"Run {self.path!r} has no file {name!r}; see run.files() for its files.")

    def logged_artifacts(self) -> list[Any]:
        """The artifact versions this run logged (nbtrack.artifacts)."""
        from nbtrack.artifacts import reading

        return reading.of_run(self._store, "logged")

    def used_artifacts(self) -> list[Any]:
        """The artifact versions this run used."""
        from nbtrack.artifacts import reading

        return reading.of_run(self._store, "used")


def _with_media(rows: Iterator[dict[str, Any]], view: RunView) -> Iterator[dict[str, Any]]:
    """Media references in the rows as objects that fetch their files (:mod:`nbtrack.media`)."""
    from nbtrack.media import readback

    return readback.rows(rows, view.files)


def frame(rows: list[dict[str, Any]]) -> Any:
    try:
        import pandas as pd
    except ImportError:
        raise ImportError(
            "history() returns a pandas DataFrame and pandas is not installed: "
            "pip install 'nbtrack[pandas]' (or pass pandas=False for a list of dicts)."
        ) from None
    return pd.DataFrame.from_records(rows)


def _with_keys(rows: Iterator[dict[str, Any]], keys: list[str]) -> Iterator[dict[str, Any]]:
    for row in rows:
        if all(k in row for k in keys):
            yield {k: row[k] for k in keys}


def _check_keys(keys: Any) -> list[str]:
    if keys is None:
        return []
    if not isinstance(keys, list | tuple) or not all(isinstance(k, str) for k in keys):
        raise ValueError(f"keys must be a list of strings such as ['loss'], not {keys!r}.")
    return list(keys)


def _check_samples(samples: Any) -> None:
    if not isinstance(samples, int) or isinstance(samples, bool) or not 1 <= samples <= 100_000:
        raise ValueError(f"samples must be an int from 1 to 100000, not {samples!r}.")


def _check_step(name: str, step: Any) -> int:
    if not isinstance(step, int) or isinstance(step, bool):
        raise ValueError(f"{name} must be an int step, not {step!r}.")
    return step


def _step_or_none(step: Any) -> int | None:
    return None if step is None else _check_step("min_step", step)
