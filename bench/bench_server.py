"""Server benchmark: nbtrack server vs an MLflow tracking server, both on SQLite, on this machine.

    .venv/bin/python bench/bench_server.py [--quick]

Figures: ingest of metric values through the HTTP API in batches (nbtrack: 1000 records x 10 keys
per request; MLflow: log-batch, 1000 metrics per request, its limit), a chart query over a run of
1M steps (nbtrack: samples=1000; MLflow: get-history-bulk-interval, its downsampled chart call), a
page of a project's run table with 10k runs, plain and sorted by a summary metric, a run filter
over those runs (nbtrack: wandb-style filters on config and summary; MLflow: a metric condition),
and the server's RSS. Bodies are encoded before the clock starts, so the figures are the servers'
own.
The read figures run over the same data on both servers (``--table-runs``, ``--chart-steps``;
10k runs and 1M steps by default, 1000 and 100k with ``--quick``): MLflow's runs and chart run are
written into its SQLite file by MLflow's own store code before its server starts
(``mlflow_seed.py``), nbtrack's through its storage code and HTTP API.
Durability is measured next to it: the fsync-family calls each server makes per ingest request
(strace), and nbtrack's ingest again with SQLite at synchronous=FULL (``durability.py``).
Prints the Markdown section and writes it to the ``## Server`` section of bench/RESULTS.md
(full runs from a clean tree only).
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import os
import random
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import Callable
from pathlib import Path

import httpx

sys.path.insert(0, str(Path(__file__).resolve().parent))
import bench_core
import durability
import provenance

REPO = Path(__file__).resolve().parents[1]
SECTION = "## Server"
SYNC_PROBE = 20  # ingest requests made under strace, after the timed ones
MLFLOW_PYTHON = REPO / "bench/venvs/mlflow/bin/python"
KEYS = [f"metric_{i}" for i in range(10)]


@dataclasses.dataclass(frozen=True)
class Sizes:
    """The data both servers hold for the read figures: the same for nbtrack and MLflow."""

    chart_steps: int = 1_000_000  # one run, one metric at every step (nbtrack: two metrics)
    table_runs: int = 10_000  # runs in the run table


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def wait_until(url: str, process: subprocess.Popen[bytes], timeout: float = 120) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"server exited with {process.returncode}")
        try:
            if httpx.get(url, timeout=2).status_code < 500:
                return
        except httpx.HTTPError:
            pass
        time.sleep(0.1)
    raise RuntimeError(f"{url} did not answer within {timeout}s")


def rss_mb(pid: int) -> tuple[float, float]:
    """(current RSS, peak RSS) of a process and its descendants, in MB."""
    pids = [pid]
    try:
        children = subprocess.run(["pgrep", "-P", str(pid)], capture_output=True, text=True)
        pids += [int(p) for p in children.stdout.split()]
    except OSError:
        pass
    now = peak = 0.0
    for p in pids:
        try:
            status = Path(f"/proc/{p}/status").read_text()
        except OSError:
            continue
        fields = dict(line.split(":", 1) for line in status.splitlines() if ":" in line)
        now += int(fields["VmRSS"].split()[0]) / 1024
        peak += int(fields["VmHWM"].split()[0]) / 1024
    return now, peak


def tree_cpu(pid: int) -> float:
    """CPU seconds so far of a process and its live descendants (clock ticks, /proc)."""
    ticks = 0
    for p in [pid, *descendants(pid)]:
        try:
            fields = Path(f"/proc/{p}/stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        ticks += int(fields[11]) + int(fields[12])
    return ticks / os.sysconf("SC_CLK_TCK")


def settle(pid: int, limit: float = 60.0) -> float:
    """Wait until a started server and the processes it starts are idle (under 5% of a core
    over a second), at most ``limit`` s, so start-up work is not timed; the seconds waited."""
    start = time.perf_counter()
    before = tree_cpu(pid)
    while time.perf_counter() - start < limit:
        time.sleep(1.0)
        now = tree_cpu(pid)
        if now - before < 0.05:
            break
        before = now
    return time.perf_counter() - start


def rss_processes(pid: int) -> tuple[list[str], int]:
    """What ``rss_mb`` counts (the process and its direct children, by command) and how many
    further descendants it leaves out."""
    direct = subprocess.run(["pgrep", "-P", str(pid)], capture_output=True, text=True)
    counted = [pid, *(int(p) for p in direct.stdout.split())]
    return [command(p) for p in counted], len(descendants(pid)) - len(counted) + 1


def descendants(pid: int) -> list[int]:
    """Every live descendant of ``pid`` (by parent pid, from /proc)."""
    children: dict[int, list[int]] = {}
    for entry in filter(str.isdigit, os.listdir("/proc")):
        try:
            stat = Path(f"/proc/{entry}/stat").read_text()
        except OSError:
            continue
        children.setdefault(int(stat.rsplit(")", 1)[1].split()[1]), []).append(int(entry))
    found, todo = [], [pid]
    while todo:
        kids = children.get(todo.pop(), [])
        found += kids
        todo += kids
    return found


def command(pid: int) -> str:
    """A short name for a process: its python module (``-m x``) or its program."""
    try:
        args = Path(f"/proc/{pid}/cmdline").read_bytes().decode().split("\0")
    except OSError:
        return "?"
    if "-m" in args:
        return args[args.index("-m") + 1]
    return Path(args[0]).name


def timed_upto(call: Callable[[], object], repeat: int, budget: float) -> tuple[float, int]:
    """Median wall time of ``call`` in ms over up to ``repeat`` calls, stopping once ``budget``
    seconds have passed (3 calls at least), and the number of calls made."""
    times: list[float] = []
    deadline = time.perf_counter() + budget
    while len(times) < repeat and (len(times) < 3 or time.perf_counter() < deadline):
        start = time.perf_counter()
        call()
        times.append((time.perf_counter() - start) * 1000)
    return statistics.median(times), len(times)


def timed(call: Callable[[], object], repeat: int) -> float:
    """Median wall time of ``call`` in milliseconds."""
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        call()
        times.append((time.perf_counter() - start) * 1000)
    return statistics.median(times)


# --- nbtrack ---


def nbtrack_bench(
    quick: bool, sizes: Sizes, database_url: str | None = None, full_sync: bool = False
) -> dict[str, object]:
    """Every nbtrack figure; with ``full_sync`` only the ingest (SQLite synchronous=FULL)."""
    sys.path.insert(0, str(REPO))
    from nbtrack.server.accounts.store import new_key

    key, port, data = new_key(), free_port(), Path(tempfile.mkdtemp(prefix="nbt-bench-"))
    env = dict(os.environ, NBTRACK_CONFIG_DIR=str(data / "config"), PYTHONPATH=str(REPO))
    launcher = (
        [str(Path(__file__).with_name("durability.py"))] if full_sync else ["-m", "nbtrack.server"]
    )
    process = subprocess.Popen(
        [
            sys.executable,
            *launcher,
            "--port",
            str(port),
            "--data-dir",
            str(data),
            "--admin-key",
            key,
            *(["--database-url", database_url] if database_url else []),
        ],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    base = f"http://127.0.0.1:{port}"
    try:
        wait_until(f"{base}/api/v1/health", process)
        settled = settle(process.pid)
        client = httpx.Client(
            base_url=f"{base}/api/v1",
            timeout=300,
            headers={"Authorization": f"Bearer {key}", "Content-Type": "application/json"},
        )
        out: dict[str, object] = {"settle_s": settled}
        out.update(nbtrack_ingest(client, 20 if quick else 100))
        out["syncs_per_request"] = nbtrack_sync_probe(client, process.pid)
        if full_sync:
            return out
        out.update(nbtrack_chart(client, sizes.chart_steps))
        out.update(nbtrack_table(client, data, key, sizes.table_runs, database_url))
        out["rss_mb"], out["peak_rss_mb"] = rss_mb(process.pid)
        return out
    finally:
        process.terminate()
        process.wait(30)
        shutil.rmtree(data, ignore_errors=True)


def history_bodies(batches: int, per_batch: int, keys: list[str], first: int = 0) -> list[bytes]:
    rng = random.Random(1)
    bodies = []
    for b in range(batches):
        start = first + b * per_batch
        records = [
            {"offset": s, "step": s, "data": {"_step": s, **{k: rng.random() for k in keys}}}
            for s in range(start, start + per_batch)
        ]
        bodies.append(json.dumps({"records": records}).encode())
    return bodies


def nbtrack_ingest(client: httpx.Client, batches: int) -> dict[str, object]:
    client.put("/runs/admin/bench/ingest", json={"name": "ingest"}).raise_for_status()
    bodies = history_bodies(batches, 1000, KEYS)
    start = time.perf_counter()
    for body in bodies:
        client.post("/runs/admin/bench/ingest/history", content=body).raise_for_status()
    seconds = time.perf_counter() - start
    values = batches * 1000 * len(KEYS)
    return {"ingest_values_per_s": values / seconds, "ingest_values": values}


def nbtrack_sync_probe(client: httpx.Client, pid: int) -> float:
    """fsync-family calls of the server per ingest request (not timed: strace slows it)."""
    client.put("/runs/admin/bench/probe", json={"name": "probe"}).raise_for_status()
    bodies = history_bodies(SYNC_PROBE, 1000, KEYS)

    def send(i: int) -> None:
        client.post("/runs/admin/bench/probe/history", content=bodies[i]).raise_for_status()

    return durability.per_request(pid, SYNC_PROBE, send)


def nbtrack_chart(client: httpx.Client, steps: int) -> dict[str, object]:
    client.put("/runs/admin/bench/long", json={"name": "long"}).raise_for_status()
    per_batch = 10_000
    for first in range(0, steps, per_batch):
        count = min(per_batch, steps - first)
        body = history_bodies(1, count, ["loss", "acc"], first=first)[0]
        client.post("/runs/admin/bench/long/history", content=body).raise_for_status()
    params = {"keys": "loss", "samples": 1000}
    points = len(
        client.get("/runs/admin/bench/long/history", params=params).json()["series"]["loss"][
            "steps"
        ]
    )
    ms = timed(
        lambda: client.get("/runs/admin/bench/long/history", params=params).raise_for_status(), 20
    )
    both = timed(
        lambda: client.get(
            "/runs/admin/bench/long/history", params={"keys": "loss,acc", "samples": 1000}
        ).raise_for_status(),
        10,
    )
    return {"chart_ms": ms, "chart_points": points, "chart_steps": steps, "chart_two_keys_ms": both}


FILTERS = {  # wandb-style filters (Api().runs(filters=..., order=...)) over the 10k runs
    "table_filter_ms": {
        "filters": json.dumps({"config.lr": {"$gt": 0.5}, "summary_metrics.loss": {"$lt": 0.5}}),
        "order": "-summary_metrics.acc",
    },
    "table_filter_or_ms": {
        "filters": json.dumps(
            {
                "$or": [
                    {"summary_metrics.acc": {"$gte": 0.99}},
                    {"tags": {"$in": ["bench"]}, "config.lr": {"$lt": 0.01}},
                ]
            }
        ),
        "order": "+created_at",
    },
}


def nbtrack_table(
    client: httpx.Client, data: Path, key: str, runs: int, database_url: str | None
) -> dict[str, object]:
    """Seed ``runs`` runs through the API's own storage code, then time pages over HTTP."""
    sys.path.insert(0, str(REPO))
    from nbtrack.server.accounts import access
    from nbtrack.server.accounts.store import user_by_key
    from nbtrack.server.config import ServerConfig
    from nbtrack.server.database import Database
    from nbtrack.server.runs import store as run_store

    db = Database(ServerConfig(data_dir=str(data), database_url=database_url).database)
    rng = random.Random(2)
    start = time.perf_counter()
    for chunk in range(0, runs, 1000):
        with db.write() as conn:
            viewer = access.Viewer(user_by_key(conn, key))
            project = access.writable(conn, viewer, "admin", "table")
            for i in range(chunk, min(chunk + 1000, runs)):
                run_store.upsert(
                    conn,
                    db.dialect,
                    project,
                    f"run{i:05d}",
                    {
                        "name": f"run-{i}",
                        "config": {"lr": rng.random()},
                        "tags": ["bench"],
                        "summary": {"loss": rng.random(), "acc": rng.random()},
                        "state": "finished",
                    },
                )
    seed_s = time.perf_counter() - start
    db.dispose()
    pages = {
        "table_first_page_ms": {"limit": 50},
        "table_middle_page_ms": {"limit": 50, "offset": runs // 2},
        "table_sorted_by_summary_ms": {"limit": 50, "sort": "-summary.loss"},
        "table_filtered_by_tag_ms": {"limit": 50, "tag": "bench", "offset": max(0, runs - 50)},
    }
    pages |= {name: {"limit": 50, **params} for name, params in FILTERS.items()}
    out: dict[str, object] = {"table_runs": runs, "table_seed_s": seed_s}
    for name, params in pages.items():
        out[name] = timed(
            lambda p=params: client.get("/projects/admin/table/runs", params=p).raise_for_status(),
            10,
        )
    ui = str(client.base_url).rstrip("/").removesuffix("/api/v1") + "/admin/table"
    out["table_ui_page_ms"] = timed(lambda: client.get(ui).raise_for_status(), 10)
    return out


# --- MLflow ---


def mlflow_bench(quick: bool, sizes: Sizes) -> dict[str, object]:
    if not MLFLOW_PYTHON.exists():
        return {"missing": "bench/venvs/mlflow (bash bench/setup_peers.sh mlflow)"}
    port, data = free_port(), Path(tempfile.mkdtemp(prefix="mlflow-bench-"))
    seeded = mlflow_seed(data, sizes)
    process = subprocess.Popen(
        [
            str(MLFLOW_PYTHON),
            "-m",
            "mlflow",
            "server",
            "--backend-store-uri",
            f"sqlite:///{data}/mlflow.db",
            "--default-artifact-root",
            str(data / "artifacts"),
            "--host",
            "127.0.0.1",
            "--port",
            str(port),
            "--workers",
            "1",
        ],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        cwd=data,
        start_new_session=True,  # its worker and job-runner processes go down with it
    )
    base = f"http://127.0.0.1:{port}"
    try:
        wait_until(f"{base}/health", process, timeout=180)
        client = httpx.Client(base_url=base, timeout=600)
        out: dict[str, object] = {"version": _mlflow_version(), **seeded}
        out["settle_s"] = settle(process.pid)
        experiment = str(seeded["chart_experiment"])
        out.update(mlflow_ingest(client, experiment, *((15, 15.0) if quick else (200, 60.0))))
        out["syncs_per_request"] = mlflow_sync_probe(client, experiment, process.pid)
        out.update(mlflow_chart(client, str(seeded["chart_run"]), sizes.chart_steps))
        out.update(mlflow_table(client, str(seeded["table_experiment"]), sizes.table_runs))
        out["rss_mb"], out["peak_rss_mb"] = rss_mb(process.pid)
        out["rss_counted"], out["rss_not_counted"] = rss_processes(process.pid)
        return out
    finally:
        os.killpg(process.pid, signal.SIGTERM)
        try:
            process.wait(30)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
        shutil.rmtree(data, ignore_errors=True)  # its store is some 250 MB at full size


def _mlflow_version() -> str:
    done = subprocess.run(
        [str(MLFLOW_PYTHON), "-c", "import mlflow; print(mlflow.__version__)"],
        capture_output=True,
        text=True,
    )
    return done.stdout.strip()


def mlflow_run(client: httpx.Client, experiment: str, name: str) -> str:
    answer = client.post(
        "/api/2.0/mlflow/runs/create",
        json={"experiment_id": experiment, "run_name": name, "start_time": int(time.time() * 1000)},
    )
    answer.raise_for_status()
    return str(answer.json()["run"]["info"]["run_id"])


def mlflow_batches(run_id: str, batches: int, keys: list[str], first: int = 0) -> list[bytes]:
    rng = random.Random(1)
    per_batch = 1000 // len(keys)
    now = int(time.time() * 1000)
    bodies = []
    for b in range(batches):
        steps = range(first + b * per_batch, first + (b + 1) * per_batch)
        metrics = [
            {"key": k, "value": rng.random(), "timestamp": now, "step": s}
            for s in steps
            for k in keys
        ]
        bodies.append(json.dumps({"run_id": run_id, "metrics": metrics}).encode())
    return bodies


def mlflow_sync_probe(client: httpx.Client, experiment: str, pid: int) -> float:
    """fsync-family calls of the server (and its worker process) per log-batch request."""
    bodies = mlflow_batches(mlflow_run(client, experiment, "probe"), SYNC_PROBE, KEYS)
    headers = {"Content-Type": "application/json"}

    def send(i: int) -> None:
        answer = client.post("/api/2.0/mlflow/runs/log-batch", content=bodies[i], headers=headers)
        answer.raise_for_status()

    return durability.per_request(pid, SYNC_PROBE, send)


def mlflow_ingest(
    client: httpx.Client, experiment: str, batches: int, budget: float
) -> dict[str, object]:
    """Up to ``batches`` log-batch requests, stopping after ``budget`` seconds (3 at least)."""
    run_id = mlflow_run(client, experiment, "ingest")
    bodies = mlflow_batches(run_id, batches, KEYS)
    headers = {"Content-Type": "application/json"}
    start, sent = time.perf_counter(), 0
    for sent, body in enumerate(bodies, 1):
        client.post(
            "/api/2.0/mlflow/runs/log-batch", content=body, headers=headers
        ).raise_for_status()
        if sent >= 3 and time.perf_counter() - start > budget:
            break
    seconds = time.perf_counter() - start
    rate = sent * 1000 / seconds
    out = {"ingest_values_per_s": rate, "ingest_values": sent * 1000, "ingest_budget_s": budget}
    return out | {"ingest_max_values": batches * 1000}


def mlflow_seed(data: Path, sizes: Sizes) -> dict[str, object]:
    """The run table and the long run, written into the SQLite file by MLflow's own store code
    before its server starts (``mlflow_seed.py``; not through REST, which took over 35 min)."""
    seeder = Path(__file__).with_name("mlflow_seed.py")
    args = [str(data / "mlflow.db"), str(data / "artifacts"), str(sizes.table_runs)]
    done = subprocess.run(
        [str(MLFLOW_PYTHON), str(seeder), *args, str(sizes.chart_steps)],
        capture_output=True,
        text=True,
        cwd=data,
        timeout=3600,
    )
    if done.returncode != 0:
        raise RuntimeError(f"seeding MLflow failed: {done.stderr.strip()[-500:]}")
    return dict(json.loads(done.stdout.strip().splitlines()[-1]))


def mlflow_chart(client: httpx.Client, run_id: str, steps: int) -> dict[str, object]:
    params = {"run_ids": run_id, "metric_key": "loss", "max_results": 1000}
    url = "/ajax-api/2.0/mlflow/metrics/get-history-bulk-interval"
    points = len(client.get(url, params=params).json().get("metrics", []))
    ms, calls = timed_upto(lambda: client.get(url, params=params).raise_for_status(), 10, 30)
    history = {"run_id": run_id, "metric_key": "loss"}
    start = time.perf_counter()  # once: at 1M steps one call takes tens of seconds
    answer = client.get("/api/2.0/mlflow/metrics/get-history", params=history)
    full = (time.perf_counter() - start) * 1000
    answer.raise_for_status()
    return {
        "chart_ms": ms,
        "chart_calls": calls,
        "chart_points": points,
        "chart_steps": steps,
        "chart_full_history_ms": full,
        "chart_full_history_values": len(answer.json().get("metrics", [])),
    }


MLFLOW_SEARCHES = {  # runs/search bodies over the seeded runs, beside nbtrack's pages
    "table_first_page_ms": {},
    "table_sorted_by_summary_ms": {"order_by": ["metrics.loss DESC"]},
    "table_filter_ms": {"filter": "metrics.loss < 0.5", "order_by": ["metrics.acc DESC"]},
}


def mlflow_table(client: httpx.Client, experiment: str, runs: int) -> dict[str, object]:
    """Time runs/search pages of 50 over the runs ``mlflow_seed.py`` wrote."""
    search = {"experiment_ids": [experiment], "max_results": 50}
    found = client.post("/api/2.0/mlflow/runs/search", json=search | {"max_results": 1000})
    if len(found.json().get("runs", [])) != min(runs, 1000):
        raise RuntimeError(f"MLflow's run table does not hold the {runs} seeded runs")
    out: dict[str, object] = {"table_runs": runs}
    for name, extra in MLFLOW_SEARCHES.items():
        out[name], out[name.replace("_ms", "_calls")] = timed_upto(
            lambda e=extra: client.post(  # type: ignore[misc]
                "/api/2.0/mlflow/runs/search", json=search | e
            ).raise_for_status(),
            10,
            30,
        )
    return out


# --- report ---


def ratio(a: object, b: object) -> str:
    if isinstance(a, int | float) and isinstance(b, int | float) and b:
        return f"{a / b:.3g}"
    return "-"


def fmt(value: object, unit: str = "") -> str:
    if isinstance(value, float):
        return f"{value:,.3g}{unit}" if value < 1000 else f"{value:,.0f}{unit}"
    return f"{value}{unit}" if value is not None else "-"


SHORT = {
    "ingest_values_per_s": ("ingest", " values/s"),
    "chart_ms": ("chart query", " ms"),
    "table_first_page_ms": ("run table page", " ms"),
    "table_sorted_by_summary_ms": ("sorted by a summary metric", " ms"),
    "table_filter_ms": ("run filter", " ms"),
    "peak_rss_mb": ("peak RSS", " MB"),
}


def calls(ml: dict[str, object], key: str) -> str:
    """How many calls an MLflow median is over (up to 10, fewer when they pass 30 s)."""
    return f"median of {ml[key]} (up to 10 within 30 s)" if key in ml else ""


def mlflow_durability(ml: dict[str, object]) -> str:
    """MLflow's SQLite settings as read from its seeded file (MLflow sets no journal or sync
    pragma, so its server's connections get these)."""
    if not ml.get("journal_mode"):
        return "SQLite as MLflow sets it up (not measured in this run)"
    journal, level = ml["journal_mode"], ml["synchronous"]
    return f"SQLite {journal} journal, synchronous={level} (SQLite's defaults: MLflow sets neither)"


def rows(
    nbt: dict[str, object], ml: dict[str, object], durable: dict[str, object]
) -> list[tuple[str, str, str, str, str, str]]:
    runs, steps = fmt(nbt["table_runs"]), fmt(nbt["chart_steps"])
    return [
        (
            "ingest, metric values/s (HTTP, batches)",
            "≥ 200k/s",
            "ingest_values_per_s",
            "",
            f"{fmt(nbt['ingest_values'])} values, 1000 records x 10 keys a request",
            f"{fmt(ml.get('ingest_values'))} values (up to {fmt(ml.get('ingest_max_values'))}, "
            f"fewer once {fmt(ml.get('ingest_budget_s'), ' s')} pass), log-batch of 1000 (its "
            "limit) a request",
        ),
        (
            "durability: fsync-family calls per ingest request (strace, server and its workers)",
            "-",
            "syncs_per_request",
            "",
            f"SQLite WAL, synchronous=NORMAL (the server's setting); {SYNC_PROBE} requests",
            f"{mlflow_durability(ml)}; {SYNC_PROBE} requests",
        ),
        (
            "ingest at equal durability: nbtrack with SQLite synchronous=FULL, mlflow as above",
            "-",
            "ingest_values_per_s",
            "",
            f"{fmt(durable.get('ingest_values'))} values; "
            f"{fmt(durable.get('syncs_per_request'))} fsync-family calls per request",
            "the ingest row above",
        ),
        (
            "chart query, 1 metric",
            "≤ 200 ms",
            "chart_ms",
            " ms",
            f"{steps} steps -> {nbt['chart_points']} points, median of 20",
            f"{fmt(ml.get('chart_steps'))} steps -> {ml.get('chart_points')} points "
            f"(get-history-bulk-interval), {calls(ml, 'chart_calls')}",
        ),
        (
            "run table page (50 runs, newest first)",
            "≤ 200 ms",
            "table_first_page_ms",
            " ms",
            f"{runs} runs, median of 10",
            f"{fmt(ml.get('table_runs'))} runs (runs/search), "
            f"{calls(ml, 'table_first_page_calls')}",
        ),
        (
            "run filter, sorted by a summary metric (50 of the matches)",
            "≤ 200 ms",
            "table_filter_ms",
            " ms",
            f"{runs} runs; config.lr > 0.5 and summary loss < 0.5, in SQL, median of 10",
            f"{fmt(ml.get('table_runs'))} runs; metrics.loss < 0.5 only (MLflow compares params "
            f"as strings), {calls(ml, 'table_filter_calls')}",
        ),
        (
            "run table page sorted by a summary metric",
            "-",
            "table_sorted_by_summary_ms",
            " ms",
            f"{runs} runs",
            f"{fmt(ml.get('table_runs'))} runs, metrics.loss, "
            f"{calls(ml, 'table_sorted_by_summary_calls')}",
        ),
        ("server RSS after the load", "≤ 150 MB", "rss_mb", " MB", "one worker", "one worker"),
        ("server peak RSS", "≤ 150 MB", "peak_rss_mb", " MB", "", ""),
    ]


def report(
    nbt: dict[str, object],
    ml: dict[str, object],
    pg: dict[str, object],
    durable: dict[str, object],
    seconds: float,
    quick: bool,
    start_load: float,
) -> str:
    lines = [
        "## Server",
        "",
        f"Measured {provenance.now()} by "
        f"`bench/bench_server.py{' --quick' if quick else ''}` ({seconds / 60:.1f} min) at "
        f"{provenance.commit_text()}. Machine: {provenance.machine()}; 1-minute load average "
        f"{start_load:.2f} at the start and {provenance.load():.2f} at the end. Both servers on "
        "SQLite, one worker, on 127.0.0.1, each with the durability it ships with, which is not "
        f"the same: nbtrack SQLite WAL, synchronous=NORMAL; MLflow {mlflow_durability(ml)}. "
        "The durability row counts what each forces to disk, and nbtrack's ingest at "
        "synchronous=FULL is in the row after it. Requests from one client thread with bodies "
        "encoded before the clock starts, once each server's processes are idle after its "
        f"start (waited: nbtrack {fmt(nbt.get('settle_s'), ' s')}, MLflow "
        f"{fmt(ml.get('settle_s'), ' s')}).",
        "",
        "| figure | target | nbtrack 0.1.0 | nbtrack work | "
        f"mlflow {ml.get('version', '-')} | mlflow work | nbtrack/mlflow |",
        "|---|---|---|---|---|---|---|",
    ]
    for label, target, key, unit, nbt_work, ml_work in rows(nbt, ml, durable):
        ours = durable if label.startswith("ingest at equal durability") else nbt
        lines.append(
            f"| {label} | {target} | {fmt(ours.get(key), unit)} | {nbt_work} | "
            f"{fmt(ml.get(key), unit)} | {ml_work} | {ratio(ours.get(key), ml.get(key))} |"
        )
    if pg:
        figures = "; ".join(
            f"{name} {fmt(pg.get(key), unit)}" for key, (name, unit) in SHORT.items()
        )
        lines += ["", f"The same nbtrack figures on PostgreSQL 15 (same machine): {figures}."]
    lines += ["", *notes(nbt, ml), ""]
    return "\n".join(lines)


def mlflow_rss(ml: dict[str, object]) -> str:
    counted = ml.get("rss_counted")
    if not isinstance(counted, list):
        return ""
    return (
        f"its RSS rows sum the RSS of {', '.join(counted)} (the server and its direct "
        f"children; shared pages count in each), not of the {ml['rss_not_counted']} further "
        "processes those children start."
    )


def notes(nbt: dict[str, object], ml: dict[str, object]) -> list[str]:
    runs = int(nbt["table_runs"])  # type: ignore[call-overload]
    more = (
        "More nbtrack figures: chart of 2 metrics "
        f"{fmt(nbt['chart_two_keys_ms'], ' ms')}; run table page at offset {runs // 2} "
        f"{fmt(nbt['table_middle_page_ms'], ' ms')}, filtered by tag at offset "
        f"{max(0, runs - 50)} {fmt(nbt['table_filtered_by_tag_ms'], ' ms')}, an $or filter on "
        f"summary, tags and config {fmt(nbt['table_filter_or_ms'], ' ms')}; the run table as a "
        f"web page (HTML) {fmt(nbt['table_ui_page_ms'], ' ms')}."
    )
    both = "the same data on both servers" if ml.get("version") else "this data"
    seeding = (
        f"The read figures run over {both}: {fmt(runs)} runs, each with "
        "a learning rate (nbtrack config, MLflow param), loss and acc (nbtrack summary, MLflow "
        "metrics at step 0) and the tag bench, and one run with loss at each of "
        f"{fmt(nbt['chart_steps'])} steps (nbtrack's also has acc). nbtrack's runs are seeded "
        f"through the server's own storage code (`runs.upsert`, {fmt(nbt['table_seed_s'], ' s')})"
        " and its chart run through the HTTP API"
    )
    if ml.get("version"):
        seeding += (
            f"; MLflow's through MLflow's own store code (`SqlAlchemyStore`: create_run, "
            "log_batch, update_run_info, as its REST handlers call it; the long run's steps "
            "between its first and last 1000 as rows of MLflow's metrics table) into the SQLite "
            "file before its server starts, with synchronous=OFF on the seeding connections only "
            f"(runs {fmt(ml.get('table_seed_s'), ' s')}, chart run "
            f"{fmt(ml.get('chart_seed_s'), ' s')}). MLflow's full get-history of its "
            f"{fmt(ml.get('chart_steps'))}-step metric (one call, "
            f"{fmt(ml.get('chart_full_history_values'))} values returned) took "
            f"{fmt(ml.get('chart_full_history_ms'), ' ms')}."
        )
    else:
        seeding += ". MLflow was not measured in this run (--skip-mlflow): its columns are empty."
    return [
        more,
        seeding,
        f"MLflow's server is `mlflow server --workers 1`; {mlflow_rss(ml)} Ratios are "
        "nbtrack's figure over MLflow's (for ingest higher is better, for times and memory "
        "lower is better).",
    ]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--quick", action="store_true", help="smaller runs (a smoke test)")
    parser.add_argument("--skip-mlflow", action="store_true")
    parser.add_argument(
        "--postgres", action="store_true", help="also run nbtrack on PostgreSQL (127.0.0.1:5432)"
    )
    parser.add_argument("--no-write", action="store_true", help="print only")
    parser.add_argument("--table-runs", type=int, help="runs in each run table (default 10k)")
    parser.add_argument("--chart-steps", type=int, help="steps of the chart run (default 1M)")
    parser.add_argument("--results", type=Path, default=bench_core.RESULTS)
    args = parser.parse_args()
    start, start_load = time.perf_counter(), provenance.load()
    sizes = Sizes(
        chart_steps=args.chart_steps or (100_000 if args.quick else Sizes.chart_steps),
        table_runs=args.table_runs or (1000 if args.quick else Sizes.table_runs),
    )
    if sizes.table_runs < 100 or sizes.chart_steps < 1000:
        parser.error(
            f"--table-runs {sizes.table_runs} / --chart-steps {sizes.chart_steps}: use at least "
            "100 runs and 1000 steps (the pages are 50 runs, the chart 1000 points)"
        )
    nbt = nbtrack_bench(args.quick, sizes)
    print(json.dumps(nbt, indent=1), file=sys.stderr)
    durable = nbtrack_bench(args.quick, sizes, full_sync=True)
    print(json.dumps(durable, indent=1), file=sys.stderr)
    pg = postgres_bench(args.quick, sizes) if args.postgres else {}
    print(json.dumps(pg, indent=1), file=sys.stderr)
    ml = {} if args.skip_mlflow else mlflow_bench(args.quick, sizes)
    print(json.dumps(ml, indent=1), file=sys.stderr)
    text = report(nbt, ml, pg, durable, time.perf_counter() - start, args.quick, start_load)
    bench_core.publish(args.results, text, SECTION, args.quick or args.no_write)
    return 0


def postgres_bench(quick: bool, sizes: Sizes) -> dict[str, object]:
    """The nbtrack figures again, on a fresh schema of PostgreSQL's ``test`` database."""
    import psycopg

    schema = f"bench_{uuid.uuid4().hex[:10]}"
    admin = "postgresql://postgres@127.0.0.1:5432/test"
    with psycopg.connect(admin, autocommit=True) as conn:
        conn.execute(f'CREATE SCHEMA "{schema}"')
    url = f"postgresql+psycopg://postgres@127.0.0.1:5432/test?options=-csearch_path%3D{schema}"
    try:
        return nbtrack_bench(quick, sizes, url)
    finally:
        with psycopg.connect(admin, autocommit=True) as conn:
            conn.execute(f'DROP SCHEMA "{schema}" CASCADE')


if __name__ == "__main__":
    sys.exit(main())
