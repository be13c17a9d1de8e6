"""The one place that knows the current run and every live run of this process."""

from __future__ import annotations

import threading
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from nbtrack._run import Run

_lock = threading.RLock()
_current: Run | None = None
_live: list[Run] = []
_started: list[str] = []  # the run directory of every run this process started, in order


def current() -> Run | None:
    return _current


def live() -> list[Run]:
    with _lock:
        return list(_live)


def started() -> list[str]:
    """The directories of the runs this process started (``nbtrack.compare()``'s default)."""
    with _lock:
        return list(_started)


def add(run: Run, make_current: bool) -> None:
    global _current
    with _lock:
        _live.append(run)
        if run.dir and run.dir not in _started:
            _started.append(run.dir)
        if make_current:
            _current = run


def set_current(run: Run | None) -> Run | None:
    """Make ``run`` the current run; returns the one it replaces."""
    global _current
    with _lock:
        previous, _current = _current, run
        return previous


def remove(run: Run) -> None:
    global _current
    with _lock:
        if run in _live:
            _live.remove(run)
        if _current is run:
            _current = None
