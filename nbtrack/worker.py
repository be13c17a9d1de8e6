"""One background thread per run: fsync the run log, refresh its files, feed the uploader.

It wakes every ``interval`` seconds (sooner when poked) and calls the run's ``tick``; it never
touches the ``log()`` path, which stays a single write.
"""

from __future__ import annotations

import sys
import threading
from collections.abc import Callable


class Worker(threading.Thread):
    def __init__(self, name: str, tick: Callable[[], None], interval: float = 1.0) -> None:
        super().__init__(name=f"nbtrack-{name}", daemon=True)
        self._tick = tick
        self._interval = interval
        self._stop_event = threading.Event()
        self._poke = threading.Event()

    def run(self) -> None:
        while not self._stop_event.is_set():
            self._poke.wait(self._interval)
            self._poke.clear()
            if self._stop_event.is_set():
                break
            try:
                self._tick()
            except Exception as exc:  # the run goes on; the log on disk stays the truth
                print(f"nbtrack: background task failed: {exc!r}", file=sys.stderr)

    def poke(self) -> None:
        self._poke.set()

    def stop(self, timeout: float | None = None) -> None:
        self._stop_event.set()
        self._poke.set()
        if self.is_alive() and threading.current_thread() is not self:
            self.join(timeout)
