"""Reading runs back: ``nbtrack.Api.local()`` from run directories, ``nbtrack.Api()`` from a server.

Both return :class:`RunView` objects with the same fields, so code that reads a run does not care
where it was stored.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Iterable, Iterator
from pathlib import Path
from typing import Any

from nbtrack import rundir, runlog, runstate
from nbtrack.errors import UsageError

RowSource = Callable[[list[str] | None, int | None, int | None], Iterable[dict[str, Any]]]


@dataclasses.dataclass
class RunView:
    """A run read back: fields as logged, ``history()`` streamed from where it is stored."""

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
    _rows: RowSource = dataclasses.field(repr=False)

    @property
    def path(self) -> str:
        return "/".join(p for p in (self.entity, self.project, self.id) if p)

    def history(
        self,
        keys: list[str] | None = None,
        pandas: bool = False,
        min_step: int | None = None,
        max_step: int | None = None,
    ) -> Any:
        """Every logged row in step order (dicts), or a pandas DataFrame with ``pandas=True``."""
        rows = self._rows(keys, min_step, max_step)
        if not pandas:
            return rows
        try:
            import pandas as pd
        except ImportError:
            raise UsageError(
                "history(pandas=True) needs pandas: pip install pandas (or iterate history())."
            ) from None
        return pd.DataFrame.from_records(list(rows))

    def scan_history(self, keys: list[str] | None = None) -> Iterable[dict[str, Any]]:
        """Same as ``history(keys)``: an iterator over every row."""
        return self._rows(keys, None, None)


class Api:
    """Read runs from a tracking server; ``Api.local()`` reads the run directories on disk."""

    def __init__(self, base_url: str | None = None, api_key: str | None = None) -> None:
        from nbtrack.remote import RemoteReader

        self._reader = RemoteReader(base_url, api_key)

    @staticmethod
    def local(dir: str | Path | None = None) -> LocalApi:
        return LocalApi(dir)

    def runs(self, path: str, **filters: Any) -> list[RunView]:
        return self._reader.runs(path, **filters)

    def run(self, path: str) -> RunView:
        return self._reader.run(path)


class LocalApi:
    """Runs under ``<dir>/nbtrack`` (``dir`` defaults to the ``NBTRACK_DIR`` setting)."""

    def __init__(self, dir: str | Path | None = None) -> None:
        from nbtrack.settings import resolve

        base = Path(dir).expanduser() if dir is not None else Path(resolve().dir).expanduser()
        self.root = base if base.name == "nbtrack" or _holds_runs(base) else base / "nbtrack"

    def runs(self, project: str | None = None) -> list[RunView]:
        """The project's runs (all runs when ``project`` is None), newest first."""
        views = [self._view(path) for path in reversed(rundir.list_all(self.root))]
        return [v for v in views if project is None or v.project == project]

    def run(self, project_or_path: str | Path, id: str | None = None) -> RunView:
        """One run: ``run("project", "id")``, ``run("project/id")``, ``run("id")`` or a dir path."""
        candidate = Path(project_or_path)
        if id is None and rundir.is_run_dir(candidate):
            return self._view(candidate)
        project, run_id = _split(str(project_or_path), id)
        path = rundir.find(self.root, run_id)
        if path is None:
            raise UsageError(f"No run {run_id!r} under {self.root}; check the id and the dir.")
        view = self._view(path)
        if project is not None and view.project != project:
            raise UsageError(
                f"Run {run_id!r} belongs to project {view.project!r}, not {project!r}."
            )
        return view

    def _view(self, path: Path) -> RunView:
        state = runstate.quick(path)
        info = state.info
        return RunView(
            id=str(info.get("id", rundir.parse_name(path.name)[2])),
            name=str(info.get("name", "")),
            project=str(info.get("project", "")),
            entity=info.get("entity"),
            state=state.state,
            config=state.config,
            summary=state.summary,
            metadata=state.metadata,
            tags=list(info.get("tags") or []),
            notes=info.get("notes"),
            group=info.get("group"),
            job_type=info.get("job_type"),
            created_at=info.get("created_at"),
            url=info.get("url"),
            dir=str(path),
            _rows=lambda keys, lo, hi: local_rows(path, keys, lo, hi),
        )


def local_rows(
    path: Path, keys: list[str] | None, min_step: int | None, max_step: int | None
) -> Iterator[dict[str, Any]]:
    for _, kind, row in runlog.read(path / runlog.LOG_NAME):
        if kind != "h":
            continue
        step = row.get("_step", 0)
        if (min_step is not None and step < min_step) or (max_step is not None and step > max_step):
            continue
        yield row if keys is None else {k: row[k] for k in ("_step", *keys) if k in row}


def _holds_runs(folder: Path) -> bool:
    return bool(rundir.list_all(folder))


def _split(project_or_path: str, run_id: str | None) -> tuple[str | None, str]:
    if run_id is not None:
        return project_or_path, run_id
    parts = project_or_path.strip("/").split("/")
    return (parts[-2], parts[-1]) if len(parts) > 1 else (None, parts[0])
