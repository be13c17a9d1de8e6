"""One background thread that refreshes every live run widget, at most twice a second.

A widget sends an update only when its card changed, so an idle finished run costs nothing. The
thread sleeps on an event while there is nothing to refresh; it never runs kernel code.
"""

from __future__ import annotations

import threading
from typing import Protocol

from nbtrack.jupyter.hooks import report

PERIOD = 0.5


class Refreshable(Protocol):
    def tick(self) -> bool:
        """Refresh if due; return False when the widget needs no more refreshing."""
        ...


class Ticker:
    def __init__(self, period: float = PERIOD) -> None:
        self.period = period
        self._widgets: list[Refreshable] = []
        self._lock = threading.Lock()
        self._wake = threading.Event()
        self._thread: threading.Thread | None = None

    def add(self, widget: Refreshable) -> None:
        with self._lock:
            if widget not in self._widgets:
                self._widgets.append(widget)
            if self._thread is None or not self._thread.is_alive():
                self._thread = threading.Thread(
                    target=self._loop, name="nbtrack-widgets", daemon=True
                )
                self._thread.start()
        self._wake.set()

    def discard(self, widget: Refreshable) -> None:
        with self._lock:
            if widget in self._widgets:
                self._widgets.remove(widget)

    def __contains__(self, widget: Refreshable) -> bool:
        with self._lock:
            return widget in self._widgets

    def _loop(self) -> None:
        while True:
            with self._lock:
                widgets = list(self._widgets)
            if not widgets:
                self._wake.wait()
                self._wake.clear()
                continue
            self._wake.wait(self.period)
            self._wake.clear()
            for widget in widgets:
                self._tick(widget)

    def _tick(self, widget: Refreshable) -> None:
        try:
            keep = widget.tick()
        except Exception:
            keep = False
            report("widget refresh")
        if not keep:
            self.discard(widget)


TICKER = Ticker()
