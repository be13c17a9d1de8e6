"""Where compared runs come from: run directories read incrementally (``LocalSource``), chosen
from what ``nbtrack.compare(runs=...)`` was given (``resolve``).

``runs`` may be ``Run`` objects, ``RunView``s (``Api.local()`` results; a view of a server run
is read from its local run directory when it has one), run IDs, run directories, or a project
name; by default the runs this process started.
"""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path
from typing import Any

from nbtrack import registry, rundir
from nbtrack.errors import UsageError
from nbtrack.jupyter.compare import cache
from nbtrack.jupyter.compare.runlogs import LogReader, RunData


class LocalSource:
    """One run directory, read from where the last poll stopped."""

    def __init__(
        self, folder: Path, samples: int, x_key: str | None, keys: frozenset[str] | None
    ) -> None:
        self.folder, self.samples, self.keys = folder, samples, keys
        self.data = RunData(run_id=rundir.parse_name(folder.name)[2] or folder.name)
        self.reader = LogReader(folder, self.data, samples, x_key, keys)

    def reread(self, x_key: str | None) -> None:
        """Read the whole log again, each point now carrying ``x_key``'s value."""
        self.data = RunData(run_id=self.data.run_id)
        self.reader = LogReader(self.folder, self.data, self.samples, x_key, self.keys)
        self.load()

    def load(self) -> None:
        """The first read: from the cache of an ended run when it matches, else the whole log
        (then cached if the run has ended)."""
        if not cache.load(self.reader):
            self.poll()
            cache.save(self.reader)

    def poll(self, budget: int | None = None) -> bool:
        """Read what the run logged since the last poll (with ``budget``: at most about that
        many of the newest bytes); True if anything changed."""
        before = self.data.state
        if budget is not None:
            self.reader.skip_to(budget)
        changed = self.reader.read()
        self.reader.settle()
        return changed or self.data.state != before

    @property
    def live(self) -> bool:
        return not self.reader.ended


def resolve(runs: Any, project: str | None, max_runs: int) -> list[Path]:
    """The run directories to compare, in order, at most ``max_runs``."""
    if max_runs < 1:
        raise UsageError(f"max_runs must be at least 1, not {max_runs!r}.")
    if runs is None:
        folders = _project_runs(project) if project else _started(project)
    elif isinstance(runs, str | Path) and not _looks_like_run(runs):
        folders = _project_runs(str(runs))
    else:
        items = [runs] if isinstance(runs, str | Path) or hasattr(runs, "dir") else list(runs)
        folders = [_folder(item) for item in items]
    unique = list(dict.fromkeys(folders))
    if not unique:
        where = f"project {project!r}" if project else "this kernel"
        raise UsageError(
            f"No runs to compare from {where}: pass runs=[run, ...], run IDs, Api results "
            "or a project name."
        )
    return unique[-max_runs:] if runs is None and not project else unique[:max_runs]


def _started(project: str | None) -> list[Path]:
    return [Path(d) for d in registry.started() if rundir.is_run_dir(Path(d))]


def _root() -> Path:
    from nbtrack.api.local import LocalApi

    return LocalApi().root


def _project_runs(project: str) -> list[Path]:
    from nbtrack.api.local import LocalApi

    views = LocalApi().runs(project, order="-created_at", per_page=1000)
    return [Path(view.dir) for view in views if view.dir]


def _looks_like_run(value: str | Path) -> bool:
    text = str(value)
    return rundir.is_run_dir(Path(text)) or rundir.find(_root(), text) is not None


def _folder(item: Any) -> Path:
    """A run's directory from a Run, a RunView, an ID or a path."""
    folder = getattr(item, "dir", None)
    if folder:
        return Path(folder)
    if hasattr(item, "dir"):
        raise UsageError(
            f"Run {getattr(item, 'id', item)!r} has no local run directory (a disabled run, or "
            "one that lives only on a server); compare runs logged on this machine."
        )
    if isinstance(item, str | Path):
        if rundir.is_run_dir(Path(item)):
            return Path(item)
        found = rundir.find(_root(), str(item))
        if found is not None:
            return found
        raise UsageError(f"No run {str(item)!r} under {_root()}; pass a run ID, Run or run dir.")
    raise UsageError(
        f"Cannot compare {item!r}: pass Run objects, Api results, run IDs or a project name."
    )


def sources(
    folders: Iterable[Path], samples: int, x_key: str | None, keys: frozenset[str] | None
) -> list[LocalSource]:
    return [LocalSource(folder, samples, x_key, keys) for folder in folders]
