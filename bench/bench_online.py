"""Online and sync benchmark: nbtrack against a local ``nbtrack server``, peers where they exist.

Figures: ``log()`` online (background uploader running) vs offline, ``init()`` online,
``finish()`` online after 100k steps (the upload flush), and the upload of an offline run of
100k steps x 10 keys with ``nbtrack.sync()`` and with the ``nbtrack sync`` command, broken down
into client work and the server's answer time. Peers: trackio (local store) and an MLflow
tracking server on SQLite; wandb needs a wandb server for both online mode and ``wandb sync``.

Every figure comes from fresh processes (``bench_online.py child ...``, run with the tracker's
own python) in a throwaway git repository, like ``bench_core.py``, whose helpers and adapters
(``worker.py``) this script reuses. The table replaces the ``## Online and sync`` section of
``bench/RESULTS.md``.

Usage: ``.venv/bin/python bench/bench_online.py [--quick] [--no-write]``
"""

from __future__ import annotations

import argparse
import dataclasses
import datetime
import json
import os
import platform
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any

BENCH = Path(__file__).resolve().parent
ROOT = BENCH.parent
sys.path.insert(0, str(BENCH))

import bench_core  # noqa: E402  (standard library only, like worker.py)
import worker  # noqa: E402

SECTION = "## Online and sync"
RAW = BENCH / "out/online-results.json"
NBTRACK_PYTHON = ROOT / ".venv/bin/python"
NBTRACK_CLI = ROOT / ".venv/bin/nbtrack"
TRACKIO = next(t for t in bench_core.TRACKERS if t.name == "trackio")
MLFLOW_PYTHON = BENCH / "venvs/mlflow/bin/python"
MLFLOW_CLI = BENCH / "venvs/mlflow/bin/mlflow"
MLFLOW_BATCH = 1000  # metrics per log-batch request, MLflow's limit

Result = dict[str, Any]


# --- children: one measurement in a fresh process, under the tracker's own python -----------
# This part imports only the standard library, worker.py and the tracker, so that it runs in
# every virtualenv.


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
        self.at_start = run.upload_status() | self.clocks()
        return run

    @staticmethod
    def clocks() -> dict[str, float]:
        """Wall time, process CPU and this (the main) thread's CPU, in seconds."""
        return {"wall": time.perf_counter(), "cpu": time.process_time(), "main": time.thread_time()}

    def finish(self, run: Any) -> None:
        self.before_finish = run.upload_status() | self.clocks()
        run.finish()
        self.after_finish = run.upload_status()


class AsyncMlflow(worker.MlflowAdapter):
    """MLflow's asynchronous logging: ``log_metrics`` queues, ``end_run`` waits for the queue."""

    def log(self, run: Any, metrics: dict[str, float], step: int) -> None:
        self.mod.log_metrics(metrics, step=step, synchronous=False)


def child_log(p: Result) -> Result:
    """``log()`` batches then ``finish()`` (worker.measure_log); nbtrack online or offline."""
    import nbtrack

    adapter = OnlineNbtrack(nbtrack, p["online"], p["backlog"])
    result: Result = worker.measure_log(adapter, p)
    result["at_start"] = adapter.at_start
    result["before_finish"] = adapter.before_finish
    result["after_finish"] = adapter.after_finish
    return result


def child_init(p: Result) -> Result:
    import nbtrack

    return worker.measure_init(OnlineNbtrack(nbtrack, online=True, backlog=0), p)


def child_make_run(p: Result) -> Result:
    """An offline run of ``steps`` x 10 keys in ./nbtrack, to be synced by the next process."""
    import nbtrack

    return worker.measure_log(worker.NbtrackAdapter(nbtrack), p)


class Stopwatch:
    """Seconds and calls per label, summed over the wrapped functions."""

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


def child_sync(p: Result) -> Result:
    """``nbtrack.sync()`` of the runs under ./nbtrack, timed piece by piece."""
    import resource

    import nbtrack
    from nbtrack import transport, uploader

    watch = Stopwatch()
    call = transport.Transport.call

    def timed_call(self: Any, method: str, path: str, body: Any = None, **kw: Any) -> Any:
        t0 = time.perf_counter()
        try:
            return call(self, method, path, body, **kw)
        finally:
            size = len(body) if isinstance(body, bytes) else 0
            watch.add(request_label(method, path), time.perf_counter() - t0, size)

    transport.Transport.call = timed_call  # type: ignore[method-assign]
    watch.wrap(uploader.Uploader, "_read_chunk", "read and parse the run log")
    watch.wrap(uploader.Uploader, "total_records", "count records for progress")
    watch.wrap(uploader.Progress, "save", "save upload.json")
    usage = resource.getrusage(resource.RUSAGE_SELF)
    t0 = time.perf_counter()
    report = nbtrack.sync(["nbtrack"])
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


def child_mlflow_log(p: Result) -> Result:
    import mlflow

    adapter = AsyncMlflow(mlflow) if p["asynchronous"] else worker.MlflowAdapter(mlflow)
    return worker.measure_log(adapter, p)


def child_mlflow_init(p: Result) -> Result:
    import mlflow

    return worker.measure_init(worker.MlflowAdapter(mlflow), p)


def child_mlflow_upload(p: Result) -> Result:
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


CHILDREN: dict[str, Callable[[Result], Result]] = {
    "log": child_log,
    "init": child_init,
    "make-run": child_make_run,
    "sync": child_sync,
    "mlflow-log": child_mlflow_log,
    "mlflow-init": child_mlflow_init,
    "mlflow-upload": child_mlflow_upload,
}


def child_main(argv: list[str]) -> None:
    name, out_path, params = argv[0], argv[1], json.loads(argv[2])
    result = CHILDREN[name](params)
    for module in ("nbtrack", "mlflow"):
        if module in sys.modules:
            result["version"] = str(getattr(sys.modules[module], "__version__", "?"))
    Path(out_path).write_text(json.dumps(result), encoding="utf-8")
    sys.stdout.flush()
    os._exit(0)  # skip interpreter teardown: the figures are written


# --- the parent: servers, scratch repositories, fresh processes --------------------------------


class ChildError(RuntimeError):
    pass


def note(message: str) -> None:
    bench_core.note(message)


def load() -> float:
    return os.getloadavg()[0]


@dataclasses.dataclass
class Scratch:
    """One temporary folder for the whole run; each measurement gets its own repo and home."""

    root: Path
    count: int = 0

    def place(self, label: str) -> tuple[Path, Path]:
        self.count += 1
        base = self.root / f"{self.count:03d}-{label}"
        base.mkdir()
        (base / "home").mkdir()
        return bench_core.make_repo(base / "repo"), base / "home"


def run_child(
    python: Path, name: str, params: Result, env: dict[str, str], repo: Path, home: Path
) -> Result:
    """One fresh ``bench_online.py child`` process; its JSON result, with the load after it."""
    out = home.parent / f"{name}-result.json"
    args = [str(python), str(Path(__file__).resolve()), "child", name, str(out)]
    args.append(json.dumps(params))
    full_env = bench_core.worker_env(home) | env
    try:
        proc = subprocess.run(
            args, cwd=repo, env=full_env, capture_output=True, text=True, timeout=600
        )
    except subprocess.TimeoutExpired as exc:
        raise ChildError(f"{name}: timed out") from exc
    if proc.returncode != 0 or not out.exists():
        tail = (proc.stderr.strip() or proc.stdout.strip() or "no output").splitlines()[-1]
        raise ChildError(f"{name}: exit {proc.returncode}: {tail[:300]}")
    result: Result = json.loads(out.read_text(encoding="utf-8"))
    out.unlink()
    result["load"] = load()
    return result


@dataclasses.dataclass
class NbServer:
    url: str
    key: str
    pid: int

    def env(self, home: Path, mode: str) -> dict[str, str]:
        return {
            "NBTRACK_MODE": mode,
            "NBTRACK_BASE_URL": self.url,
            "NBTRACK_API_KEY": self.key,
            "NBTRACK_CONFIG_DIR": str(home / "nbtrack-config"),
            "NBTRACK_SILENT": "1",
            "NBTRACK_FINISH_TIMEOUT": "300",
        }


@contextmanager
def nbtrack_server(scratch: Scratch) -> Iterator[NbServer]:
    """A fresh ``nbtrack server`` (tests/liveserver.py's LiveServer) on an empty data dir."""
    sys.path.insert(0, str(ROOT))
    from tests.liveserver import LiveServer

    scratch.count += 1
    data = scratch.root / f"{scratch.count:03d}-server" / "data"
    data.mkdir(parents=True)
    server = LiveServer(data).start()
    try:
        assert server.process is not None
        yield NbServer(server.url, server.admin_key, server.process.pid)
    finally:
        server.stop()


def cpu_seconds(pid: int) -> float:
    """User + system CPU time of a live process, from /proc."""
    with open(f"/proc/{pid}/stat", encoding="ascii") as f:
        fields = f.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


@contextmanager
def mlflow_server(scratch: Scratch) -> Iterator[str]:
    """``mlflow server`` with a SQLite backend on a free loopback port; yields its URL."""
    sys.path.insert(0, str(ROOT))
    import requests

    from tests.liveserver import free_port, wait_for

    scratch.count += 1
    data = scratch.root / f"{scratch.count:03d}-mlflow"
    data.mkdir()
    port = free_port()
    args = [str(MLFLOW_CLI), "server", "--backend-store-uri", f"sqlite:///{data}/mlflow.db"]
    args += ["--default-artifact-root", str(data / "artifacts"), "--host", "127.0.0.1"]
    args += ["--port", str(port), "--workers", "1"]
    log = open(data / "server.log", "wb")  # noqa: SIM115
    env = bench_core.worker_env(data)
    process = subprocess.Popen(
        args, cwd=data, stdout=log, stderr=subprocess.STDOUT, env=env, start_new_session=True
    )
    log.close()
    url = f"http://127.0.0.1:{port}"

    def healthy() -> bool:
        if process.poll() is not None:
            raise ChildError(f"mlflow server exited with {process.returncode}")
        try:
            return requests.get(f"{url}/health", timeout=1).ok
        except requests.RequestException:
            return False

    try:
        wait_for(healthy, 180, "the mlflow server")
        yield url
    finally:
        if process.poll() is None:
            os.killpg(process.pid, 15)
            try:
                process.wait(30)
            except subprocess.TimeoutExpired:
                os.killpg(process.pid, 9)
                process.wait()


# --- the measurements ------------------------------------------------------------------------


@dataclasses.dataclass(frozen=True)
class Plan:
    log_repeats: int = 4  # fresh processes per mode, offline and online alternating
    log_batches: int = 20
    log_batch: int = 5000
    log_backlog: int = 100_000  # steps logged before the timed batches, for the busy uploader
    inits: int = 30
    sync_steps: int = 100_000
    sync_repeats: int = 3
    trackio_inits: int = 20
    trackio_batches: int = 20
    mlflow_inits: int = 20
    mlflow_log_batches: int = 4
    mlflow_log_batch: int = 50
    mlflow_async_batches: int = 2
    mlflow_async_batch: int = 1000
    mlflow_upload_steps: int = 100_000
    mlflow_upload_budget: float = 60.0

    def quick(self) -> Plan:
        return Plan(
            log_repeats=1,
            log_batches=5,
            log_batch=4000,
            log_backlog=20_000,
            inits=5,
            sync_steps=20_000,
            sync_repeats=1,
            trackio_inits=5,
            trackio_batches=4,
            mlflow_inits=5,
            mlflow_log_batches=2,
            mlflow_log_batch=50,
            mlflow_async_batches=2,
            mlflow_async_batch=500,
            mlflow_upload_steps=5000,
            mlflow_upload_budget=15.0,
        )


Data = dict[str, Any]


def attempt(data: Data, key: str, measure: Callable[[], Any]) -> None:
    """Run one measurement; a failure is noted in the results instead of stopping the run."""
    t0 = time.perf_counter()
    try:
        data[key] = measure()
        note(f"{key}: {time.perf_counter() - t0:.1f} s (load {load():.2f})")
    except (ChildError, subprocess.CalledProcessError, OSError, AssertionError) as exc:
        data[key] = f"error: {exc}"
        note(f"{key}: FAILED {exc}")


def bench_nbtrack_online(plan: Plan, scratch: Scratch, data: Data) -> None:
    """log() offline vs online (alternating fresh processes), finish() online, init() online."""
    with nbtrack_server(scratch) as server:
        params = {"batches": plan.log_batches, "batch": plan.log_batch, "budget": 120.0}

        def logs(backlog: int) -> Callable[[], dict[str, list[Result]]]:
            def run() -> dict[str, list[Result]]:
                offline: list[Result] = []
                online: list[Result] = []
                for _ in range(plan.log_repeats):
                    for mode, into in (("offline", offline), ("online", online)):
                        repo, home = scratch.place(f"log-{mode}")
                        p = params | {"online": mode == "online", "backlog": backlog}
                        env = server.env(home, mode)
                        into.append(run_child(NBTRACK_PYTHON, "log", p, env, repo, home))
                return {"offline": offline, "online": online, "backlog": backlog}

            return run

        attempt(data, "nbtrack_log", logs(0))
        attempt(data, "nbtrack_log_busy", logs(plan.log_backlog))

        def inits() -> Result:
            repo, home = scratch.place("init-online")
            env = server.env(home, "online")
            p = {"count": plan.inits, "budget": 120.0}
            return run_child(NBTRACK_PYTHON, "init", p, env, repo, home)

        attempt(data, "nbtrack_init", inits)


def bench_nbtrack_sync(plan: Plan, scratch: Scratch, data: Data) -> None:
    """Offline runs of ``sync_steps`` x 10 keys, uploaded by nbtrack.sync() and by the CLI."""
    batch = min(5000, plan.sync_steps)
    make = {"batches": plan.sync_steps // batch, "batch": batch, "budget": 1e9}
    with nbtrack_server(scratch) as server:

        def offline_run(label: str) -> tuple[Path, Path]:
            repo, home = scratch.place(label)
            run_child(NBTRACK_PYTHON, "make-run", make, server.env(home, "offline"), repo, home)
            return repo, home

        def api() -> list[Result]:
            results = []
            for _ in range(plan.sync_repeats):
                repo, home = offline_run("sync-api")
                env = server.env(home, "offline")
                cpu0 = cpu_seconds(server.pid)
                result = run_child(NBTRACK_PYTHON, "sync", {}, env, repo, home)
                result["server_cpu_s"] = cpu_seconds(server.pid) - cpu0
                if not result["ok"]:
                    raise ChildError(f"sync incomplete: {result['runs']}")
                results.append(result)
                shutil.rmtree(repo.parent)
            return results

        def cli() -> list[Result]:
            results = []
            for _ in range(plan.sync_repeats):
                repo, home = offline_run("sync-cli")
                env = bench_core.worker_env(home) | server.env(home, "offline")
                cpu0 = cpu_seconds(server.pid)
                t0 = time.perf_counter()
                proc = subprocess.run(
                    [str(NBTRACK_CLI), "sync"], cwd=repo, env=env, capture_output=True, text=True
                )
                wall = time.perf_counter() - t0
                server_cpu = cpu_seconds(server.pid) - cpu0
                summary = proc.stdout.strip().splitlines()[-1] if proc.stdout.strip() else ""
                if proc.returncode != 0 or not summary.startswith("1 runs synced"):
                    raise ChildError(f"nbtrack sync: exit {proc.returncode}: {summary}")
                results.append(
                    {"wall_s": wall, "server_cpu_s": server_cpu, "out": summary, "load": load()}
                )
                shutil.rmtree(repo.parent)
            return results

        attempt(data, "nbtrack_sync_api", api)
        attempt(data, "nbtrack_sync_cli", cli)


def bench_trackio(plan: Plan, data: Data) -> None:
    """trackio's own worker adapter (bench_core.run_worker): init and log to its local store."""
    if not TRACKIO.python.exists():
        data["trackio_init"] = data["trackio_log"] = "error: bench/venvs/trackio missing"
        return

    def measure(name: str, params: dict[str, float]) -> Callable[[], Result]:
        def run() -> Result:
            result = bench_core.run_worker(TRACKIO, name, params, timeout=600)
            return result | {"load": load()}

        return run

    init = {"count": plan.trackio_inits, "budget": 60.0}
    log = {"batches": plan.trackio_batches, "batch": plan.log_batch, "budget": 120.0}
    try:
        bench_core.run_worker(TRACKIO, "import", {}, timeout=300)  # warms its bytecode
    except bench_core.WorkerError as exc:
        data["trackio_init"] = data["trackio_log"] = f"error: {exc}"
        return
    attempt(data, "trackio_init", measure("init", init))
    attempt(data, "trackio_log", measure("log", log))


def bench_mlflow(plan: Plan, scratch: Scratch, data: Data) -> None:
    """An MLflow tracking server (SQLite): start_run, log_metrics per step, log_batch upload."""
    if not MLFLOW_PYTHON.exists():
        for key in ("mlflow_init", "mlflow_log", "mlflow_async", "mlflow_upload"):
            data[key] = "error: bench/venvs/mlflow missing"
        return
    with mlflow_server(scratch) as url:

        def child(name: str, params: Result) -> Callable[[], Result]:
            def run() -> Result:
                repo, home = scratch.place(name)
                env = {"MLFLOW_TRACKING_URI": url}
                return run_child(MLFLOW_PYTHON, name, params, env, repo, home)

            return run

        attempt(
            data, "mlflow_init", child("mlflow-init", {"count": plan.mlflow_inits, "budget": 60})
        )
        log = {"batches": plan.mlflow_log_batches, "batch": plan.mlflow_log_batch, "budget": 60}
        attempt(data, "mlflow_log", child("mlflow-log", log | {"asynchronous": False}))
        log = {"batches": plan.mlflow_async_batches, "batch": plan.mlflow_async_batch}
        log |= {"budget": 60, "asynchronous": True}
        attempt(data, "mlflow_async", child("mlflow-log", log))
        upload = {"steps": plan.mlflow_upload_steps, "budget": plan.mlflow_upload_budget}
        attempt(data, "mlflow_upload", child("mlflow-upload", upload))


# --- report --------------------------------------------------------------------------------


@dataclasses.dataclass(frozen=True)
class Line:
    """One row of the table."""

    figure: str
    who: str
    value: str
    work: str
    load: str
    verdict: str = ""


def fmt(value: float) -> str:
    return bench_core.fmt(value)


def failed(item: Any) -> str | None:
    return item if isinstance(item, str) else None


def loads(results: Sequence[Result]) -> str:
    values = sorted({round(r["load"], 2) for r in results})
    return f"{values[0]:.2f}" if len(values) == 1 else f"{values[0]:.2f}-{values[-1]:.2f}"


def log_figures(results: Sequence[Result]) -> tuple[float, float]:
    """(median over batches, mean over all calls) in µs per call."""
    batches = [b for r in results for b in r["log_s"]]
    return statistics.median(batches) * 1e6, statistics.fmean(batches) * 1e6


def log_work(results: Sequence[Result]) -> str:
    steps = results[0]["steps"]
    batch = steps // len(results[0]["log_s"])
    runs = f"{len(results)} processes x " if len(results) > 1 else ""
    return f"{runs}{bench_core.k(steps)} calls, median of batches of {bench_core.k(batch)}"


def ratio_text(ours: float, peer: float, label: str) -> str:
    return f"{label} {ours / peer:.2g}" if peer else "-"


def target_text(value: float, limit: float, label: str) -> str:
    return f"{label}: {'pass' if value <= limit else 'FAIL'}"


def error_line(figure: str, who: str, message: str) -> Line:
    if message == "None":
        return Line(figure, who, "not run", "left out with --only", "-")
    return Line(figure, who, "error", message[:200], "-")


def init_lines(data: Data) -> list[Line]:
    fig = "`init()` online"
    out: list[Line] = []
    ours = data.get("nbtrack_init")
    nb = None
    if failed(ours) or ours is None:
        out.append(error_line(fig, "nbtrack, local server", str(ours)))
    else:
        nb = statistics.median(ours["init_s"]) * 1e3
        work = (
            f"median of {len(ours['init_s'])} in one process; 1st: {ours['init_s'][0] * 1e3:.3g} ms"
        )
        out.append(
            Line(
                fig,
                "nbtrack, local server",
                f"{fmt(nb)} ms",
                work,
                loads([ours]),
                target_text(nb, 30, "target ≤ 30 ms"),
            )
        )
    for key, who in (
        ("trackio_init", "trackio, local store"),
        ("mlflow_init", "mlflow, tracking server (start_run + log_params)"),
    ):
        peer = data.get(key)
        if failed(peer) or peer is None:
            out.append(error_line(fig, who, str(peer)))
            continue
        value = statistics.median(peer["init_s"]) * 1e3
        work = f"median of {len(peer['init_s'])} in one process"
        verdict = ratio_text(nb, value, "nbtrack/peer") if nb is not None else ""
        out.append(Line(fig, who, f"{fmt(value)} ms", work, loads([peer]), verdict))
    out.append(Line(fig, "wandb", "n/a", "online mode needs a wandb server; none here", "-"))
    return out


def uploaded(results: Sequence[Result], when: str) -> float:
    return statistics.median(r[when]["uploaded"] for r in results)


def background_cpu(results: Sequence[Result]) -> tuple[float, float]:
    """(wall s, CPU s of the threads other than the main one) between init() and finish()."""
    walls, threads = [], []
    for r in results:
        a, b = r["at_start"], r["before_finish"]
        walls.append(b["wall"] - a["wall"])
        threads.append((b["cpu"] - a["cpu"]) - (b["main"] - a["main"]))
    return statistics.median(walls), statistics.median(threads)


def log_reading(data: Data) -> list[str]:
    """What the per-batch times of nbtrack's ``log()`` say about the online slowdown."""
    groups: dict[str, list[float]] = {}
    for key, label in (("nbtrack_log", "right after `init()`"), ("nbtrack_log_busy", "backlog")):
        logs = data.get(key)
        if failed(logs) or logs is None:
            return []
        for mode in ("offline", "online"):
            groups[f"{mode}, {label}"] = [b * 1e6 for r in logs[mode] for b in r["log_s"]]
    fastest = min(min(v) for v in groups.values())
    slow = [b for v in groups.values() for b in v if b > 1.5 * fastest]
    shares = ", ".join(
        f"{name} {sum(b > 1.5 * fastest for b in v) / len(v):.0%}" for name, v in groups.items()
    )
    wall, threads = background_cpu(data["nbtrack_log_busy"]["online"])
    text = (
        f"Reading the nbtrack `log()` rows: the fastest batch ran at {fastest:.3g} µs per call; "
        f"batches more than 1.5 x slower (median {statistics.median(slow) if slow else 0:.3g} "
        f"µs) make up: {shares}. The `log()` path is the same in both modes, and the "
        f"uploader and the run's other background threads used {threads:.2g} s of CPU in the "
        f"{wall:.2g} s of timed logging ({threads / wall:.0%}), so where online logging is "
        "slower (more slow batches, which show in the mean) it is not the uploader's share of "
        "the GIL; most likely it is the local server, which parses and "
        "stores each upload request while the logging process runs, competing for the two "
        "cores (as do the other jobs on the machine)."
    )
    return ["", text]


def log_lines(data: Data) -> list[Line]:
    fig = "`log()` per call, 10 float keys"
    out: list[Line] = []
    online_median = None
    for key in ("nbtrack_log", "nbtrack_log_busy"):
        logs = data.get(key)
        if failed(logs) or logs is None:
            out.append(error_line(fig, "nbtrack", str(logs)))
            continue
        off, on = logs["offline"], logs["online"]
        off_med, off_mean = log_figures(off)
        on_med, on_mean = log_figures(on)
        online_median = on_med
        ratio = on_med / off_med
        target = target_text(ratio, 1.2, f"online/offline {ratio:.2f}, target ≤ 1.2")
        if key == "nbtrack_log":
            during = (
                f"; the server held {bench_core.k(uploaded(on, 'before_finish'))} records when "
                "the calls ended"
            )
            out += [
                Line(
                    fig,
                    "nbtrack offline",
                    f"{fmt(off_med)} µs",
                    log_work(off),
                    loads(off),
                    f"mean over all calls {fmt(off_mean)} µs",
                ),
                Line(
                    fig,
                    "nbtrack online, right after `init()`",
                    f"{fmt(on_med)} µs",
                    log_work(on) + during,
                    loads(on),
                    target,
                ),
            ]
            continue
        backlog = bench_core.k(logs["backlog"])
        sent = uploaded(on, "before_finish") - uploaded(on, "at_start")
        wall, threads = background_cpu(on)
        during = (
            f"; meanwhile the uploader had {bench_core.k(sent)} records acknowledged and the "
            f"background threads used {threads:.2g} s of CPU in {wall:.2g} s (medians)"
        )
        mean_ratio = on_mean / off_mean
        out += [
            Line(
                fig,
                f"nbtrack offline, after {backlog} steps",
                f"{fmt(off_med)} µs",
                log_work(off),
                loads(off),
                f"mean over all calls {fmt(off_mean)} µs",
            ),
            Line(
                fig,
                f"nbtrack online, while the uploader sends a {backlog}-step backlog",
                f"{fmt(on_med)} µs",
                log_work(on) + during,
                loads(on),
                target,
            ),
            Line(
                fig,
                "the same, mean over all calls",
                f"{fmt(on_mean)} µs",
                "every batch, slow ones included",
                loads(on),
                target_text(mean_ratio, 1.2, f"online/offline {mean_ratio:.2f}, target ≤ 1.2"),
            ),
        ]
    for key, who in (
        ("trackio_log", "trackio, local store"),
        ("mlflow_log", "mlflow `log_metrics`, synchronous, to the server"),
        ("mlflow_async", "mlflow `log_metrics(synchronous=False)`, to the server"),
    ):
        peer = data.get(key)
        if failed(peer) or peer is None:
            out.append(error_line(fig, who, str(peer)))
            continue
        med, _ = log_figures([peer])
        verdict = ratio_text(online_median, med, "nbtrack online/peer") if online_median else ""
        out.append(Line(fig, who, f"{fmt(med)} µs", log_work([peer]), loads([peer]), verdict))
    out.append(Line(fig, "wandb", "n/a", "online mode needs a wandb server; none here", "-"))
    return out


def finish_lines(data: Data) -> list[Line]:
    fig = "`finish()` after logging"
    out: list[Line] = []
    logs = data.get("nbtrack_log")
    nb = None
    if not failed(logs) and logs is not None:
        online = logs["online"]
        nb = statistics.median(r["finish_s"] for r in online) * 1e3
        before = statistics.median(r["before_finish"]["uploaded"] for r in online)
        left = max(r["after_finish"]["total"] - r["after_finish"]["uploaded"] for r in online)
        steps = bench_core.k(online[0]["steps"])
        work = (
            f"after {steps} steps, median of {len(online)}; the server held "
            f"{bench_core.k(before)} records when finish() began, "
            f"{'all' if left == 0 else f'all but {left}'} when it returned"
        )
        out.append(
            Line(fig, "nbtrack online (flushes the upload)", f"{fmt(nb)} ms", work, loads(online))
        )
        off = statistics.median(r["finish_s"] for r in logs["offline"]) * 1e3
        out.append(
            Line(
                fig,
                "nbtrack offline",
                f"{fmt(off)} ms",
                f"after {steps} steps, median of {len(logs['offline'])}",
                loads(logs["offline"]),
            )
        )
    else:
        out.append(error_line(fig, "nbtrack", str(logs)))
    for key, who in (
        ("trackio_log", "trackio, local store"),
        ("mlflow_async", "mlflow `end_run` after asynchronous logging (waits for its queue)"),
    ):
        peer = data.get(key)
        if failed(peer) or peer is None:
            out.append(error_line(fig, who, str(peer)))
            continue
        value = peer["finish_s"] * 1e3
        verdict = ratio_text(nb, value, "nbtrack online/peer") if nb is not None else ""
        work = f"after {bench_core.k(peer['steps'])} steps"
        out.append(Line(fig, who, f"{fmt(value)} ms", work, loads([peer]), verdict))
    out.append(Line(fig, "wandb", "n/a", "online mode needs a wandb server; none here", "-"))
    return out


def sync_lines(data: Data, plan: Plan) -> list[Line]:
    steps = bench_core.k(plan.sync_steps)
    fig = f"upload an offline run of {steps} steps x 10 keys"
    out: list[Line] = []
    api, cli = data.get("nbtrack_sync_api"), data.get("nbtrack_sync_cli")
    nb = None
    if failed(api) or api is None:
        out.append(error_line(fig, "`nbtrack.sync()`", str(api)))
    else:
        nb = statistics.median(r["sync_s"] for r in api)
        out.append(
            Line(
                fig,
                "`nbtrack.sync()`, local server",
                f"{nb:.3g} s",
                f"median of {len(api)} fresh processes (the call only)",
                loads(api),
                target_text(nb, 3, "target ≤ 3 s"),
            )
        )
    if failed(cli) or cli is None:
        out.append(error_line(fig, "`nbtrack sync`", str(cli)))
    else:
        wall = statistics.median(r["wall_s"] for r in cli)
        out.append(
            Line(
                fig,
                "`nbtrack sync` command, local server",
                f"{wall:.3g} s",
                f"median of {len(cli)}, process start to exit",
                loads(cli),
                target_text(wall, 3, "target ≤ 3 s"),
            )
        )
    up = data.get("mlflow_upload")
    if failed(up) or up is None:
        out.append(error_line(fig, "mlflow", str(up)))
    else:
        per_100k = up["upload_s"] / up["steps"] * plan.sync_steps
        work = (
            f"{bench_core.k(up['steps'])} steps in {up['upload_s']:.3g} s "
            f"({up['requests']} requests of 1000 metrics)"
        )
        if up["steps"] < plan.sync_steps:
            work += f", scaled to {steps} steps"
        verdict = ratio_text(nb, per_100k, "nbtrack.sync()/peer") if nb is not None else ""
        out.append(
            Line(
                fig,
                "mlflow `MlflowClient.log_batch` to the server",
                f"{per_100k:.3g} s",
                work,
                loads([up]),
                verdict,
            )
        )
    out.append(Line(fig, "wandb `wandb sync`", "n/a", "needs a wandb server; none here", "-"))
    out.append(Line(fig, "trackio", "n/a", "its sync goes to a Hugging Face Space", "-"))
    return out


def breakdown(data: Data) -> list[str]:
    """Where the time of the median ``nbtrack.sync()`` goes."""
    api = data.get("nbtrack_sync_api")
    if failed(api) or not api:
        return []
    runs = sorted(api, key=lambda r: r["sync_s"])
    run = runs[len(runs) // 2]
    wall = run["sync_s"]
    lines = [
        f"Where the time of `nbtrack.sync()` goes (its median run, {wall:.3g} s, load "
        f"{run['load']:.2f}):",
        "",
        "| part | time | share | calls | sent |",
        "|---|---|---|---|---|",
    ]
    parts = sorted(run["seconds"].items(), key=lambda kv: -kv[1])
    for label, seconds in parts:
        mb = run["bytes"].get(label, 0) / 1e6
        sent = f"{mb:.3g} MB" if mb else ""
        what = (
            label
            if not label.startswith(("POST", "PUT", "GET"))
            else (f"{label} (request to answer: server work + HTTP)")
        )
        lines.append(
            f"| {what} | {seconds * 1e3:.0f} ms | {seconds / wall:.0%} | "
            f"{run['calls'][label]} | {sent} |"
        )
    rest = wall - sum(run["seconds"].values())
    lines.append(
        f"| other client work (finding the run, locks, building bodies) | "
        f"{rest * 1e3:.0f} ms | {rest / wall:.0%} | | |"
    )
    requests_s = sum(
        s for label, s in run["seconds"].items() if label[:4] in ("POST", "PUT ", "GET ")
    )
    busy = run["cpu_s"] + run["server_cpu_s"]
    lines += [
        "",
        f"CPU during that sync: client process {run['cpu_s']:.3g} s, server process "
        f"{run['server_cpu_s']:.3g} s (read from /proc). Requests took {requests_s:.3g} s of the "
        f"wall time and client work {wall - requests_s:.3g} s; the client waits for each answer "
        "before it reads the next chunk, so the two never overlap. The CPU the two processes "
        f"needed, {busy:.3g} s, is roughly what the sync would take on an idle machine; the "
        f"rest of the {wall:.3g} s was spent waiting for a core on the loaded machine.",
    ]
    cli = data.get("nbtrack_sync_cli")
    if not failed(cli) and cli:
        api_s = sorted(r["sync_s"] for r in api)
        cli_s = sorted(r["wall_s"] for r in cli)
        cpu = statistics.median(r["server_cpu_s"] for r in cli)
        lines.append(
            "The command does the same work plus the interpreter start, the imports and the "
            f"printing; its runs took {', '.join(f'{x:.3g}' for x in cli_s)} s against "
            f"{', '.join(f'{x:.3g}' for x in api_s)} s for the call, {spread(api_s, cli_s)}. "
            f"Server CPU during a command run: {cpu:.3g} s (median)."
        )
    return lines


def spread(call: Sequence[float], command: Sequence[float]) -> str:
    """How the command's times relate to the call's."""
    if min(command) <= max(call) and min(call) <= max(command):
        return "so the difference is within the run-to-run spread here"
    extra = statistics.median(command) - statistics.median(call)
    return f"so the command costs {extra:.3g} s more (median against median)"


def header(data: Data) -> list[str]:
    kind = "quick smoke run, not representative" if data["quick"] else "full run"
    peers = ", ".join(f"{name} {v}" for name, v in data["versions"].items() if v)
    start_load = data["start_load"]
    return [
        SECTION,
        "",
        f"Measured {data['measured']} ({kind}, {data['elapsed'] / 60:.1f} min) by "
        f"`bench/bench_online.py` at commit {data['commit']}.",
        f"Machine: {data['machine']}; {peers}. 1-minute load "
        f"average {start_load:.2f} at start; the load column gives it right after each figure "
        "(other engineers' tests ran on the machine at the same time, which inflates timings).",
        "",
    ]


def table(lines: Sequence[Line]) -> list[str]:
    out = [
        "| figure | tracker, how | value | work behind it | load | target / comparison |",
        "|---|---|---|---|---|---|",
    ]
    last = ""
    for line in lines:
        figure = line.figure if line.figure != last else ""
        last = line.figure
        out.append(
            f"| {figure} | {line.who} | {line.value} | {line.work} | {line.load} | {line.verdict} |"
        )
    return out


def notes(plan: Plan) -> list[str]:
    return [
        "",
        "How: every figure comes from fresh processes, each in a new git repository with one "
        "commit and its own HOME and NBTRACK_CONFIG_DIR, using `worker.py`'s adapters and "
        "measurements (`log()` times only the calls, the metric dicts are built beforehand; "
        "`init()` only the init call). nbtrack talks to a `nbtrack server` on 127.0.0.1 "
        "(SQLite; a fresh one for the logging figures and another for the sync figures); "
        "offline and online `log()` processes alternate so that both see the same load. "
        f"NBTRACK_FINISH_TIMEOUT is raised to 300 s so that `finish()` always waits for the whole "
        "upload. `log()` is measured twice: right after `init()` (the uploader thread wakes "
        "every 0.5 s, so a tight loop of 100k calls is mostly over before it has sent much; "
        "`finish()` then uploads nearly everything), and after a backlog of steps logged in "
        "the untimed `init()` phase, with the timing started only once the server had "
        "acknowledged the first records, so that the uploader sends for the whole timed loop "
        "(the offline processes log the same backlog and take the same pause). "
        "The median over batches is the headline; the mean over all calls also counts the "
        "slow batches. The `log()` path itself is the same online "
        "and offline (one buffered write); online, the local server's ingest work (see the "
        "server CPU in the sync breakdown) runs on the same two cores as the logging process. "
        "The offline runs for sync are written by a separate process first; "
        "`nbtrack.sync()` is timed around the call in a fresh process, with the client's "
        "functions wrapped by timers (request time = from sending to the decoded answer, i.e. "
        "the server's work plus HTTP on loopback); server CPU is read from /proc. "
        "The MLflow server runs `mlflow server --backend-store-uri sqlite:///... --workers 1`; "
        f"its upload sends 100 steps x 10 keys per `log_batch` (1000 metrics, its limit) and "
        f"stops after {plan.mlflow_upload_budget:.0f} s, the figure then being scaled to the "
        "full step count. trackio logs to its local SQLite store (its own `log()` path, "
        "as in the core table). wandb cannot be measured online here: online mode and "
        "`wandb sync` both need a wandb server.",
    ]


def section(data: Data) -> str:
    """The Markdown section for the results of one run (as saved in ``RAW``)."""
    plan = Plan(**data["plan"])
    lines = init_lines(data) + log_lines(data) + finish_lines(data) + sync_lines(data, plan)
    body = header(data) + table(lines) + log_reading(data)
    more = breakdown(data)
    return "\n".join(body + (["", *more] if more else []) + notes(plan)) + "\n"


def versions(data: Data) -> dict[str, str]:
    found: dict[str, str] = {}
    for key, name in (
        ("nbtrack_init", "nbtrack"),
        ("trackio_log", "trackio"),
        ("mlflow_init", "mlflow"),
    ):
        item = data.get(key)
        if isinstance(item, dict):
            found[name] = str(item.get("version", ""))
    return found


# --- main ----------------------------------------------------------------------------------


def parse_args(argv: Sequence[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true", help="small smoke run; implies --no-write")
    parser.add_argument("--no-write", action="store_true", help="print only")
    parser.add_argument("--results", type=Path, default=bench_core.RESULTS)
    parser.add_argument(
        "--only", default="online,sync,trackio,mlflow", help="parts to run (comma-separated)"
    )
    parser.add_argument(
        "--render",
        type=Path,
        metavar="RAW_JSON",
        help="measure nothing: redo the section from "
        "the raw results a run saved (bench/out/online-results.json)",
    )
    return parser.parse_args(argv)


def main(argv: Sequence[str] | None = None) -> int:
    args = parse_args(argv)
    raw = args.render.read_text(encoding="utf-8") if args.render else None
    data = json.loads(raw) if raw is not None else measure(args)
    text = section(data)
    print(text)
    if not (data["quick"] or args.no_write):
        path: Path = args.results
        old = path.read_text(encoding="utf-8") if path.exists() else bench_core.INTRO
        path.write_text(bench_core.replace_section(old, text, SECTION), encoding="utf-8")
        note(f"wrote {path}")
    return 0


def measure(args: argparse.Namespace) -> Data:
    """Every measurement; the raw results are also saved to ``RAW``."""
    plan = Plan().quick() if args.quick else Plan()
    parts = set(args.only.split(","))
    start_load, t0 = load(), time.perf_counter()
    data: Data = {"plan": dataclasses.asdict(plan), "start_load": start_load, "quick": args.quick}
    with tempfile.TemporaryDirectory(prefix="nbtrack-bench-online-") as tmp:
        scratch = Scratch(Path(tmp))
        if "online" in parts:
            bench_nbtrack_online(plan, scratch, data)
        if "sync" in parts:
            bench_nbtrack_sync(plan, scratch, data)
        if "trackio" in parts:
            bench_trackio(plan, data)
        if "mlflow" in parts:
            bench_mlflow(plan, scratch, data)
    data["elapsed"] = time.perf_counter() - t0
    data["versions"] = versions(data)
    data["measured"] = datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%d %H:%M UTC")
    data["commit"] = bench_core.nbtrack_commit()
    data["machine"] = (
        f"{os.cpu_count()} cores ({bench_core.cpu_model()}), Linux {platform.release()}, "
        f"Python {platform.python_version()}"
    )
    RAW.parent.mkdir(exist_ok=True)
    RAW.write_text(json.dumps(data, indent=1), encoding="utf-8")
    note(f"raw results: {RAW}")
    return data


if __name__ == "__main__":
    if sys.argv[1:2] == ["child"]:
        child_main(sys.argv[2:])
    sys.exit(main())
