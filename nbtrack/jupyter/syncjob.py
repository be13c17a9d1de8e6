"""The "Sync offline runs" button's work: ``nbtrack.sync()`` in a background thread.

It uploads every run under the run folder that is not fully uploaded, reports progress as it
goes and ends with a one-line result: runs synced, records sent, failures with their reason.
"""

from __future__ import annotations

import sys
import threading
from collections.abc import Callable
from pathlib import Path
from typing import Any

STATES = ("idle", "syncing", "done", "error")
_jobs: dict[str, SyncJob] = {}
_jobs_lock = threading.Lock()


class SyncJob:
    """One sync at a time per run folder; ``text`` says what it is doing or what it did.

    Shared by every widget and the JupyterLab extension of the kernel (see :func:`job`).
    """

    def __init__(self, root: Path, on_done: Callable[[], None] | None = None) -> None:
        self.root = root
        self.state = "idle"
        self.text = ""
        self.report: Any = None
        self._listeners: list[Callable[[SyncJob], None]] = []
        self._starters: list[Callable[[SyncJob], None]] = []
        if on_done is not None:
            self._listeners.append(lambda _job: on_done())
        self._lock = threading.Lock()
        self._runs_seen: set[str] = set()

    def on_done(self, listener: Callable[[SyncJob], None]) -> None:
        """Call ``listener(job)`` after every sync, from the sync's thread."""
        self._listeners.append(listener)

    def on_start(self, listener: Callable[[SyncJob], None]) -> None:
        """Call ``listener(job)`` when a sync starts, from the thread that started it."""
        self._starters.append(listener)

    @property
    def active(self) -> bool:
        return self.state == "syncing"

    def start(self) -> bool:
        """Start syncing in the background; False when a sync is already running."""
        with self._lock:
            if self.active:
                return False
            self.state, self.text, self._runs_seen = "syncing", "sync: looking for runs…", set()
        threading.Thread(target=self._run, name="nbtrack-sync", daemon=True).start()
        self._tell(self._starters)
        return True

    def _run(self) -> None:
        try:
            from nbtrack import syncing

            pending = syncing.pending_runs(self.root)
            self.text = f"sync: {len(pending)} run{'s' if len(pending) != 1 else ''} to upload…"
            self.report = syncing.sync([str(p) for p in pending], progress=self._progress)
            self.state, self.text = ("done" if self.report.ok else "error"), summary(self.report)
        except Exception as exc:
            self.state, self.text = "error", f"sync failed: {exc}"
        finally:
            self._tell(self._listeners)

    def _tell(self, listeners: list[Callable[[SyncJob], None]]) -> None:
        for listener in list(listeners):
            try:
                listener(self)
            except Exception as exc:
                print(f"nbtrack: sync listener failed: {exc!r}", file=sys.stderr)

    def _progress(self, run_dir: str, sent: int, total: int) -> None:
        self._runs_seen.add(run_dir)
        name = Path(run_dir).name
        self.text = f"syncing run {len(self._runs_seen)}: {name} {sent}/{total} records"


def job(root: Path) -> SyncJob:
    """The kernel's sync job for the run folder ``root``."""
    key = str(root.expanduser().resolve())
    with _jobs_lock:
        if key not in _jobs:
            _jobs[key] = SyncJob(Path(key))
        return _jobs[key]


def summary(report: Any) -> str:
    """``synced 3 runs, 1204 records sent; 1 failed: <run>: <reason>``."""
    from nbtrack.syncing import count

    text = f"synced {count(report.synced, 'run')}, {count(report.records_sent, 'record')} sent"
    failures = list(report.failures)
    if not failures and not report.results:
        return "nothing to sync: every run is uploaded"
    if failures:
        details = "; ".join(f"{Path(str(path)).name}: {reason}" for path, reason in failures)
        text += f"; {len(failures)} failed: {details}"
    return text
