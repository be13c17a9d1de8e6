"""``nbtrack.Api.local()``: runs read from the run directories on disk, no server needed.

Filters and orders are evaluated here with :mod:`nbtrack.api.filters` and
:mod:`nbtrack.api.runorder`, with the meaning the server gives them in SQL. ``scan_history()``
streams the run log line by line (flat memory for any length); ``history(samples)`` reads it
twice at most (count, pick).
"""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from nbtrack import rundir, runlog, runstate
from nbtrack.api import filters as run_filters
from nbtrack.api import runorder
from nbtrack.api.files import File, copier
from nbtrack.api.paging import Runs
from nbtrack.api.project import Project
from nbtrack.api.run import RunView
from nbtrack.api.sample import chosen
from nbtrack.errors import UsageError


class LocalApi:
    """Runs under ``<dir>/nbtrack`` (``dir`` defaults to the ``NBTRACK_DIR`` setting)."""

    def __init__(self, dir: str | Path | None = None) -> None:
        from nbtrack.settings import resolve

        base = Path(dir).expanduser() if dir is not None else Path(resolve().dir).expanduser()
        self.root = base if base.name == "nbtrack" or _holds_runs(base) else base / "nbtrack"

    def runs(
        self,
        path: str | None = None,
        filters: dict[str, Any] | None = None,
        order: str | None = "+created_at",
        per_page: int = 50,
    ) -> Runs:
        """The project's runs (every project's when ``path`` is None) that match ``filters``,
        oldest first unless ``order`` says otherwise (``"-created_at"``: newest first)."""
        node = run_filters.parse(filters)
        sorting = runorder.parse(order)
        project = None if path is None else path.strip("/").split("/")[-1]
        views = [self._view(p) for p in rundir.list_all(self.root)]
        kept = [v for v in views if project in (None, v.project) and _matches(node, v)]
        ordered = runorder.sort(kept, sorting, document)
        return Runs(
            lambda offset, limit: (ordered[offset : offset + limit], len(ordered)), per_page
        )

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

    def projects(self, entity: str | None = None) -> list[Project]:
        """The projects that have runs here, by name."""
        counts: dict[str, int] = {}
        for path in rundir.list_all(self.root):
            name = str(runstate.quick(path).info.get("project", ""))
            counts[name] = counts.get(name, 0) + 1
        return [Project(entity, name, run_count=n) for name, n in sorted(counts.items())]

    def project(self, name: str, entity: str | None = None) -> Project:
        for found in self.projects(entity):
            if found.name == name:
                return found
        raise UsageError(f"No project {name!r} under {self.root}; check the name and the dir.")

    def artifact(self, name: str, type: str | None = None) -> Any:
        """``"name:alias"`` (or ``"project/name:v3"``): a version the runs here logged
        (see :mod:`nbtrack.artifacts.localreading` for how versions are numbered)."""
        from nbtrack.artifacts.localreading import LocalArtifacts

        found = LocalArtifacts(self.root)
        artifact = found.artifact(found.find(name))
        if type is not None and artifact.type != type:
            raise UsageError(f"Artifact {name!r} is of type {artifact.type!r}, not {type!r}.")
        return artifact

    def artifacts(self, type_name: str | None, name: str, per_page: int = 50) -> list[Any]:
        """The versions of ``"[project/]name"`` (of ``type_name``), newest first."""
        from nbtrack.artifacts.localreading import LocalArtifacts

        found = LocalArtifacts(self.root)
        path = name.split(":")[0].strip("/").split("/")
        chain = found.chain(path[-2] if len(path) > 1 else None, path[-1])
        kept = [v for v in chain if type_name in (None, v.info["type"])]
        return [found.artifact(v) for v in reversed(kept)]

    def artifact_versions(self, type_name: str | None, name: str, per_page: int = 50) -> list[Any]:
        """wandb's older name of :meth:`artifacts`."""
        return self.artifacts(type_name, name, per_page)

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
            _store=LocalStore(path, state.history_count),
        )


def document(view: RunView) -> dict[str, Any]:
    """What filters and orders read of a run."""
    return {
        "id": view.id,
        "state": view.state,
        "tags": view.tags,
        "display_name": view.name,
        "created_at": view.created_at,
        "group": view.group,
        "job_type": view.job_type,
        "config": view.config,
        "summary": view.summary,
    }


def _matches(node: run_filters.Node | None, view: RunView) -> bool:
    return node is None or run_filters.matches(node, document(view))


class LocalStore:
    """A run directory: rows from its log, edits appended to it, files under ``files/``."""

    def __init__(self, path: Path, history_count: int | None = None) -> None:
        self.path, self.history_count = path, history_count

    def rows(
        self, view: RunView, min_step: int | None, max_step: int | None, page_size: int
    ) -> Iterator[dict[str, Any]]:
        return local_rows(self.path, min_step, max_step)

    def sample(self, view: RunView, samples: int, keys: list[str] | None) -> list[dict[str, Any]]:
        total = self.history_count if not keys else None
        if not total:
            total = sum(1 for _ in _with_all(local_rows(self.path, None, None), keys))
        rows = _with_all(local_rows(self.path, None, None), keys)
        picked = [row for i, row in enumerate(rows) if chosen(i, total, samples)]
        return [{k: row[k] for k in keys} for row in picked] if keys else picked

    def system(self, view: RunView, samples: int) -> list[dict[str, Any]]:
        found = [
            row for _, kind, row in runlog.read(self.path / runlog.LOG_NAME) if kind == "system"
        ]
        return [row for i, row in enumerate(found) if chosen(i, len(found), samples)]

    def update(self, view: RunView) -> None:
        from nbtrack.api.localedit import update

        update(self.path, view)

    def delete(self, view: RunView) -> None:
        if runlog.is_locked(self.path / runlog.LOG_NAME):
            raise UsageError(f"Run {view.id!r} is still being written; finish it before deleting.")
        shutil.rmtree(self.path)

    def artifacts(self, which: str) -> list[Any]:
        """The versions this run logged (``which="logged"``) or used (``"used"``)."""
        from nbtrack.artifacts.localreading import LocalArtifacts

        found = LocalArtifacts(self.path.parent)
        versions = (found.logged if which == "logged" else found.used).get(self.path.resolve())
        return [found.artifact(v) for v in dict.fromkeys(versions or [])]

    def files(self, view: RunView) -> list[File]:
        folder = self.path / "files"
        found = sorted(p for p in folder.rglob("*") if p.is_file()) if folder.is_dir() else []
        return [_file(folder, p) for p in found]


def _file(folder: Path, path: Path) -> File:
    stat = path.stat()
    return File(path.relative_to(folder).as_posix(), stat.st_size, stat.st_mtime, copier(path))


def local_rows(path: Path, min_step: int | None, max_step: int | None) -> Iterator[dict[str, Any]]:
    """The run's history rows in log order, ``min_step <= _step <= max_step``."""
    for _, kind, row in runlog.read(path / runlog.LOG_NAME):
        if kind != "h":
            continue
        step = row.get("_step", 0)
        if (min_step is not None and step < min_step) or (max_step is not None and step > max_step):
            continue
        yield row


def _with_all(rows: Iterator[dict[str, Any]], keys: list[str] | None) -> Iterator[dict[str, Any]]:
    if not keys:
        return rows
    return (row for row in rows if all(k in row for k in keys))


def _holds_runs(folder: Path) -> bool:
    return bool(rundir.list_all(folder))


def _split(project_or_path: str, run_id: str | None) -> tuple[str | None, str]:
    if run_id is not None:
        return project_or_path, run_id
    parts = project_or_path.strip("/").split("/")
    return (parts[-2], parts[-1]) if len(parts) > 1 else (None, parts[0])
