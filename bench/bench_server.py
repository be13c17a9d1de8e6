"""Server benchmark: nbtrack server vs an MLflow tracking server, both on SQLite, on this machine.

    .venv/bin/python bench/bench_server.py [--quick]

Figures: ingest of metric values through the HTTP API in batches (nbtrack: 1000 records x 10 keys
per request; MLflow: log-batch, 1000 metrics per request, its limit), a chart query over a run of
1M steps (nbtrack: samples=1000; MLflow: get-history-bulk-interval, its downsampled chart call, over
a run as long as its ingest budget allowed), a page of a project's run table with 10k runs,
wandb-style run filters over those runs (nbtrack), and the server's RSS. Bodies are encoded before
the clock starts, so the figures are the servers' own.
Durability is measured next to it: the fsync-family calls each server makes per ingest request
(strace), and nbtrack's ingest again with SQLite at synchronous=FULL (``durability.py``).
Prints the Markdown section and writes it to the ``## Server`` section of bench/RESULTS.md
(full runs from a clean tree only).
"""

from __future__ import annotations

import argparse
import json
import os
import random
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
    quick: bool, database_url: str | None = None, full_sync: bool = False
) -> dict[str, object]:
    """Every nbtrack figure; with ``full_sync`` only the ingest (SQLite synchronous=FULL)."""
    sys.path.insert(0, str(REPO))
    from nbtrack.server.accounts import new_key

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
        client = httpx.Client(
            base_url=f"{base}/api/v1",
            timeout=300,
            headers={"Authorization": f"Bearer {key}", "Content-Type": "application/json"},
        )
        out: dict[str, object] = {}
        out.update(nbtrack_ingest(client, 20 if quick else 100))
        out["syncs_per_request"] = nbtrack_sync_probe(client, process.pid)
        if full_sync:
            return out
        out.update(nbtrack_chart(client, 100_000 if quick else 1_000_000))
        out.update(nbtrack_table(client, data, key, 10_000, database_url))
        out["rss_mb"], out["peak_rss_mb"] = rss_mb(process.pid)
        return out
    finally:
        process.terminate()
        process.wait(30)


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
    for b in range(steps // per_batch):
        body = history_bodies(1, per_batch, ["loss", "acc"], first=b * per_batch)[0]
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
    """Seed 10k runs through the API's own storage code, then time pages over HTTP."""
    sys.path.insert(0, str(REPO))
    from nbtrack.server import access
    from nbtrack.server import runs as run_store
    from nbtrack.server.accounts import user_by_key
    from nbtrack.server.config import ServerConfig
    from nbtrack.server.database import Database

    db = Database(ServerConfig(data_dir=str(data), database_url=database_url).database)
    rng = random.Random(2)
    start = time.perf_counter()
    for chunk in range(0, runs, 1000):
        with db.write() as conn:
            viewer = access.Viewer(user_by_key(conn, key))
            project = access.writable(conn, viewer, "admin", "table")
            for i in range(chunk, chunk + 1000):
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
        "table_middle_page_ms": {"limit": 50, "offset": 5000},
        "table_sorted_by_summary_ms": {"limit": 50, "sort": "-summary.loss"},
        "table_filtered_by_tag_ms": {"limit": 50, "tag": "bench", "offset": 9950},
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


def mlflow_bench(quick: bool) -> dict[str, object]:
    if not MLFLOW_PYTHON.exists():
        return {"missing": "bench/venvs/mlflow (bash bench/setup_peers.sh mlflow)"}
    port, data = free_port(), Path(tempfile.mkdtemp(prefix="mlflow-bench-"))
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
        out: dict[str, object] = {"version": _mlflow_version()}
        experiment = client.post(
            "/api/2.0/mlflow/experiments/create", json={"name": "bench"}
        ).json()["experiment_id"]
        out.update(mlflow_ingest(client, experiment, 15 if quick else 200))
        out["syncs_per_request"] = mlflow_sync_probe(client, experiment, process.pid)
        out.update(mlflow_chart(client, experiment, 20 if quick else 1000))
        out.update(mlflow_table(client, experiment, 300 if quick else 10_000))
        out["rss_mb"], out["peak_rss_mb"] = rss_mb(process.pid)
        return out
    finally:
        os.killpg(process.pid, signal.SIGTERM)
        try:
            process.wait(30)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)


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


def mlflow_ingest(client: httpx.Client, experiment: str, batches: int) -> dict[str, object]:
    run_id = mlflow_run(client, experiment, "ingest")
    bodies = mlflow_batches(run_id, batches, KEYS)
    headers = {"Content-Type": "application/json"}
    start = time.perf_counter()
    for body in bodies:
        client.post(
            "/api/2.0/mlflow/runs/log-batch", content=body, headers=headers
        ).raise_for_status()
    seconds = time.perf_counter() - start
    return {"ingest_values_per_s": batches * 1000 / seconds, "ingest_values": batches * 1000}


def mlflow_chart(client: httpx.Client, experiment: str, batches: int) -> dict[str, object]:
    run_id = mlflow_run(client, experiment, "long")
    headers = {"Content-Type": "application/json"}
    for body in mlflow_batches(run_id, batches, ["loss"]):
        client.post(
            "/api/2.0/mlflow/runs/log-batch", content=body, headers=headers
        ).raise_for_status()
    params = {"run_ids": run_id, "metric_key": "loss", "max_results": 1000}
    url = "/ajax-api/2.0/mlflow/metrics/get-history-bulk-interval"
    points = len(client.get(url, params=params).json().get("metrics", []))
    ms = timed(lambda: client.get(url, params=params).raise_for_status(), 10)
    full = timed(
        lambda: client.get(
            "/api/2.0/mlflow/metrics/get-history", params={"run_id": run_id, "metric_key": "loss"}
        ).raise_for_status(),
        3,
    )
    return {
        "chart_ms": ms,
        "chart_points": points,
        "chart_steps": batches * 1000,
        "chart_full_history_ms": full,
    }


def mlflow_table(client: httpx.Client, experiment: str, runs: int) -> dict[str, object]:
    headers = {"Content-Type": "application/json"}
    start = time.perf_counter()
    for i in range(runs):
        run_id = mlflow_run(client, experiment, f"run-{i}")
        body = {
            "run_id": run_id,
            "metrics": [{"key": "loss", "value": random.random(), "timestamp": 0, "step": 0}],
            "params": [{"key": "lr", "value": "0.1"}],
            "tags": [{"key": "t", "value": "bench"}],
        }
        client.post("/api/2.0/mlflow/runs/log-batch", json=body, headers=headers)
    seed_s = time.perf_counter() - start
    search = {"experiment_ids": [experiment], "max_results": 50}
    first = timed(
        lambda: client.post("/api/2.0/mlflow/runs/search", json=search).raise_for_status(), 10
    )
    by_metric = timed(
        lambda: client.post(
            "/api/2.0/mlflow/runs/search", json=search | {"order_by": ["metrics.loss DESC"]}
        ).raise_for_status(),
        10,
    )
    return {
        "table_runs": runs,
        "table_seed_s": seed_s,
        "table_first_page_ms": first,
        "table_sorted_by_summary_ms": by_metric,
    }


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
    "chart_ms": ("chart over 1M steps", " ms"),
    "table_first_page_ms": ("run table page", " ms"),
    "table_sorted_by_summary_ms": ("sorted by a summary metric", " ms"),
    "table_filter_ms": ("run filter", " ms"),
    "peak_rss_mb": ("peak RSS", " MB"),
}


def report(
    nbt: dict[str, object],
    ml: dict[str, object],
    pg: dict[str, object],
    durable: dict[str, object],
    seconds: float,
    quick: bool,
    start_load: float,
) -> str:
    rows = [
        (
            "ingest, metric values/s (HTTP, batches)",
            "≥ 200k/s",
            "ingest_values_per_s",
            "",
            f"{fmt(nbt['ingest_values'])} values, 1000 records x 10 keys a request",
            f"{fmt(ml.get('ingest_values'))} values, log-batch of 1000",
        ),
        (
            "durability: fsync-family calls per ingest request (strace, server and its workers)",
            "-",
            "syncs_per_request",
            "",
            f"SQLite WAL, synchronous=NORMAL (the server's setting); {SYNC_PROBE} requests",
            f"SQLite as MLflow sets it up; {SYNC_PROBE} requests",
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
            f"{fmt(nbt['chart_steps'])} steps -> {nbt['chart_points']} points, median of 20",
            f"{fmt(ml.get('chart_steps'))} steps -> {ml.get('chart_points')} points "
            "(get-history-bulk-interval), median of 10",
        ),
        (
            "run table page (50 runs, newest first)",
            "≤ 200 ms",
            "table_first_page_ms",
            " ms",
            f"{fmt(nbt['table_runs'])} runs, median of 10",
            f"{fmt(ml.get('table_runs'))} runs (runs/search), median of 10",
        ),
        (
            "run filter: config and summary conditions, sorted by a summary metric",
            "≤ 200 ms",
            "table_filter_ms",
            " ms",
            f"{fmt(nbt['table_runs'])} runs, 50 of the matches, in SQL, median of 10",
            "",
        ),
        (
            "run table page sorted by a summary metric",
            "-",
            "table_sorted_by_summary_ms",
            " ms",
            f"{fmt(nbt['table_runs'])} runs",
            f"{fmt(ml.get('table_runs'))} runs, metrics.loss",
        ),
        ("server RSS after the load", "≤ 150 MB", "rss_mb", " MB", "one worker", "one worker"),
        ("server peak RSS", "≤ 150 MB", "peak_rss_mb", " MB", "", ""),
    ]
    lines = [
        "## Server",
        "",
        f"Measured {provenance.now()} by "
        f"`bench/bench_server.py{' --quick' if quick else ''}` ({seconds / 60:.1f} min) at "
        f"{provenance.commit_text()}. Machine: {provenance.machine()}; 1-minute load average "
        f"{start_load:.2f} at the start and {provenance.load():.2f} at the end. Both servers on "
        "SQLite, one worker, on 127.0.0.1, with the durability each ships with (counted in the "
        "durability row; nbtrack's ingest at synchronous=FULL is in the row after it); requests "
        "from one client thread with bodies encoded before the clock starts.",
        "",
        "| figure | target | nbtrack 0.1.0 | nbtrack work | "
        f"mlflow {ml.get('version', '-')} | mlflow work | nbtrack/mlflow |",
        "|---|---|---|---|---|---|---|",
    ]
    for label, target, key, unit, nbt_work, ml_work in rows:
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
    mlflow_notes = (
        f" MLflow's full get-history of its {fmt(ml.get('chart_steps'))}-step metric took "
        f"{fmt(ml.get('chart_full_history_ms'), ' ms')}."
        if ml.get("version")
        else " MLflow was not measured in this run (--skip-mlflow): its columns are empty."
    )
    seeded = (
        f"MLflow's runs through its REST API ({fmt(ml.get('table_seed_s'), ' s')}). "
        if ml.get("version")
        else ""
    )
    lines += [
        "",
        "More nbtrack figures: chart of 2 metrics "
        f"{fmt(nbt['chart_two_keys_ms'], ' ms')}; run table page at offset 5000 "
        f"{fmt(nbt['table_middle_page_ms'], ' ms')}, filtered by tag at offset 9950 "
        f"{fmt(nbt['table_filtered_by_tag_ms'], ' ms')}, an $or filter on summary, tags and config "
        f"{fmt(nbt['table_filter_or_ms'], ' ms')}; the run table as a web page (HTML) "
        f"{fmt(nbt['table_ui_page_ms'], ' ms')}.{mlflow_notes}",
        "The 10k nbtrack runs are seeded through the server's own storage code (`runs.upsert`, "
        f"{fmt(nbt['table_seed_s'], ' s')}); {seeded}"
        "MLflow's server is `mlflow server --workers 1`; "
        "its RSS counts the process and its children (the uvicorn worker). "
        "Ratios are nbtrack's figure over MLflow's (for ingest higher is better, for times and "
        "memory lower is better).",
        "",
    ]
    return "\n".join(lines)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--quick", action="store_true", help="smaller runs (a smoke test)")
    parser.add_argument("--skip-mlflow", action="store_true")
    parser.add_argument(
        "--postgres", action="store_true", help="also run nbtrack on PostgreSQL (127.0.0.1:5432)"
    )
    parser.add_argument("--no-write", action="store_true", help="print only")
    parser.add_argument("--results", type=Path, default=bench_core.RESULTS)
    args = parser.parse_args()
    start, start_load = time.perf_counter(), provenance.load()
    nbt = nbtrack_bench(args.quick)
    print(json.dumps(nbt, indent=1), file=sys.stderr)
    durable = nbtrack_bench(args.quick, full_sync=True)
    print(json.dumps(durable, indent=1), file=sys.stderr)
    pg = postgres_bench(args.quick) if args.postgres else {}
    print(json.dumps(pg, indent=1), file=sys.stderr)
    ml = {} if args.skip_mlflow else mlflow_bench(args.quick)
    print(json.dumps(ml, indent=1), file=sys.stderr)
    text = report(nbt, ml, pg, durable, time.perf_counter() - start, args.quick, start_load)
    print(text)
    if args.quick or args.no_write or not provenance.may_write():
        print("not written (quick run, --no-write, or uncommitted changes)", file=sys.stderr)
    else:
        bench_core.write_results(args.results, text, SECTION)
    return 0


def postgres_bench(quick: bool) -> dict[str, object]:
    """The nbtrack figures again, on a fresh schema of PostgreSQL's ``test`` database."""
    import psycopg

    schema = f"bench_{uuid.uuid4().hex[:10]}"
    admin = "postgresql://postgres@127.0.0.1:5432/test"
    with psycopg.connect(admin, autocommit=True) as conn:
        conn.execute(f'CREATE SCHEMA "{schema}"')
    url = f"postgresql+psycopg://postgres@127.0.0.1:5432/test?options=-csearch_path%3D{schema}"
    try:
        return nbtrack_bench(quick, url)
    finally:
        with psycopg.connect(admin, autocommit=True) as conn:
            conn.execute(f'DROP SCHEMA "{schema}" CASCADE')


if __name__ == "__main__":
    sys.exit(main())
