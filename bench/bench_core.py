"""Core-client benchmark: nbtrack side by side with wandb, trackio and mlflow.

Each tracker runs in its own virtualenv (nbtrack from the project's ``.venv``, the peers from
``bench/venvs/``, see ``setup_peers.sh``). Every measurement is a fresh ``worker.py`` process
whose working directory is a throwaway git repository with one commit. The table goes to
stdout and replaces the ``## Core client`` section of ``bench/RESULTS.md``.

Usage: ``.venv/bin/python bench/bench_core.py [--quick] [--trackers nbtrack,wandb] [--no-write]``
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))
import provenance

BENCH = Path(__file__).resolve().parent
ROOT = BENCH.parent
WORKER = BENCH / "worker.py"
RESULTS = BENCH / "RESULTS.md"
SECTION = "## Core client"
INTRO = (
    "# nbtrack benchmarks\n\nMeasured figures, one section per component; see bench/README.md.\n"
)
MEASURES = ("import", "init", "log", "first_logs", "reinit", "rss", "fsyncs", "durable_log")
WORKER_MEASURE = {"fsyncs": "log", "durable_log": "log"}  # same worker code, other settings
SYNC_CALLS = "fsync,fdatasync,msync,sync_file_range"
CLEARED_ENV_PREFIXES = ("NBTRACK_", "WANDB_", "TRACKIO_", "MLFLOW_", "HF_", "PYTHON")
CLEARED_ENV = ("VIRTUAL_ENV",)

Result = dict[str, Any]


@dataclasses.dataclass(frozen=True)
class Plan:
    """How much work each measurement does for one tracker (budgets in seconds)."""

    imports: int = 7
    inits: int = 20
    log_batches: int = 20
    log_batch: int = 5000
    log_repeats: int = 1
    log_budget: float = 60.0
    reinit_runs: int = 20
    reinit_budget: float = 30.0
    rss_steps: int = 1_000_000
    rss_budget: float = 60.0
    first_logs: int = 20_000
    first_logs_repeats: int = 3
    fsync_batches: int = 4
    fsync_batch: int = 1000
    durable: bool = False  # also time nbtrack's log() with a fsync after every record

    def quick(self) -> Plan:
        return Plan(
            first_logs=self.first_logs // 10,
            first_logs_repeats=1,
            fsync_batches=2,
            fsync_batch=max(self.fsync_batch // 5, 20),
            durable=self.durable,
            imports=3,
            inits=5,
            log_batches=5,
            log_batch=max(self.log_batch // 5, 20),
            log_repeats=1,
            log_budget=self.log_budget / 6,
            reinit_runs=max(self.reinit_runs // 5, 3),
            reinit_budget=self.reinit_budget / 6,
            rss_steps=self.rss_steps // 10,
            rss_budget=self.rss_budget / 6,
        )


@dataclasses.dataclass(frozen=True)
class Tracker:
    name: str
    python: Path
    plan: Plan
    env: Callable[[Path], dict[str, str]]
    mode: str


def nbtrack_env(data: Path) -> dict[str, str]:
    return {"NBTRACK_MODE": "offline", "NBTRACK_SILENT": "true"} | provenance.nbtrack_path_env()


def wandb_env(data: Path) -> dict[str, str]:
    return {"WANDB_MODE": "offline", "WANDB_SILENT": "true"}


def trackio_env(data: Path) -> dict[str, str]:
    return {"TRACKIO_DIR": str(data / "trackio"), "HF_HOME": str(data / "hf")}


TRACKIO_PYTHON = Path(__file__).with_name("venvs") / "trackio" / "bin" / "python"


def trackio_json(script: str, *args: str) -> dict[str, Any]:
    """Run a bench script with trackio's python (bench/venvs/trackio) in a fresh trackio home,
    removed after; the JSON object it printed last."""
    home = Path(tempfile.mkdtemp(prefix="nbtrack-bench-trackio-"))
    env = dict(os.environ, TRACKIO_DIR=str(home), HF_HOME=str(home / "hf"), HOME=str(home))
    try:
        done = subprocess.run(
            [str(TRACKIO_PYTHON), str(Path(__file__).with_name(script)), *args],
            env=env,
            cwd=home,
            capture_output=True,
            text=True,
            check=True,
        )
    finally:
        shutil.rmtree(home, ignore_errors=True)
    found: dict[str, Any] = json.loads(done.stdout.strip().splitlines()[-1])
    return found


def mlflow_env(data: Path) -> dict[str, str]:
    return {"MLFLOW_TRACKING_URI": f"sqlite:///{data / 'mlflow.db'}"}


TRACKERS = (
    Tracker(
        "nbtrack",
        ROOT / ".venv/bin/python",
        Plan(log_repeats=3, reinit_runs=100, rss_budget=120.0, first_logs_repeats=5, durable=True),
        nbtrack_env,
        "offline, ./nbtrack in the repo",
    ),
    Tracker(
        "wandb",
        BENCH / "venvs/wandb/bin/python",
        Plan(),
        wandb_env,
        "offline, ./wandb in the repo",
    ),
    Tracker(
        "trackio",
        BENCH / "venvs/trackio/bin/python",
        Plan(log_repeats=2, reinit_runs=50),
        trackio_env,
        "local SQLite under TRACKIO_DIR",
    ),
    Tracker(
        "mlflow",
        BENCH / "venvs/mlflow/bin/python",
        Plan(imports=5, log_batch=200, reinit_runs=10, fsync_batch=50, first_logs_repeats=1),
        mlflow_env,
        "SQLite tracking store, start_run/end_run",
    ),
)


class WorkerError(RuntimeError):
    pass


def git(repo: Path, *args: str) -> None:
    subprocess.run(["git", "-C", str(repo), *args], check=True, capture_output=True)


def make_repo(path: Path) -> Path:
    """A git repository with one commit, used as the worker's working directory."""
    path.mkdir()
    git(path, "init", "-q")
    (path / "train.py").write_text("print('training')\n", encoding="utf-8")
    git(path, "add", "train.py")
    ident = ["-c", "user.name=bench", "-c", "user.email=bench@example.invalid"]
    git(path, *ident, "commit", "-q", "-m", "initial")
    return path


def worker_env(home: Path) -> dict[str, str]:
    env = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith(CLEARED_ENV_PREFIXES) and k not in CLEARED_ENV
    }
    env.update(HOME=str(home), XDG_CONFIG_HOME=str(home / ".config"))
    env.update(XDG_CACHE_HOME=str(home / ".cache"), XDG_DATA_HOME=str(home / ".local/share"))
    return env


def run_worker(
    tracker: Tracker, measure: str, params: dict[str, float], timeout: float, strace: bool = False
) -> Result:
    """Run one worker process in a fresh temp git repo and return its JSON result.

    ``strace``: run it under ``strace -f -c`` and add the count of each fsync-family call
    (the worker and every process it starts) as ``sync_calls``.
    """
    with tempfile.TemporaryDirectory(prefix=f"nbtrack-bench-{tracker.name}-") as tmp_name:
        tmp = Path(tmp_name)
        repo = make_repo(tmp / "repo")
        (tmp / "home").mkdir()
        env = worker_env(tmp / "home") | tracker.env(tmp / "data")
        out = tmp / "result.json"
        args = [str(tracker.python), str(WORKER), tracker.name, measure, str(out)]
        args += [f"{k}={v}" for k, v in params.items()]
        traced = tmp / "strace.txt"
        if strace:
            args = [
                "strace",
                "-f",
                "-qq",
                "-c",
                "-e",
                f"trace={SYNC_CALLS}",
                "-o",
                str(traced),
                *args,
            ]
        try:
            proc = subprocess.run(
                args, cwd=repo, env=env, capture_output=True, text=True, timeout=timeout
            )
        except subprocess.TimeoutExpired as exc:
            raise WorkerError(f"timed out after {timeout:.0f} s") from exc
        if proc.returncode != 0 or not out.exists():
            tail = (proc.stderr.strip() or proc.stdout.strip() or "no output").splitlines()[-1]
            raise WorkerError(f"exit {proc.returncode}: {tail[:200]}")
        result: Result = json.loads(out.read_text(encoding="utf-8"))
        if strace:
            result["sync_calls"] = strace_counts(traced.read_text(encoding="utf-8"))
        return result


def strace_counts(summary: str) -> dict[str, int]:
    """Calls per syscall from the table ``strace -c`` writes."""
    counts: dict[str, int] = {}
    for line in summary.splitlines():
        fields = line.split()
        if len(fields) >= 5 and fields[-1] in SYNC_CALLS.split(",") and fields[3].isdigit():
            counts[fields[-1]] = int(fields[3])
    return counts


def measure_params(plan: Plan) -> dict[str, dict[str, float]]:
    return {
        "import": {},
        "init": {"count": plan.inits, "budget": 60.0},
        "log": {"batches": plan.log_batches, "batch": plan.log_batch, "budget": plan.log_budget},
        "reinit": {"runs": plan.reinit_runs, "budget": plan.reinit_budget},
        "rss": {"steps": plan.rss_steps, "budget": plan.rss_budget},
        "first_logs": {"steps": plan.first_logs, "budget": plan.log_budget},
        "fsyncs": {"batches": plan.fsync_batches, "batch": plan.fsync_batch, "budget": 60.0},
        "durable_log": {
            "batches": min(plan.log_batches, 5),  # a fsync per call: a few small batches
            "batch": min(plan.log_batch, 1000),
            "budget": plan.log_budget,
            "fsync_each": 1,
        },
    }


def repeats(plan: Plan, measure: str) -> int:
    if measure == "durable_log" and not plan.durable:
        return 0
    counts = {"import": plan.imports, "log": plan.log_repeats, "durable_log": plan.log_repeats}
    return counts.get(measure, plan.first_logs_repeats if measure == "first_logs" else 1)


def run_measure(tracker: Tracker, plan: Plan, measure: str) -> list[Result] | str:
    """All repeats of one measurement; an error message instead if any repeat fails."""
    params = measure_params(plan)[measure]
    timeout = params.get("budget", 0.0) * 2 + 180
    worker_measure, traced = WORKER_MEASURE.get(measure, measure), measure == "fsyncs"
    runs = [params] * repeats(plan, measure)
    if traced:  # N and 2N calls: the difference leaves out what init and finish force to disk
        runs = [params, params | {"batches": params["batches"] * 2}]
    t0 = time.perf_counter()
    try:
        results = [run_worker(tracker, worker_measure, p, timeout, strace=traced) for p in runs]
    except (WorkerError, subprocess.CalledProcessError) as exc:
        note(f"[{tracker.name}] {measure}: FAILED {exc}")
        return f"{measure}: {exc}"
    note(f"[{tracker.name}] {measure}: {time.perf_counter() - t0:.1f} s")
    return results


def bench_tracker(tracker: Tracker, quick: bool) -> dict[str, list[Result] | str]:
    plan = tracker.plan.quick() if quick else tracker.plan
    if not tracker.python.exists():
        missing = f"{tracker.python} missing (run bench/setup_peers.sh)"
        return dict.fromkeys(MEASURES, missing)
    try:  # compiles bytecode and catches a broken venv before anything is timed
        run_worker(tracker, "import", {}, timeout=180)
    except (WorkerError, subprocess.CalledProcessError) as exc:
        return dict.fromkeys(MEASURES, f"import: {exc}")
    return {m: run_measure(tracker, plan, m) for m in MEASURES if repeats(plan, m)}


def note(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


# --- figures -------------------------------------------------------------------------------


@dataclasses.dataclass(frozen=True)
class Figure:
    value: float
    work: str  # how much work stood behind the value, shown next to it


def k(n: float) -> str:
    """A step count in short form: 200, 5k, 561k, 1M."""
    if n >= 1_000_000:
        return f"{n / 1e6:.3g}M"
    return f"{n / 1000:.3g}k" if n >= 1000 else f"{n:g}"


def fig_import(rs: list[Result]) -> Figure:
    return Figure(statistics.median(r["import_s"] for r in rs) * 1e3, f"median of {len(rs)}")


def fig_init(rs: list[Result]) -> Figure:
    times = rs[0]["init_s"]
    return Figure(statistics.median(times) * 1e3, f"median of {len(times)}")


def fig_first_init(rs: list[Result]) -> Figure:
    return Figure(rs[0]["init_s"][0] * 1e3, "1st init")


def fig_log(rs: list[Result]) -> Figure:
    batches = [b for r in rs for b in r["log_s"]]
    size = rs[0]["steps"] // len(rs[0]["log_s"])
    return Figure(statistics.median(batches) * 1e6, f"{len(batches)} x {k(size)} calls")


def fig_finish(rs: list[Result]) -> Figure:
    runs = f", median of {len(rs)}" if len(rs) > 1 else ""
    value = statistics.median(r["finish_s"] for r in rs) * 1e3
    return Figure(value, f"after {k(rs[0]['steps'])} steps{runs}")


def fig_reinit(rs: list[Result]) -> Figure:
    runs = rs[0]["run_s"]
    return Figure(statistics.fmean(runs) * 1e3, f"mean of {len(runs)} runs")


def fig_rss(rs: list[Result]) -> Figure:
    return Figure(rs[0]["peak_kb"] * 1024 / 1e6, f"{k(rs[0]['steps'])} steps")


def fig_helper_rss(rs: list[Result]) -> Figure:
    return Figure(rs[0]["helpers_kb"] * 1024 / 1e6, "descendants")


def fig_total_rss(rs: list[Result]) -> Figure:
    kb = rs[0]["peak_kb"] + rs[0]["helpers_kb"]
    return Figure(kb * 1024 / 1e6, f"{k(rs[0]['steps'])} steps")


def fig_first_logs(rs: list[Result]) -> Figure:
    total = statistics.median(r["init_s"] + r["logs_s"] for r in rs) * 1e3
    init = statistics.median(r["init_s"] for r in rs) * 1e3
    per_call = statistics.median(r["logs_s"] / r["steps"] for r in rs) * 1e6
    runs = f", median of {len(rs)}" if len(rs) > 1 else ""
    return Figure(
        total,
        f"init {fmt(init)} ms + {fmt(per_call)} µs per call over {k(rs[0]['steps'])} calls{runs}",
    )


def fig_fsyncs(rs: list[Result]) -> Figure:
    (few, f), (many, m) = ((sum(r["sync_calls"].values()), r["steps"]) for r in rs)
    per_1k = max(0, many - few) / (m - f) * 1000
    return Figure(per_1k, f"{few} in a process of {k(f)} calls, {many} with {k(m)} calls")


@dataclasses.dataclass(frozen=True)
class Row:
    label: str
    measure: str
    unit: str
    target: float | None
    figure: Callable[[list[Result]], Figure]
    peer_measure: str | None = None  # the peers' figure for this row, when it differs
    ratio: bool = True


ROWS = (
    Row("`import` (in a fresh process)", "import", "ms", 50, fig_import),
    Row("`init()` offline, in a git repo", "init", "ms", 10, fig_init),
    Row("first `init()` of a process", "init", "ms", None, fig_first_init),
    Row("`log()` per call, 10 float keys", "log", "µs", 5, fig_log),
    Row(
        "fsync-family calls per 1k `log()` calls (strace, durability)",
        "fsyncs",
        "calls",
        None,
        fig_fsyncs,
        ratio=False,
    ),
    Row(
        "`log()` per call at equal durability: nbtrack fsyncs every record, peers as above",
        "durable_log",
        "µs",
        None,
        fig_log,
        peer_measure="log",
    ),
    Row(
        "`init()` + the first 20k `log()` calls, in a git repo",
        "first_logs",
        "ms",
        None,
        fig_first_logs,
    ),
    Row("`finish()` after logging", "log", "ms", 50, fig_finish),
    Row("reinit loop (init, 100 logs, finish)", "reinit", "ms/run", 10, fig_reinit),
    Row("peak RSS of the process, logging", "rss", "MB", 60, fig_rss),
    Row("peak RSS of helper processes", "rss", "MB", None, fig_helper_rss),
    Row("peak RSS, process + helpers", "rss", "MB", None, fig_total_rss),
)


def fmt(value: float) -> str:
    return f"{value:.3g}" if value < 100 else f"{value:.0f}"


def figure_of(row: Row, data: dict[str, list[Result] | str], peer: bool = False) -> Figure | None:
    results = data.get(row.peer_measure or row.measure) if peer else data.get(row.measure)
    return None if results is None or isinstance(results, str) else row.figure(results)


def cell(fig: Figure | None, unit: str) -> str:
    return "error" if fig is None else f"{fmt(fig.value)} {unit} ({fig.work})"


def verdict(fig: Figure | None, target: float | None) -> str:
    if target is None:
        return ""
    if fig is None:
        return "FAIL (error)"
    return "pass" if fig.value <= target else "FAIL"


def ratio(ours: Figure | None, peer: Figure | None) -> str:
    if ours is None or peer is None or peer.value == 0:
        return "-"
    return f"{ours.value / peer.value:.2g}"


def table_row(row: Row, names: Sequence[str], data: dict[str, dict[str, Any]]) -> str:
    ours = figure_of(row, data["nbtrack"]) if "nbtrack" in data else None
    target = "-" if row.target is None else f"≤ {row.target:g} {row.unit}"
    cells = [row.label, target]
    if "nbtrack" in data:
        cells += [cell(ours, row.unit), verdict(ours, row.target)]
    for name in names:
        if name == "nbtrack":
            continue
        peer = figure_of(row, data[name], peer=True)
        cells.append(cell(peer, row.unit))
        if "nbtrack" in data:
            cells.append(ratio(ours, peer) if row.ratio else "-")
    return "| " + " | ".join(cells) + " |"


def version_of(data: dict[str, list[Result] | str]) -> str:
    for results in data.values():
        if not isinstance(results, str) and results:
            return str(results[0]["version"])
    return "?"


def table(names: Sequence[str], data: dict[str, dict[str, Any]]) -> list[str]:
    head = ["figure", "nbtrack target"]
    if "nbtrack" in names:
        head += [f"nbtrack {version_of(data['nbtrack'])}", "nbtrack vs target"]
    for name in names:
        if name != "nbtrack":
            head.append(f"{name} {version_of(data[name])}")
            if "nbtrack" in names:
                head.append(f"nbtrack/{name}")
    lines = ["| " + " | ".join(head) + " |", "|" + "---|" * len(head)]
    return lines + [table_row(row, names, data) for row in ROWS]


# --- report --------------------------------------------------------------------------------


def header(quick: bool, load: float, end_load: float, elapsed: float) -> list[str]:
    kind = "quick smoke run, not representative" if quick else "full run"
    return [
        SECTION,
        "",
        f"Measured {provenance.now()} ({kind}, {elapsed / 60:.1f} min) by `bench/bench_core.py` "
        f"at {provenance.commit_text()}.",
        f"Machine: {provenance.machine()} in every virtualenv; 1-minute load average "
        f"{load:.2f} at the start and {end_load:.2f} at the end.",
        "",
    ]


def notes(
    names: Sequence[str], data: dict[str, dict[str, Any]], loads: dict[str, float]
) -> list[str]:
    modes = ", ".join(f"{t.name}: {t.mode}" for t in TRACKERS if t.name in names)
    load_after = ", ".join(f"{name} {load:.2f}" for name, load in loads.items())
    lines = [
        "",
        f"Each figure comes from fresh worker processes run one at a time inside a new git "
        f"repository with one commit. Storage: {modes}. The bracket says how much work stood "
        "behind a figure: slow peers get fewer steps and runs, and stop at time budgets; "
        "the logging runs for peak RSS stop at 1M steps or at their time budget. "
        "Ratios are nbtrack's figure divided by the peer's (below 1: nbtrack is faster or "
        "smaller). `log()` times only the calls (the metric dicts are built beforehand); "
        "`init()` times only the init call (the previous run is finished outside the timer); "
        "helper processes are the worker's descendants (e.g. a logging service), their peak "
        "RSS (VmHWM) read just before and after `finish()`. 1-minute load average when each "
        f"tracker's runs ended: {load_after}.",
        "",
        "Durability: the fsync row counts, with `strace -f`, the fsync, fdatasync, msync and "
        "sync_file_range calls of two whole worker processes (and the processes they start) "
        "that init, log N or 2N calls and finish; the difference per 1000 extra calls is how "
        "often logged data was forced to disk, without what init and finish do once. "
        "nbtrack's log is written with one "
        "`write` per record and fsynced by a background thread once a second and at "
        "`finish()`; the equal-durability row times nbtrack with an `fdatasync` of the run log "
        "after every `log()` call, next to each peer's own `log()` figure (so its ratio "
        "compares nbtrack at a fsync per record with the peer as it ships). `init()` times "
        "the call only: nbtrack captures git state in a background thread (cached for 2 s per "
        "repository), so that work is not in the `init()` row; the `init()` + first 20k "
        "`log()` row times both, as a script's start feels them, the dicts built beforehand.",
    ]
    errors = [
        f"- {name}: {value}"
        for name in names
        for value in dict.fromkeys(v for v in data[name].values() if isinstance(v, str))
    ]
    return lines + (["", "Errors:", *errors] if errors else [])


def replace_section(text: str, section: str, heading: str = SECTION) -> str:
    """Replace the section under ``heading`` in ``text`` (or append it), keep the rest."""
    lines = text.splitlines()
    start = next((i for i, line in enumerate(lines) if line.strip() == heading), None)
    if start is None:
        return text.rstrip("\n") + "\n\n" + section
    end = next((i for i in range(start + 1, len(lines)) if lines[i].startswith("## ")), len(lines))
    after = "\n".join(lines[end:])
    return "\n".join(lines[:start]) + "\n" + section + ("\n" + after + "\n" if after else "")


def save_raw(path: Path, data: dict[str, Any]) -> None:
    """Keep the workers' raw results next to the table, for a closer look."""
    path.parent.mkdir(exist_ok=True)
    path.write_text(json.dumps(data, indent=1), encoding="utf-8")
    note(f"raw results: {path}")


def write_results(path: Path, section: str, heading: str = SECTION) -> None:
    text = path.read_text(encoding="utf-8") if path.exists() else INTRO
    path.write_text(replace_section(text, section, heading), encoding="utf-8")


def publish(path: Path, section: str, heading: str = SECTION, skip: bool = False) -> None:
    """Print a section and write it into RESULTS.md, unless ``skip`` (a quick run, --no-write)
    or the tree has uncommitted changes (a figure must name the code it measured)."""
    print(section)
    if skip or not provenance.may_write():
        note("not written to RESULTS.md (quick run, --no-write, or uncommitted changes)")
    else:
        write_results(path, section, heading)
        note(f"wrote {path}")


# --- main ----------------------------------------------------------------------------------


def parse_args(argv: Sequence[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true", help="small smoke run; implies --no-write")
    parser.add_argument("--trackers", default=",".join(t.name for t in TRACKERS))
    parser.add_argument("--no-write", action="store_true", help="print only")
    parser.add_argument("--results", type=Path, default=RESULTS)
    parser.add_argument("--cpu", type=int, help="pin the benchmark processes to this CPU")
    return parser.parse_args(argv)


def main(argv: Sequence[str] | None = None) -> int:
    args = parse_args(argv)
    names = [t.name for t in TRACKERS if t.name in args.trackers.split(",")]
    if args.cpu is not None:
        os.sched_setaffinity(0, {args.cpu})
    load, t0 = provenance.load(), time.perf_counter()
    data, loads = {}, {}
    for tracker in (t for t in TRACKERS if t.name in names):
        data[tracker.name] = bench_tracker(tracker, args.quick)
        loads[tracker.name] = provenance.load()
    save_raw(args.results.parent / "out/core-results.json", {"results": data, "load_after": loads})
    head = header(args.quick, load, provenance.load(), time.perf_counter() - t0)
    section = "\n".join(head + table(names, data) + notes(names, data, loads)) + "\n"
    publish(args.results, section, skip=args.quick or args.no_write)
    return 0


if __name__ == "__main__":
    sys.exit(main())
