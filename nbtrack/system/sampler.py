"""The sampler thread: one ``system`` record per interval, written beside the run's history."""

from __future__ import annotations

import contextlib
import threading
import time
from typing import TYPE_CHECKING, Any

from nbtrack import console
from nbtrack.errors import RunFinished

if TYPE_CHECKING:
    from nbtrack._run import Run
    from nbtrack.system.probes import Probes

OPEN_AFTER = 2.0  # seconds: psutil and NVML load after a run's first log() calls, not during them


class Sampler(threading.Thread):
    """Samples every ``interval`` seconds until stopped, and once more as it stops."""

    def __init__(self, run: Run, interval: float) -> None:
        super().__init__(name=f"nbtrack-system-{run.id}", daemon=True)
        self.run_ = run
        self.interval = interval
        self.samples = 0
        self.latest: dict[str, Any] = {}  # the last sample (the notebook widget shows it)
        self._stop_event = threading.Event()
        self._probes: Probes | None = None

    def run(self) -> None:
        started = time.monotonic()
        opening = min(self.interval, OPEN_AFTER)
        stopped = self._stop_event.wait(opening)
        if stopped and opening >= OPEN_AFTER:
            return  # a run over within seconds: loading psutil now would only slow its finish()
        if not self._open():
            return
        wait = max(0.0, self.interval - (time.monotonic() - started))  # the first on schedule
        while not stopped and not self._stop_event.wait(wait):
            self._sample()
            wait = self.interval
        self._sample()  # the last moments of the run

    def stop(self, timeout: float = 5.0) -> None:
        self._stop_event.set()
        if self.is_alive() and threading.current_thread() is not self:
            self.join(timeout)

    def _open(self) -> bool:
        try:
            from nbtrack.system.probes import Probes

            self._probes = Probes(self.run_.dir)
        except Exception as exc:  # psutil missing or broken: the run goes on without
            console.say(f"no system metrics for run {self.run_.id}: {exc!r}")
            return False
        if self._probes.gpu_note:
            self._note(self._probes.gpu_note)
        return True

    def _note(self, text: str) -> None:
        with contextlib.suppress(RunFinished):
            self.run_.record_metadata(system={"gpu": text})

    def _sample(self) -> None:
        assert self._probes is not None
        try:
            values: dict[str, Any] = self._probes.read()
            now = time.time()
            record = {"_runtime": self.run_.runtime, "_timestamp": now, **values}
            self.run_._record("system", record)
            self.latest = record
            self.samples += 1
        except RunFinished:
            self._stop_event.set()
        except Exception as exc:  # a failing probe costs the sample, never the run
            console.say(f"a system-metrics sample of run {self.run_.id} failed: {exc!r}")
