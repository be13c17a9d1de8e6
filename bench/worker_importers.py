"""The importer measurement, run inside ``worker.py`` (nbtrack's own venv): one import of a
long source, timed (wall, CPU, and the time spent waiting for a CPU) with the process's peak RSS
after it."""

from __future__ import annotations

import resource
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
    wait, wall, cpu = waited(), time.perf_counter(), time.process_time()
    report = read(p["source"], dir=p["dir"], progress=False)
    wall, cpu = time.perf_counter() - wall, time.process_time() - cpu
    wait = waited() - wait
    runs = report.runs
    return {
        "wall_s": wall,
        "cpu_s": cpu,
        "wait_s": wait,  # ready but not running: other work on a shared machine
        "rows": sum(r.rows for r in runs),
        "status": [r.status for r in runs],
        "before_kb": before_kb,
        "peak_kb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss,
    }


CHILDREN = {"import_history": import_history}
