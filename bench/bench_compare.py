"""Comparing runs: the server's batched series query, incremental polls, the workspace page, and
``nbtrack.compare()`` in a kernel; the ``## Compare`` section of RESULTS.md.

Figures (nbtrack on SQLite, and on PostgreSQL unless ``--skip-postgres``):
- series query: ``POST /projects/{e}/{p}/series`` for R runs x S steps x 1 metric -> 1000 points
  a run, median of 10 (client round trip on loopback, i.e. the server's work plus HTTP);
- incremental poll: 10 live runs, each 10 new rows since the last poll, ``since`` cursors for all
  10, median of 20;
- workspace drawn: headless Chromium (``/usr/bin/chromium``) from navigation to the panel drawn
  with every selected run's line (the page's own ``performance.now()``), median of 3;
- ``nbtrack.compare()`` of 20 local runs x 100k steps in fresh real kernels, first reading every
  log, then from the kept readings (``jupyter_compare.py``), median of 3 kernels each;
- MLflow (``bench/venvs/mlflow``): its compare view's chart call,
  ``get-history-bulk-interval`` for 10 runs x S steps (max_results=1000), next to nbtrack's series
  query for 10 of its runs. MLflow's store is seeded before its server starts, through its own
  store code (``mlflow_compare_seed.py``);
- trackio (``bench/venvs/trackio``): its dashboard's data call, ``get_logs_batch`` for 10 runs x S
  steps (max_points=1000), in its own venv (``trackio_compare.py``), seeded with ``bulk_log``.

The server's runs are seeded through its own storage code (``history.append``, the ingest path
without HTTP). Prints the section; with ``--results PATH`` (default bench/RESULTS.md) writes it
there when the tree is clean (``provenance.may_write()``), never with ``--quick`` (10 runs x 10k
steps, 4 runs x 20k in the kernel) or ``--no-write``.
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

import bench_core
import httpx
import provenance

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))
SECTION = "## Compare"
MLFLOW_PYTHON = REPO / "bench/venvs/mlflow/bin/python"
TRACKIO_PYTHON = bench_core.TRACKIO_PYTHON
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
    from nbtrack.server import migrations
    from nbtrack.server.accounts import access
    from nbtrack.server.accounts.access import Viewer
    from nbtrack.server.accounts.store import require_user
    from nbtrack.server.database import Database
    from nbtrack.server.history import store as history
    from nbtrack.server.runs import store

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
    from nbtrack.server.accounts.store import new_key

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
    seeder = Path(__file__).with_name("mlflow_compare_seed.py")
    db, artifacts = data / "mlflow.db", data / "artifacts"
    seeded = subprocess.run(
        [str(MLFLOW_PYTHON), str(seeder), str(db), str(artifacts), str(steps)],
        capture_output=True,
        text=True,
        check=True,
        cwd=data,
    )
    seed: dict[str, Any] = json.loads(seeded.stdout.strip().splitlines()[-1])
    command = [str(MLFLOW_PYTHON), "-m", "mlflow", "server", "--backend-store-uri"]
    command += [f"sqlite:///{db}", "--default-artifact-root", str(artifacts)]
    command += ["--host", "127.0.0.1", "--port", str(port), "--workers", "1"]
    process = subprocess.Popen(
        command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, cwd=data
    )
    base = f"http://127.0.0.1:{port}"
    try:
        wait_until(f"{base}/health", process, timeout=180)
        with httpx.Client(base_url=base, timeout=600) as client:
            return mlflow_compare(client, seed["run_ids"]) | {"seed_s": seed["seed_s"]}
    finally:
        process.terminate()
        try:
            process.wait(30)
        except subprocess.TimeoutExpired:
            process.kill()
        shutil.rmtree(data, ignore_errors=True)


def mlflow_compare(client: httpx.Client, run_ids: list[str]) -> dict[str, Any]:
    """The chart call of MLflow's compare view for the 10 seeded runs, median of 5."""
    params = [("run_ids", r) for r in run_ids] + [("metric_key", "loss"), ("max_results", "1000")]
    url = "/ajax-api/2.0/mlflow/metrics/get-history-bulk-interval"
    answer = client.get(url, params=params).raise_for_status().json()
    spikes = len({m["run_id"] for m in answer.get("metrics", []) if m["value"] == 50.0})
    ms = median_ms(lambda: client.get(url, params=params).raise_for_status(), 5)
    return {
        "compare_10_runs_ms": ms,
        "points": len(answer.get("metrics", [])),
        "spikes_kept": spikes,
    }


def cell(figures: dict[str, Any], key: str, digits: int = 0) -> str:
    value = figures.get(key)
    return "n/a" if value is None else f"{value:.{digits}f} ms"


def trackio_figures(steps: int) -> dict[str, Any]:
    """trackio's dashboard data call (``get_logs_batch``), in its own venv (trackio_compare.py)."""
    if not TRACKIO_PYTHON.exists():
        return {"missing": "bench/venvs/trackio (bash bench/setup_peers.sh trackio)"}
    return bench_core.trackio_json("trackio_compare.py", str(steps))


def met(value: float | None, limit: float) -> str:
    return "not measured" if value is None else ("met" if value <= limit else "missed")


def notebook_figures(quick: bool) -> dict[str, Any]:
    """``nbtrack.compare()`` of 20 local runs x 100k steps in fresh real kernels
    (``jupyter_compare.py``): first reading every log, then from the kept readings."""
    import bench_jupyter
    import jupyter_compare

    runs, steps = (4, 20_000) if quick else (20, 100_000)
    with tempfile.TemporaryDirectory(prefix="nbtrack-bench-compare-") as temp:
        folder = Path(temp)
        env = bench_jupyter.kernel_env(folder)
        result = jupyter_compare.measure(
            folder, bench_jupyter.Kernel, env, runs, steps, 1 if quick else 3
        )
    for key in ("cold", "warm"):
        result[f"{key}_s"] = statistics.median(r["seconds"] for r in result[key])
        result[f"{key}_mb"] = statistics.median(r["rss_growth"] for r in result[key]) / 1e6
    return result


def server_rows(sqlite: dict[str, Any], pg: dict[str, Any]) -> list[str]:
    first = sqlite or pg
    runs = first["runs"]
    rows = [
        (f"series query, {runs} runs", 300.0, "series_ms", 0),
        (
            "series query, 10 of those runs (as the peers are measured)",
            None,
            "series_10_runs_ms",
            1,
        ),
        ("incremental poll, 10 live runs x 10 new rows", 20.0, "poll_ms", 1),
        (f"workspace drawn in Chromium, {runs} runs, from navigation", 1500.0, "workspace_ms", 0),
    ]
    lines = [
        "| figure | target | SQLite | PostgreSQL |",
        "|---|---|---|---|",
    ]
    for label, limit, key, digits in rows:
        target = "" if limit is None else f"≤ {limit:g} ms"
        cells = []
        for figures in (sqlite, pg):
            verdict = "" if limit is None or key not in figures else f": {met(figures[key], limit)}"
            cells.append(cell(figures, key, digits) + verdict)
        lines.append(f"| {label} | {target} | {cells[0]} | {cells[1]} |")
    return lines


def notebook_rows(nb: dict[str, Any]) -> list[str]:
    if not nb:
        return ["`nbtrack.compare()` in a kernel: not measured (--skip-notebook)."]
    runs, steps = nb["runs"], nb["steps"]
    lines = ["| figure | target | measured | verdict |", "|---|---|---|---|"]
    for label, key in (("first time: every log read", "cold"), ("again: kept readings", "warm")):
        seconds, growth = nb[f"{key}_s"], nb[f"{key}_mb"]
        verdict = f"≤ 1 s: {met(seconds, 1.0)}; ≤ +50 MB: {met(growth, 50.0)}"
        lines.append(
            f"| `nbtrack.compare()` of {runs} local runs x {steps // 1000}k steps, {label} | "
            f"≤ 1 s, ≤ +50 MB | {seconds * 1000:.0f} ms, kernel memory +{growth:.1f} MB "
            f"(median of {len(nb[key])} fresh kernels) | {verdict} |"
        )
    return lines


def peer_lines(first: dict[str, Any], ml: dict[str, Any], trk: dict[str, Any]) -> list[str]:
    steps = first["steps"]
    lines = []
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
    return lines


def report(
    figures: dict[str, dict[str, Any]], quick: bool, start_load: float, minutes: float
) -> str:
    sqlite, pg, nb = figures["sqlite"], figures["postgres"], figures["notebook"]
    first = sqlite or pg
    runs, steps = first["runs"], first["steps"]
    lines = [
        SECTION,
        "",
        f"Measured {provenance.now()} ({minutes:.1f} min{', --quick' if quick else ''}) by "
        f"`bench/bench_compare.py` at {provenance.commit_text()}. Machine: {provenance.machine()}; "
        f"1-minute load average {start_load:.2f} at the start and {provenance.load():.2f} at the "
        "end.",
        "",
        f"Server: {runs} runs x {steps:,} steps x 1 metric, 1000 points a run asked for.",
        "",
        *server_rows(sqlite, pg),
        "",
        f"Spikes kept: {first['spikes_kept']}/{runs} runs "
        f"(median {first['series_points_per_run']:.0f} points a run); "
        f"a poll returned {first['poll_points']:.0f} points (10 runs x 10 new rows).",
        *peer_lines(first, figures["mlflow"], figures["trackio"]),
        "",
        *notebook_rows(nb),
        "",
        NOTES,
    ]
    return "\n".join(lines) + "\n"


NOTES = (
    "How: the server figures are client round trips on loopback (the server's work plus HTTP), "
    "median of 10 (series), 20 (polls) and 3 (workspace, the page's own `performance.now()` from "
    "navigation to the panel drawn with every selected run's line); runs seeded through the "
    "server's storage code, 10 of them running. The peers get 10 runs of the same series, "
    "seeded through their own code (trackio's `bulk_log`, MLflow's store before its server "
    "starts), and are compared with nbtrack's series query for 10 runs. "
    "The `nbtrack.compare()` figures time the call plus `display()` in a fresh kernel over runs "
    "logged beforehand by another process (offline, one float metric per step), with the "
    "kernel's VmRSS before and after; the first figure deletes the readings kept beside each "
    "log (`compare-cache.json`) so every log is read (helper processes included, when the "
    "machine has the cores), the second uses them. Logs are in the page cache in both."
)


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--runs", type=int, default=100)
    parser.add_argument("--steps", type=int, default=100_000)
    parser.add_argument("--quick", action="store_true", help="10 runs x 10k steps; never writes")
    parser.add_argument("--no-write", action="store_true", help="print only")
    parser.add_argument("--results", type=Path, default=Path(__file__).with_name("RESULTS.md"))
    parser.add_argument("--skip-postgres", action="store_true", help="SQLite only")
    parser.add_argument("--skip-notebook", action="store_true", help="no nbtrack.compare()")
    parser.add_argument("--skip-mlflow", action="store_true")
    parser.add_argument("--skip-trackio", action="store_true")
    return parser.parse_args(argv)


def main() -> int:
    args = parse_args()
    runs, steps = (10, 10_000) if args.quick else (args.runs, args.steps)
    start_load, started = provenance.load(), time.perf_counter()
    parts: dict[str, Callable[[], dict[str, Any]]] = {
        "sqlite": lambda: nbtrack_figures(None, runs, steps),
        "postgres": lambda: {} if args.skip_postgres else postgres_figures(runs, steps),
        "notebook": lambda: {} if args.skip_notebook else notebook_figures(args.quick),
        "mlflow": lambda: {} if args.skip_mlflow else mlflow_figures(steps),
        "trackio": lambda: {} if args.skip_trackio else trackio_figures(steps),
    }
    figures: dict[str, dict[str, Any]] = {}
    for name, measure in parts.items():
        print(f"{name}: started at {provenance.now()}", file=sys.stderr, flush=True)
        figures[name] = measure()
    print(json.dumps(figures, indent=1, default=str), file=sys.stderr)
    minutes = (time.perf_counter() - started) / 60
    text = report(figures, args.quick, start_load, minutes)
    bench_core.publish(args.results, text, SECTION, args.quick or args.no_write)
    return 0


if __name__ == "__main__":
    sys.exit(main())
