"""Comparing runs on the server: the batched series query, incremental polls, the workspace page.

Figures (nbtrack on SQLite, and on PostgreSQL with ``--postgres``):
- series query: ``POST /projects/{e}/{p}/series`` for R runs x S steps x 1 metric -> 1000 points
  a run, median of 10 (client round trip on loopback, i.e. the server's work plus HTTP);
- incremental poll: 10 live runs, each 10 new rows since the last poll, ``since`` cursors for all
  10, median of 20;
- workspace drawn: headless Chromium (``/usr/bin/chromium``) from navigation to the panel drawn
  with every selected run's line (the page's own ``performance.now()``), median of 3;
- MLflow (``bench/venvs/mlflow``): its compare view's chart call,
  ``get-history-bulk-interval`` for 10 runs x S steps (max_results=1000), next to nbtrack's series
  query for 10 of its runs. MLflow is seeded through its REST API (1000 values a log-batch);
- trackio (``bench/venvs/trackio``): its dashboard's data call, ``get_logs_batch`` for 10 runs x S
  steps (max_points=1000), in its own venv (``trackio_compare.py``), seeded with ``bulk_log``.

The runs are seeded through the server's own storage code (``history.append``, the ingest path
without HTTP). Prints a Markdown section; RESULTS.md is not written by this script.
"""

from __future__ import annotations

import argparse
import json
import math
import os
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import httpx

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))
MLFLOW_PYTHON = REPO / "bench/venvs/mlflow/bin/python"
TRACKIO_PYTHON = REPO / "bench/venvs/trackio/bin/python"
CHROMIUM = Path("/usr/bin/chromium")
PG_ADMIN = "postgresql://postgres@127.0.0.1:5432/test"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def wait_until(url: str, process: subprocess.Popen[bytes], timeout: float = 120) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"server exited with {process.returncode}")
        try:
            if httpx.get(url, timeout=2).status_code == 200:
                return
        except httpx.HTTPError:
            pass
        time.sleep(0.2)
    raise TimeoutError(url)


def median_ms(call: Callable[[], object], repeat: int) -> float:
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        call()
        times.append((time.perf_counter() - start) * 1000)
    return statistics.median(times)


def loss_values(run: int, steps: int) -> list[float]:
    values = [1 / (s + 1) + 0.01 * math.sin(s / 7 + run) for s in range(steps)]
    values[(run * 7919) % steps] = 50.0  # a spike the downsampling must keep
    return values


def seed(database_url: str, runs: int, steps: int) -> list[str]:
    """``runs`` public runs of ``steps`` steps of ``loss`` (10 of them running) in admin/bench."""
    from nbtrack.server import access, history, migrations
    from nbtrack.server import runs as store
    from nbtrack.server.access import Viewer
    from nbtrack.server.accounts import require_user
    from nbtrack.server.database import Database

    db = Database(database_url)
    migrations.upgrade(db)
    ids = [f"cmp{i:05d}" for i in range(runs)]
    for i, run_id in enumerate(ids):
        with db.write() as conn:
            viewer = Viewer(require_user(conn, "admin"))
            project = access.writable(conn, viewer, "admin", "bench")
            fields = {"name": f"run-{i}", "config": {"lr": 10 ** -(i % 5)}, "state": "running"}
            row = store.upsert(conn, db.dialect, project, run_id, fields)
        values = loss_values(i, steps)
        for start in range(0, steps, 50_000):
            records = [
                (s, s, {"loss": values[s]}) for s in range(start, min(steps, start + 50_000))
            ]
            with db.write() as conn:
                current = store.find(conn, project, run_id)
                history.append(conn, db.dialect, current, records, time.time())
        if i >= 10:
            with db.write() as conn:
                store.upsert(conn, db.dialect, project, run_id, {"state": "finished"})
    with db.write() as conn:
        access.set_visibility(conn, access.writable(conn, viewer, "admin", "bench"), "public")
    db.dispose()
    del row
    return ids


@contextmanager
def nbtrack_server(database_url: str | None, data: Path) -> Iterator[tuple[str, httpx.Client]]:
    from nbtrack.server.accounts import new_key

    key, port = new_key(), free_port()
    env = dict(os.environ, NBTRACK_CONFIG_DIR=str(data / "config"), PYTHONPATH=str(REPO))
    command = [sys.executable, "-m", "nbtrack.server", "--port", str(port), "--data-dir", str(data)]
    command += ["--admin-key", key, *(["--database-url", database_url] if database_url else [])]
    process = subprocess.Popen(
        command, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
    )
    base = f"http://127.0.0.1:{port}"
    try:
        wait_until(f"{base}/api/v1/health", process)
        headers = {"Authorization": f"Bearer {key}"}
        with httpx.Client(base_url=f"{base}/api/v1", timeout=300, headers=headers) as client:
            yield base, client
    finally:
        process.terminate()
        process.wait(30)


def nbtrack_figures(database_url: str | None, runs: int, steps: int) -> dict[str, Any]:
    data = Path(tempfile.mkdtemp(prefix="nbt-compare-"))
    url = database_url or f"sqlite:///{data / 'nbtrack.db'}"
    try:
        with nbtrack_server(database_url, data) as (base, client):
            started = time.perf_counter()
            ids = seed(url, runs, steps)
            out: dict[str, Any] = {"seed_s": time.perf_counter() - started}
            out |= {"runs": runs, "steps": steps} | series_query(client, ids)
            out |= live_poll(client, ids[:10], steps)
            out |= workspace_drawn(base, ids)
        return out
    finally:
        shutil.rmtree(data, ignore_errors=True)


def series_query(client: httpx.Client, ids: list[str]) -> dict[str, Any]:
    body = {"runs": ids, "keys": ["loss"], "samples": 1000}
    answer = client.post("/projects/admin/bench/series", json=body).raise_for_status().json()
    spikes = sum(50.0 in r["series"]["loss"]["ys"] for r in answer["runs"])
    points = [len(r["series"]["loss"]["xs"]) for r in answer["runs"]]
    ms = median_ms(
        lambda: client.post("/projects/admin/bench/series", json=body).raise_for_status(), 10
    )
    ten = {"runs": ids[:10], "keys": ["loss"], "samples": 1000}
    ten_ms = median_ms(
        lambda: client.post("/projects/admin/bench/series", json=ten).raise_for_status(), 10
    )
    return {
        "series_ms": ms,
        "series_10_runs_ms": ten_ms,
        "series_points_per_run": statistics.median(points),
        "spikes_kept": spikes,
    }


def live_poll(client: httpx.Client, live: list[str], steps: int) -> dict[str, Any]:
    body: dict[str, Any] = {"runs": live, "keys": ["loss"], "samples": 1000}
    answer = client.post("/projects/admin/bench/series", json=body).raise_for_status().json()
    cursors = {r["id"]: r["cursor"] for r in answer["runs"]}
    times, returned = [], []
    for poll in range(20):
        for run_id in live:
            first = cursors[run_id] + 1  # the next offsets after what the page has
            records = [
                {"offset": first + k, "step": steps + poll * 10 + k, "data": {"loss": 0.5}}
                for k in range(10)
            ]
            client.post(
                f"/runs/admin/bench/{run_id}/history", json={"records": records}
            ).raise_for_status()
        start = time.perf_counter()
        found = (
            client.post("/projects/admin/bench/series", json=body | {"since": cursors})
            .raise_for_status()
            .json()
        )
        times.append((time.perf_counter() - start) * 1000)
        returned.append(sum(len(r["series"]["loss"]["xs"]) for r in found["runs"]))
        cursors = {r["id"]: r["cursor"] for r in found["runs"]}
    return {"poll_ms": statistics.median(times), "poll_points": statistics.median(returned)}


def workspace_drawn(base: str, ids: list[str]) -> dict[str, Any]:
    if not CHROMIUM.exists():
        return {"workspace_missing": "no /usr/bin/chromium"}
    from playwright.sync_api import sync_playwright

    url = f"{base}/admin/bench/workspace?runs={','.join(ids)}&panels=loss"
    times = []
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=str(CHROMIUM), headless=True, args=["--no-sandbox", "--disable-gpu"]
        )
        try:
            for _ in range(3):
                page = browser.new_page(viewport={"width": 1400, "height": 1000})
                page.goto(url)
                panel = f'.panel[data-metric="loss"][data-lines="{len(ids)}"]'
                page.wait_for_selector(panel, timeout=60_000)
                times.append(float(page.evaluate("document.body.dataset.drawnAt")))
                page.close()
        finally:
            browser.close()
    return {"workspace_ms": statistics.median(times), "workspace_runs": len(ids)}


def postgres_figures(runs: int, steps: int) -> dict[str, Any]:
    import psycopg

    schema = f"bench_{uuid.uuid4().hex[:10]}"
    with psycopg.connect(PG_ADMIN, autocommit=True) as conn:
        conn.execute(f'CREATE SCHEMA "{schema}"')
    url = f"postgresql+psycopg://postgres@127.0.0.1:5432/test?options=-csearch_path%3D{schema}"
    try:
        return nbtrack_figures(url, runs, steps)
    finally:
        with psycopg.connect(PG_ADMIN, autocommit=True) as conn:
            conn.execute(f'DROP SCHEMA "{schema}" CASCADE')


def mlflow_figures(steps: int) -> dict[str, Any]:
    if not MLFLOW_PYTHON.exists():
        return {"missing": "bench/venvs/mlflow (bash bench/setup_peers.sh mlflow)"}
    port, data = free_port(), Path(tempfile.mkdtemp(prefix="mlflow-compare-"))
    command = [str(MLFLOW_PYTHON), "-m", "mlflow", "server", "--backend-store-uri"]
    command += [f"sqlite:///{data}/mlflow.db", "--default-artifact-root", str(data / "artifacts")]
    command += ["--host", "127.0.0.1", "--port", str(port), "--workers", "1"]
    process = subprocess.Popen(
        command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, cwd=data
    )
    base = f"http://127.0.0.1:{port}"
    try:
        wait_until(f"{base}/health", process, timeout=180)
        with httpx.Client(base_url=base, timeout=600) as client:
            return mlflow_compare(client, steps)
    finally:
        process.terminate()
        try:
            process.wait(30)
        except subprocess.TimeoutExpired:
            process.kill()
        shutil.rmtree(data, ignore_errors=True)


def mlflow_compare(client: httpx.Client, steps: int) -> dict[str, Any]:
    experiment = client.post("/api/2.0/mlflow/experiments/create", json={"name": "compare"})
    experiment_id = experiment.raise_for_status().json()["experiment_id"]
    run_ids, started = [], time.perf_counter()
    for i in range(10):
        created = client.post(
            "/api/2.0/mlflow/runs/create",
            json={"experiment_id": experiment_id, "run_name": f"run-{i}", "start_time": 0},
        )
        run_id = created.raise_for_status().json()["run"]["info"]["run_id"]
        run_ids.append(run_id)
        values = loss_values(i, steps)
        for start in range(0, steps, 1000):
            metrics = [
                {"key": "loss", "value": values[s], "timestamp": s, "step": s}
                for s in range(start, min(steps, start + 1000))
            ]
            client.post(
                "/api/2.0/mlflow/runs/log-batch", json={"run_id": run_id, "metrics": metrics}
            ).raise_for_status()
    seeded = time.perf_counter() - started
    params = [("run_ids", r) for r in run_ids] + [("metric_key", "loss"), ("max_results", "1000")]
    url = "/ajax-api/2.0/mlflow/metrics/get-history-bulk-interval"
    answer = client.get(url, params=params).raise_for_status().json()
    spikes = len({m["run_id"] for m in answer.get("metrics", []) if m["value"] == 50.0})
    ms = median_ms(lambda: client.get(url, params=params).raise_for_status(), 5)
    return {
        "compare_10_runs_ms": ms,
        "points": len(answer.get("metrics", [])),
        "spikes_kept": spikes,
        "seed_s": seeded,
    }


def cell(figures: dict[str, Any], key: str, digits: int = 0) -> str:
    value = figures.get(key)
    return "n/a" if value is None else f"{value:.{digits}f} ms"


def trackio_figures(steps: int) -> dict[str, Any]:
    """trackio's dashboard data call (``get_logs_batch``), in its own venv (trackio_compare.py)."""
    if not TRACKIO_PYTHON.exists():
        return {"missing": "bench/venvs/trackio (bash bench/setup_peers.sh trackio)"}
    home = Path(tempfile.mkdtemp(prefix="trackio-compare-"))
    env = dict(os.environ, TRACKIO_DIR=str(home), HF_HOME=str(home / "hf"), HOME=str(home))
    script = Path(__file__).with_name("trackio_compare.py")
    done = subprocess.run(
        [str(TRACKIO_PYTHON), str(script), str(steps)],
        env=env,
        cwd=home,
        capture_output=True,
        text=True,
        check=True,
    )
    shutil.rmtree(home, ignore_errors=True)
    figures: dict[str, Any] = json.loads(done.stdout.strip().splitlines()[-1])
    return figures


def report(
    sqlite: dict[str, Any], pg: dict[str, Any], ml: dict[str, Any], trk: dict[str, Any]
) -> str:
    first = sqlite or pg
    runs, steps = first["runs"], first["steps"]
    rows = [
        (f"series query, {runs} runs", "≤ 300 ms", "series_ms", 0),
        ("series query, 10 runs", "", "series_10_runs_ms", 1),
        ("incremental poll, 10 live runs x 10 new rows", "≤ 20 ms", "poll_ms", 1),
        (
            f"workspace drawn in Chromium, {runs} runs, from navigation",
            "≤ 1.5 s",
            "workspace_ms",
            0,
        ),
    ]
    lines = [
        "## Comparing runs",
        "",
        f"{runs} runs x {steps:,} steps x 1 metric, 1000 points a run asked for.",
        "",
        "| figure | target | SQLite | PostgreSQL |",
        "|---|---|---|---|",
        *(f"| {a} | {b} | {cell(sqlite, k, d)} | {cell(pg, k, d)} |" for a, b, k, d in rows),
        "",
        f"Spikes kept: {first['spikes_kept']}/{runs} runs "
        f"(median {first['series_points_per_run']:.0f} points a run); "
        f"a poll returned {first['poll_points']:.0f} points (10 runs x 10 new rows).",
    ]
    if "compare_10_runs_ms" in ml:
        ratio = first["series_10_runs_ms"] / ml["compare_10_runs_ms"]
        lines.append(
            f"MLflow (SQLite store) compare chart call for 10 runs x {steps:,} steps "
            f"(get-history-bulk-interval, max_results=1000): {ml['compare_10_runs_ms']:.0f} ms, "
            f"spikes kept {ml['spikes_kept']}/10; nbtrack/MLflow = {ratio:.3f}."
        )
    else:
        lines.append(f"MLflow: not measured ({ml.get('missing', 'skipped')}).")
    if "compare_10_runs_ms" in trk:
        ratio = first["series_10_runs_ms"] / trk["compare_10_runs_ms"]
        lines.append(
            f"trackio (local SQLite store) dashboard data call for 10 runs x {steps:,} steps "
            f"(get_logs_batch, max_points=1000): {trk['compare_10_runs_ms']:.0f} ms, "
            f"spikes kept {trk['spikes_kept']}/10; nbtrack/trackio = {ratio:.3f}."
        )
    else:
        lines.append(f"trackio: not measured ({trk.get('missing', 'skipped')}).")
    return "\n".join(lines)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--runs", type=int, default=100)
    parser.add_argument("--steps", type=int, default=100_000)
    parser.add_argument(
        "--postgres", action="store_true", help="also on PostgreSQL (127.0.0.1:5432)"
    )
    parser.add_argument("--skip-sqlite", action="store_true", help="with --postgres: only there")
    parser.add_argument("--skip-mlflow", action="store_true")
    parser.add_argument("--skip-trackio", action="store_true")
    args = parser.parse_args()
    sqlite = {} if args.skip_sqlite else nbtrack_figures(None, args.runs, args.steps)
    print(json.dumps(sqlite, indent=1), file=sys.stderr)
    pg = postgres_figures(args.runs, args.steps) if args.postgres else {}
    print(json.dumps(pg, indent=1), file=sys.stderr)
    ml = {} if args.skip_mlflow else mlflow_figures(args.steps)
    print(json.dumps(ml, indent=1), file=sys.stderr)
    trk = {} if args.skip_trackio else trackio_figures(args.steps)
    print(json.dumps(trk, indent=1), file=sys.stderr)
    print(report(sqlite, pg, ml, trk))
    return 0


if __name__ == "__main__":
    sys.exit(main())
