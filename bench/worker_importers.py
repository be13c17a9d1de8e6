"""The importer measurement, run inside ``worker.py`` (nbtrack's own venv): one import of a
long source, timed (wall, CPU of this process and of a helper process it started, and the time
spent waiting for a CPU) with each process's peak RSS after it."""

from __future__ import annotations

import resource
import threading
import time
from typing import Any

Result = dict[str, Any]


def waited() -> float:
    """Seconds this process has spent ready to run but waiting for a CPU (Linux schedstat)."""
    try:
        with open("/proc/self/schedstat", encoding="ascii") as stream:
            return int(stream.read().split()[1]) / 1e9
    except (OSError, IndexError, ValueError):
        return float("nan")


def import_history(module: Any, p: Result) -> Result:
    """``nbtrack.importers.from_<kind>(source, dir=...)`` once, without progress bars."""
    from nbtrack import importers

    readers: dict[str, Any] = {
        "wandb": importers.from_wandb,
        "tensorboard": importers.from_tensorboard,
    }
    read = readers[p["kind"]]
    before_kb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    helpers = children_cpu()
    with HelperPeaks() as peaks:
        wait, wall, cpu = waited(), time.perf_counter(), time.process_time()
        report = read(p["source"], dir=p["dir"], progress=False)
        wall, cpu = time.perf_counter() - wall, time.process_time() - cpu
        wait = waited() - wait
    runs = report.runs
    return {
        "wall_s": wall,
        "cpu_s": cpu,
        "helper_cpu_s": children_cpu() - helpers,  # a helper process reading half the log
        "wait_s": wait,  # ready but not running: other work on a shared machine
        "rows": sum(r.rows for r in runs),
        "status": [r.status for r in runs],
        "before_kb": before_kb,
        "peak_kb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss,
        "helper_peak_kb": max(peaks.peaks.values(), default=0),
    }


class HelperPeaks:
    """The peak RSS (VmHWM) of each helper process, read every 0.25 s by a thread while the
    import runs (``RUSAGE_CHILDREN`` would count this process's size at fork time)."""

    def __init__(self) -> None:
        self.peaks: dict[int, int] = {}
        self.done = threading.Event()
        self.thread = threading.Thread(target=self._watch, daemon=True)

    def __enter__(self) -> HelperPeaks:
        self.thread.start()
        return self

    def __exit__(self, *exc: Any) -> None:
        self.done.set()
        self.thread.join()

    def _watch(self) -> None:
        from worker import helper_peaks

        while not self.done.wait(0.25):
            helper_peaks(self.peaks)


def children_cpu() -> float:
    """CPU seconds of the ended child processes (user and system)."""
    used = resource.getrusage(resource.RUSAGE_CHILDREN)
    return used.ru_utime + used.ru_stime


CHILDREN = {"import_history": import_history}
