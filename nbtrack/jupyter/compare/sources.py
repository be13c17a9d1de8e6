"""Where compared runs come from: run directories read incrementally (``LocalSource``), chosen
from what ``nbtrack.compare(runs=...)`` was given (``resolve``).

``runs`` may be ``Run`` objects, ``RunView``s (``Api.local()`` results; a view of a server run
is read from its local run directory when it has one), run IDs, run directories, or a project
name; by default the runs this process started.
"""

from __future__ import annotations

import os
from collections.abc import Iterable
from pathlib import Path
from typing import Any, Protocol

from nbtrack import registry, rundir
from nbtrack.errors import UsageError
from nbtrack.jupyter.compare import cache, remote
from nbtrack.jupyter.compare.runlogs import LogReader, RunData

AXES = ("_step", "_runtime", "_timestamp")


class Source(Protocol):
    """A compared run, local or on a server, as the widget reads it."""

    data: RunData

    @property
    def live(self) -> bool: ...

    @property
    def sampled(self) -> bool: ...

    def load(self) -> None: ...

    def poll(self, budget: int | None = None) -> bool: ...

    def use_x(self, x: str) -> None: ...


class LocalSource:
    """One run directory, read from where the last poll stopped."""

    def __init__(
        self, folder: Path, samples: int, x_key: str | None, keys: frozenset[str] | None
    ) -> None:
        self.folder, self.samples, self.keys = folder, samples, keys
        self.data = RunData(run_id=rundir.parse_name(folder.name)[2] or folder.name)
        self.reader = LogReader(folder, self.data, samples, x_key, keys)

    @property
    def sampled(self) -> bool:
        """True when refreshes passed over rows to keep up (the live run's charts)."""
        return self.reader.skipped > 0

    def use_x(self, x: str) -> None:
        """Draw against ``x``: a logged key other than the one points carry means a new read."""
        key = None if x in AXES else x
        if key is not None and key != self.reader.x_key:
            self.data = RunData(run_id=self.data.run_id)
            self.reader = LogReader(self.folder, self.data, self.samples, key, self.keys)
            self.load()

    def load(self) -> None:
        """The first read: from the cache of an ended run when it matches, else the whole log
        (then cached if the run has ended)."""
        if not self.cached():
            self.read_log()

    def cached(self) -> bool:
        """Read from the kept reading of an ended run, if it matches the log."""
        return cache.load(self.reader)

    def read_log(self) -> None:
        """Read the log from where the reader stands, and keep the reading if the run ended."""
        self.poll()
        cache.save(self.reader)

    def unread(self) -> int:
        """Bytes of the log not read yet."""
        try:
            return max(0, os.path.getsize(self.reader.path) - self.reader.offset)
        except OSError:
            return 0

    def job(self) -> tuple[Path, int, str | None, frozenset[str] | None]:
        """What another process needs to read this log the same way (``LocalSource(*job)``)."""
        return (self.folder, self.samples, self.reader.x_key, self.keys)

    def take(self, reader: LogReader) -> None:
        """Use a reader that another process built from ``job()``."""
        self.reader, self.data = reader, reader.data

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


def resolve(runs: Any, project: str | None, max_runs: int) -> list[Any]:
    """The runs to compare, in order, at most ``max_runs``: run directories, and ``RunView``s
    of server runs."""
    if max_runs < 1:
        raise UsageError(f"max_runs must be at least 1, not {max_runs!r}.")
    if runs is None:
        folders = _project_runs(project) if project else _started(project)
    elif isinstance(runs, str | Path) and not _looks_like_run(runs):
        folders = _project_runs(str(runs))
    else:
        items = [runs] if isinstance(runs, str | Path) or hasattr(runs, "dir") else list(runs)
        folders = [_folder(item) for item in items]
    unique = list({_identity(item): item for item in reversed(folders)}.values())[::-1]
    if not unique:
        named = project or (str(runs) if isinstance(runs, str | Path) else None)
        where = f"project {named!r} under {_root()}" if named else "this kernel"
        raise UsageError(
            f"No runs to compare from {where}: pass runs=[run, ...], run IDs, Api results "
            "or a project name."
        )
    return unique[-max_runs:] if runs is None and not project else unique[:max_runs]


def _identity(item: Any) -> Any:
    return item if isinstance(item, Path) else ("server", getattr(item, "path", id(item)))


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


def _folder(item: Any) -> Any:
    """A run's directory from a Run, a RunView, an ID or a path (a server run's view as is)."""
    if remote.is_remote(item):
        return item
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
    items: Iterable[Any], samples: int, x: str, keys: frozenset[str] | None
) -> list[Source]:
    """A source per run: run directories read locally, server runs batched per project."""
    items = list(items)
    x_key = None if x in AXES else x
    views = [item for item in items if not isinstance(item, Path)]
    served = iter(remote.sources(views, samples, x, sorted(keys) if keys else None))
    return [
        LocalSource(item, samples, x_key, keys) if isinstance(item, Path) else next(served)
        for item in items
    ]
