"""The "Sync offline runs" button's work: ``nbtrack.sync()`` in a background thread.

It uploads every run under the run folder that is not fully uploaded, reports progress as it
goes and ends with a one-line result: runs synced, records sent, failures with their reason.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from pathlib import Path
from typing import Any

STATES = ("idle", "syncing", "done", "error")


class SyncJob:
    """One sync at a time; ``text`` says what it is doing or what it did."""

    def __init__(self, root: Path, on_done: Callable[[], None]) -> None:
        self.root = root
        self.state = "idle"
        self.text = ""
        self.report: Any = None
        self._on_done = on_done
        self._lock = threading.Lock()
        self._runs_seen: set[str] = set()

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
            self._on_done()

    def _progress(self, run_dir: str, sent: int, total: int) -> None:
        self._runs_seen.add(run_dir)
        name = Path(run_dir).name
        self.text = f"syncing run {len(self._runs_seen)}: {name} {sent}/{total} records"


def summary(report: Any) -> str:
    """``synced 3 runs, 1204 records sent; 1 failed: <run>: <reason>``."""
    runs = "run" if report.synced == 1 else "runs"
    text = f"synced {report.synced} {runs}, {report.records_sent} records sent"
    failures = list(report.failures)
    if not failures and not report.results:
        return "nothing to sync: every run is uploaded"
    if failures:
        details = "; ".join(f"{Path(str(path)).name}: {reason}" for path, reason in failures)
        text += f"; {len(failures)} failed: {details}"
    return text
