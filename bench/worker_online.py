"""The online and sync measurements, run inside ``worker.py`` under the tracker's own python.

Standard library, ``worker.py`` and the tracker only (this runs in every virtualenv).
"""

from __future__ import annotations

import dataclasses
import os
import time
from collections.abc import Callable
from typing import Any

import worker

Result = dict[str, Any]
MLFLOW_BATCH = 1000  # metrics per log-batch request, MLflow's limit


class OnlineNbtrack(worker.NbtrackAdapter):
    """nbtrack in online mode, against the server named by NBTRACK_BASE_URL / NBTRACK_API_KEY.

    With ``backlog`` > 0, ``init()`` (not timed by worker.measure_log) also logs that many steps
    and returns only once the uploader has had the first of them acknowledged, so that the
    timed ``log()`` batches run while the uploader thread is busy sending. Offline, the same
    steps are logged and the same pause is taken, without an uploader.
    """

    def __init__(self, module: Any, online: bool, backlog: int) -> None:
        super().__init__(module)
        self.online, self.backlog = online, backlog
        self.at_start: dict[str, Any] | None = None
        self.before_finish: dict[str, Any] | None = None
        self.after_finish: dict[str, Any] | None = None

    def init(self) -> Any:
        mode = "online" if self.online else "offline"
        run = self.mod.init(project=worker.PROJECT, config=worker.CONFIG, reinit=True, mode=mode)
        if self.backlog:
            for step in range(self.backlog):
                run.log(worker.metrics_for(step))
            started = time.monotonic()
            while self.online and not run.upload_status()["uploaded"]:
                if time.monotonic() - started > 60:
                    raise RuntimeError("the uploader sent nothing within 60 s")
                time.sleep(0.01)
            time.sleep(max(0.0, started + 0.5 - time.monotonic()))
        self.at_start = run.upload_status() | clocks()
        return run

    def finish(self, run: Any) -> None:
        self.before_finish = run.upload_status() | clocks()
        run.finish()
        self.after_finish = run.upload_status()


def clocks() -> dict[str, float]:
    """Wall time, process CPU and this (the main) thread's CPU, in seconds."""
    return {"wall": time.perf_counter(), "cpu": time.process_time(), "main": time.thread_time()}


class AsyncMlflow(worker.MlflowAdapter):
    """MLflow's asynchronous logging: ``log_metrics`` queues, ``end_run`` waits for the queue."""

    def log(self, run: Any, metrics: dict[str, float], step: int) -> None:
        self.mod.log_metrics(metrics, step=step, synchronous=False)


def online_log(nbtrack: Any, p: Result) -> Result:
    """``log()`` batches then ``finish()`` (worker.measure_log); nbtrack online or offline."""
    adapter = OnlineNbtrack(nbtrack, p["online"], p["backlog"])
    result: Result = worker.measure_log(adapter, p)
    result["at_start"] = adapter.at_start
    result["before_finish"] = adapter.before_finish
    result["after_finish"] = adapter.after_finish
    return result


def online_init(nbtrack: Any, p: Result) -> Result:
    return worker.measure_init(OnlineNbtrack(nbtrack, online=True, backlog=0), p)


def make_run(nbtrack: Any, p: Result) -> Result:
    """An offline run of ``steps`` x 10 keys in ./nbtrack, to be synced by the next process."""
    return worker.measure_log(worker.NbtrackAdapter(nbtrack), p)


class Stopwatch:
    """Seconds, calls and bytes per label, summed over the wrapped functions."""

    def __init__(self) -> None:
        self.seconds: dict[str, float] = {}
        self.calls: dict[str, int] = {}
        self.bytes: dict[str, int] = {}

    def add(self, label: str, seconds: float, size: int = 0) -> None:
        self.seconds[label] = self.seconds.get(label, 0.0) + seconds
        self.calls[label] = self.calls.get(label, 0) + 1
        self.bytes[label] = self.bytes.get(label, 0) + size

    def wrap(self, owner: Any, name: str, label: str) -> None:
        original = getattr(owner, name)

        def timed(*args: Any, **kwargs: Any) -> Any:
            t0 = time.perf_counter()
            try:
                return original(*args, **kwargs)
            finally:
                self.add(label, time.perf_counter() - t0)

        setattr(owner, name, timed)


def request_label(method: str, path: str) -> str:
    if path.endswith("/history"):
        return "POST /history"
    if "/files/" in path:
        return "PUT /files"
    if path.startswith("/runs/"):
        return f"{method} /runs (run fields, summary, state)"
    return f"{method} {path}"


def sync(nbtrack: Any, p: Result) -> Result:
    """``nbtrack.sync()`` of the runs under ``cwd``/nbtrack, timed piece by piece."""
    import resource

    from nbtrack.upload import transport, uploader

    watch = Stopwatch()
    call = transport.Transport.call

    def timed_call(self: Any, method: str, path: str, body: Any = None, **kw: Any) -> Any:
        t0 = time.perf_counter()
        try:
            return call(self, method, path, body, **kw)
        finally:
            size = len(body) if isinstance(body, bytes) else 0
            watch.add(request_label(method, path), time.perf_counter() - t0, size)

    transport.Transport.call = timed_call
    watch.wrap(uploader.Uploader, "_read_chunk", "read and parse the run log")
    watch.wrap(uploader.Uploader, "total_records", "count records for progress")
    watch.wrap(uploader.Progress, "save", "save upload.json")
    usage = resource.getrusage(resource.RUSAGE_SELF)
    t0 = time.perf_counter()
    report = nbtrack.sync([os.path.join(p["cwd"], "nbtrack")])
    wall = time.perf_counter() - t0
    after = resource.getrusage(resource.RUSAGE_SELF)
    runs = [dataclasses.asdict(r) for r in report.results]
    return {
        "sync_s": wall,
        "cpu_s": after.ru_utime + after.ru_stime - usage.ru_utime - usage.ru_stime,
        "seconds": watch.seconds,
        "calls": watch.calls,
        "bytes": watch.bytes,
        "runs": runs,
        "ok": report.ok and all(r["complete"] for r in runs),
    }


def mlflow_log(mlflow: Any, p: Result) -> Result:
    adapter = AsyncMlflow(mlflow) if p["asynchronous"] else worker.MlflowAdapter(mlflow)
    return worker.measure_log(adapter, p)


def mlflow_init(mlflow: Any, p: Result) -> Result:
    return worker.measure_init(worker.MlflowAdapter(mlflow), p)


def mlflow_upload(mlflow: Any, p: Result) -> Result:
    """``steps`` x 10 keys through ``MlflowClient.log_batch``, 1000 metrics a request.

    Each batch's ``Metric`` objects are built inside the timed loop, as an uploader reading
    stored values would; the loop stops early at ``budget`` seconds.
    """
    from mlflow.entities import Metric
    from mlflow.tracking import MlflowClient

    client = MlflowClient()
    experiment = client.create_experiment(f"upload-{os.getpid()}")
    run_id = client.create_run(experiment).info.run_id
    per_request = MLFLOW_BATCH // len(worker.KEYS)
    now = int(time.time() * 1000)
    steps = 0
    t0 = time.perf_counter()
    deadline = t0 + p["budget"]
    while steps < p["steps"] and time.perf_counter() < deadline:
        metrics = [
            Metric(key, value, now, step)
            for step in range(steps, steps + per_request)
            for key, value in worker.metrics_for(step).items()
        ]
        client.log_batch(run_id, metrics=metrics)
        steps += per_request
    upload_s = time.perf_counter() - t0
    client.set_terminated(run_id)
    return {"upload_s": upload_s, "steps": steps, "requests": steps // per_request}


CHILDREN: dict[str, Callable[[Any, Result], Result]] = {
    "online-log": online_log,
    "online-init": online_init,
    "make-run": make_run,
    "sync": sync,
    "mlflow-log": mlflow_log,
    "mlflow-init": mlflow_init,
    "mlflow-upload": mlflow_upload,
}
