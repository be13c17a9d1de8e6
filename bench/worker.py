"""One benchmark measurement for one tracker, run in a fresh process: the harness every
benchmark shares (``bench_core.py`` and, through ``worker_online.py``, the online figures).

Usage: ``python worker.py TRACKER MEASURE OUT_JSON [key=value ... | JSON]``

The worker runs under the tracker's own virtualenv, so it uses the standard library only.
It imports nothing beyond ``os``, ``sys`` and ``time`` before it has timed the tracker's
import, so that the import figure is not flattered by modules the worker loaded first.
"""

from __future__ import annotations

import os
import sys
import time

TYPE_CHECKING = False
if TYPE_CHECKING:  # typing is not imported at run time: see the module docstring
    from typing import Any

PROJECT = "bench"
CONFIG = {"lr": 0.001, "batch_size": 32, "optimizer": "adam"}
KEYS = tuple(f"metric_{j}" for j in range(10))


class Adapter:
    """The common face of a tracker: init / log / finish, plus per-process setup."""

    module_name = ""

    def __init__(self, module: Any) -> None:
        self.mod = module

    def setup(self) -> None:
        """Once per process, before the first init (not timed)."""

    def init(self) -> Any:
        raise NotImplementedError

    def log(self, run: Any, metrics: dict[str, float], step: int) -> None:
        run.log(metrics)

    def finish(self, run: Any) -> None:
        run.finish()

    def close(self) -> None:
        """Once per process, after the last finish (not timed)."""


class NbtrackAdapter(Adapter):
    module_name = "nbtrack"

    def init(self) -> Any:
        return self.mod.init(project=PROJECT, config=CONFIG, reinit=True, mode="offline")


class DurableNbtrackAdapter(NbtrackAdapter):
    """nbtrack with the run log fsynced after every record (what a SQLite commit at
    ``synchronous=FULL`` gives), instead of once a second: the durability-parity variant."""

    def log(self, run: Any, metrics: dict[str, float], step: int) -> None:
        run.log(metrics)
        os.fdatasync(run._writer.fd)


class WandbAdapter(Adapter):
    module_name = "wandb"

    def init(self) -> Any:
        return self.mod.init(
            project=PROJECT, config=CONFIG, reinit="finish_previous", mode="offline"
        )

    def close(self) -> None:
        self.mod.teardown()


class TrackioAdapter(Adapter):
    module_name = "trackio"

    def init(self) -> Any:
        return self.mod.init(project=PROJECT, config=CONFIG)

    def finish(self, run: Any) -> None:
        self.mod.finish()


class MlflowAdapter(Adapter):
    """MLflow has no reinit: a run is ``start_run`` ... ``end_run``; config becomes params."""

    module_name = "mlflow"

    def setup(self) -> None:
        self.mod.set_experiment(PROJECT)

    def init(self) -> Any:
        run = self.mod.start_run()
        self.mod.log_params(CONFIG)
        return run

    def log(self, run: Any, metrics: dict[str, float], step: int) -> None:
        self.mod.log_metrics(metrics, step=step)

    def finish(self, run: Any) -> None:
        self.mod.end_run()


ADAPTERS: dict[str, type[Adapter]] = {
    cls.module_name: cls for cls in (NbtrackAdapter, WandbAdapter, TrackioAdapter, MlflowAdapter)
}


def metrics_for(step: int) -> dict[str, float]:
    base = step * 0.001
    return {key: base + j for j, key in enumerate(KEYS)}


def measure_import(ad: Adapter, p: dict[str, float]) -> dict[str, Any]:
    return {}


def measure_init(ad: Adapter, p: dict[str, float]) -> dict[str, Any]:
    """``count`` inits in one process; only the init call is timed."""
    ad.setup()
    times: list[float] = []
    deadline = time.perf_counter() + p["budget"]
    for _ in range(int(p["count"])):
        t0 = time.perf_counter()
        run = ad.init()
        times.append(time.perf_counter() - t0)
        ad.finish(run)
        if time.perf_counter() > deadline:
            break
    ad.close()
    return {"init_s": times}


def timed_batch(ad: Adapter, run: Any, first_step: int, size: int) -> float:
    """Seconds per log call over one batch; the metric dicts are built before timing."""
    batch = [metrics_for(first_step + i) for i in range(size)]
    log = ad.log
    t0 = time.perf_counter()
    for i, metrics in enumerate(batch):
        log(run, metrics, first_step + i)
    return (time.perf_counter() - t0) / size


def measure_log(ad: Adapter, p: dict[str, float]) -> dict[str, Any]:
    """Batches of log calls (10 float keys), then the finish that follows them."""
    ad.setup()
    run = ad.init()
    size = int(p["batch"])
    per_call: list[float] = []
    deadline = time.perf_counter() + p["budget"]
    for b in range(int(p["batches"])):
        per_call.append(timed_batch(ad, run, b * size, size))
        if time.perf_counter() > deadline and b >= 2:
            break
    t0 = time.perf_counter()
    ad.finish(run)
    finish_s = time.perf_counter() - t0
    ad.close()
    return {"log_s": per_call, "steps": len(per_call) * size, "finish_s": finish_s}


def measure_first_logs(ad: Adapter, p: dict[str, float]) -> dict[str, Any]:
    """``init()`` and the ``steps`` log calls right after it, as a script starts (git capture
    included, in its background thread); the metric dicts are built before the clock starts."""
    ad.setup()
    batch = [metrics_for(i) for i in range(int(p["steps"]))]
    deadline = time.perf_counter() + p["budget"]
    t0 = time.perf_counter()
    run = ad.init()
    t1 = time.perf_counter()
    done = 0
    for done, metrics in enumerate(batch, 1):
        ad.log(run, metrics, done)
        if done % 50 == 0 and time.perf_counter() > deadline:
            break
    t2 = time.perf_counter()
    ad.finish(run)
    ad.close()
    return {"init_s": t1 - t0, "logs_s": t2 - t1, "steps": done}


def measure_start_logs(ad: Adapter, p: dict[str, float]) -> dict[str, Any]:
    """``init()``, then the module-level ``log()`` (``nbtrack.log``, ``trackio.log``) called
    ``steps`` times in batches of ``batch``, each batch timed: how the first calls after a fresh
    process's ``init()`` compare with the later ones (10 float keys, dicts built beforehand).
    CPU time (the process's and the main thread's, from just before ``init()``) is noted after
    each batch: the other threads' share is the background work competing for the GIL."""
    ad.setup()
    steps, size = int(p["steps"]), int(p["batch"])
    batch = [metrics_for(i) for i in range(steps)]
    clock, cpu, main_cpu = time.perf_counter, time.process_time, time.thread_time
    process0, main0 = cpu(), main_cpu()
    run = ad.init()
    log = ad.mod.log
    per_call: list[float] = []
    cpu_marks: list[tuple[float, float]] = []  # (process, main thread) CPU after each batch
    for first in range(0, steps, size):
        part = batch[first : first + size]
        t0 = clock()
        for metrics in part:
            log(metrics)
        per_call.append((clock() - t0) / len(part))
        cpu_marks.append((cpu() - process0, main_cpu() - main0))
    ad.finish(run)
    ad.close()
    return {"log_s": per_call, "batch": size, "cpu_marks": cpu_marks}


def measure_reinit(ad: Adapter, p: dict[str, float]) -> dict[str, Any]:
    """The reinit loop: ``runs`` x (init, 100 single-key logs, finish)."""
    ad.setup()
    per_run: list[float] = []
    deadline = time.perf_counter() + p["budget"]
    for x in range(int(p["runs"])):
        t0 = time.perf_counter()
        run = ad.init()
        for y in range(100):
            ad.log(run, {"metric": float(x + y)}, y)
        ad.finish(run)
        per_run.append(time.perf_counter() - t0)
        if time.perf_counter() > deadline and x >= 2:
            break
    ad.close()
    return {"run_s": per_run}


def status_kb(pid: int | str, field: str) -> int:
    """A ``kB`` field of ``/proc/PID/status`` (0 if the process is gone)."""
    try:
        with open(f"/proc/{pid}/status", encoding="ascii") as f:
            for line in f:
                if line.startswith(field + ":"):
                    return int(line.split()[1])
    except OSError:
        pass
    return 0


def descendants() -> list[int]:
    """Live descendant processes of this worker, e.g. a tracker's background service."""
    children: dict[int, list[int]] = {}
    for entry in filter(str.isdigit, os.listdir("/proc")):
        try:
            with open(f"/proc/{entry}/stat", encoding="ascii") as f:
                ppid = int(f.read().rsplit(")", 1)[1].split()[1])
        except (OSError, ValueError, IndexError):
            continue
        children.setdefault(ppid, []).append(int(entry))
    found, todo = [], [os.getpid()]
    while todo:
        kids = children.get(todo.pop(), [])
        found += kids
        todo += kids
    return found


def helper_peaks(peaks: dict[int, int]) -> dict[int, int]:
    """Fold the current peak RSS (VmHWM) of each live descendant into ``peaks``."""
    for pid in descendants():
        peaks[pid] = max(peaks.get(pid, 0), status_kb(pid, "VmHWM"))
    return peaks


def measure_rss(ad: Adapter, p: dict[str, float]) -> dict[str, Any]:
    """Log up to ``steps`` steps (or until ``budget`` s), finish, report peak RSS.

    ``helpers_kb`` sums the peak RSS of descendant processes still alive just before and just
    after ``finish()`` (``RUSAGE_CHILDREN`` would count the worker's own size at fork time).
    """
    import resource

    ad.setup()
    run = ad.init()
    after_init_kb = status_kb("self", "VmRSS")
    deadline = time.perf_counter() + p["budget"]
    steps = 0
    for steps in range(1, int(p["steps"]) + 1):
        ad.log(run, metrics_for(steps), steps)
        if steps % 1000 == 0 and time.perf_counter() > deadline:
            break
    peaks = helper_peaks({})
    ad.finish(run)
    helper_peaks(peaks)
    ad.close()
    return {
        "steps": steps,
        "after_init_kb": after_init_kb,
        "peak_kb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss,
        "helpers_kb": sum(peaks.values()),
    }


MEASURES = {
    "import": measure_import,
    "init": measure_init,
    "log": measure_log,
    "reinit": measure_reinit,
    "first_logs": measure_first_logs,
    "start_logs": measure_start_logs,
    "rss": measure_rss,
}


def parse_params(args: list[str]) -> dict[str, Any]:
    if args and args[0].startswith("{"):
        import json

        return dict(json.loads(args[0]))
    return {k: float(v) for k, v in (arg.split("=", 1) for arg in args)}


def main(argv: list[str]) -> None:
    tracker, measure, out_path = argv[:3]
    params = parse_params(argv[3:])
    t0 = time.perf_counter()
    module = __import__(tracker)
    import_s = time.perf_counter() - t0
    if measure in MEASURES:
        adapter = DurableNbtrackAdapter if params.get("fsync_each") else ADAPTERS[tracker]
        result = MEASURES[measure](adapter(module), params)
    else:  # the online, sync, media, importer and integration children
        import worker_importers
        import worker_integrations
        import worker_media
        import worker_online

        children = {**worker_online.CHILDREN, **worker_media.CHILDREN, **worker_importers.CHILDREN}
        children |= worker_integrations.CHILDREN
        result = children[measure](module, params)
    result["import_s"] = import_s
    result["tracker"] = tracker
    result["version"] = str(getattr(module, "__version__", "?"))
    result["module_file"] = str(getattr(module, "__file__", ""))
    import json

    with open(out_path, "w", encoding="utf-8") as f:
        json.dump(result, f)
    sys.stdout.flush()
    os._exit(0)  # skip interpreter teardown and atexit hooks: the figures are written


if __name__ == "__main__":
    main(sys.argv[1:])
