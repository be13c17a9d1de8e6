"""Online and sync benchmark: nbtrack against a local ``nbtrack server``, peers where they exist.

One module per figure, all sharing ``harness.py`` (parent side) and ``worker.py`` (every
measurement runs in a fresh ``worker.py`` process under the tracker's own python):
``online_init.py`` (``init()`` online), ``online_log.py`` (``log()`` online vs offline and
``finish()``), ``online_sync.py`` (uploading an offline run). Peers: trackio (local store) and
an MLflow tracking server on SQLite; wandb needs a wandb server for online mode and sync.
The table replaces the ``## Online and sync`` section of ``bench/RESULTS.md``.

Usage: ``.venv/bin/python bench/bench_online.py [--quick] [--no-write] [--only init,log,sync]``
"""

from __future__ import annotations

import argparse
import contextlib
import dataclasses
import json
import sys
import tempfile
import time
from collections.abc import Iterator, Sequence
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

import bench_core
import harness
import online_init
import online_log
import online_sync
import provenance
from harness import Data, Plan, Scratch, Servers, note

SECTION = "## Online and sync"
PARTS = {"init": online_init.measure, "log": online_log.measure, "sync": online_sync.measure}


def measure(args: argparse.Namespace) -> Data:
    """Every measurement of the parts asked for; the raw results are saved for --render."""
    plan = Plan().quick() if args.quick else Plan()
    parts = [p for p in PARTS if p in args.only.split(",")]
    t0 = time.perf_counter()
    data: Data = {"plan": dataclasses.asdict(plan), "start_load": provenance.load()}
    data["quick"] = args.quick
    with tempfile.TemporaryDirectory(prefix="nbtrack-bench-online-") as tmp:
        scratch = Scratch(Path(tmp))
        with servers(scratch, parts) as running:
            for part in parts:
                PARTS[part](plan, scratch, running, data)
    data["elapsed"] = time.perf_counter() - t0
    data["versions"] = versions(data)
    data["measured"], data["commit"] = provenance.now(), provenance.commit_text()
    data["machine"], data["end_load"] = provenance.machine(), provenance.load()
    return data


@contextlib.contextmanager
def servers(scratch: Scratch, parts: Sequence[str]) -> Iterator[Servers]:
    """The nbtrack server for init and log, the MLflow server for every part that has a peer."""
    with contextlib.ExitStack() as stack:
        running = Servers()
        if {"init", "log"} & set(parts):
            running.nbtrack = stack.enter_context(harness.nbtrack_server(scratch))
        if harness.MLFLOW_CLI.exists():
            running.mlflow = stack.enter_context(harness.mlflow_server(scratch))
        yield running


def versions(data: Data) -> dict[str, str]:
    """The version each tracker's children reported."""
    found: dict[str, str] = {}
    for item in data.values():
        results = item if isinstance(item, list) else [item]
        if isinstance(item, dict) and "online" in item:
            results = item["online"]
        for result in results:
            if isinstance(result, dict) and "tracker" in result:
                found.setdefault(result["tracker"], str(result.get("version", "")))
    return found


def header(data: Data) -> list[str]:
    kind = "quick smoke run, not representative" if data["quick"] else "full run"
    peers = ", ".join(f"{name} {v}" for name, v in data["versions"].items() if v)
    return [
        SECTION,
        "",
        f"Measured {data['measured']} ({kind}, {data['elapsed'] / 60:.1f} min) by "
        f"`bench/bench_online.py` at {data['commit']}.",
        f"Machine: {data['machine']}; {peers}. 1-minute load average {data['start_load']:.2f} at "
        f"the start and {data['end_load']:.2f} at the end; the load column gives it right after "
        "each figure.",
        "",
    ]


def notes(plan: Plan) -> list[str]:
    return [
        "",
        "How: every figure comes from fresh `worker.py` processes, each in a new git repository "
        "with one commit and its own HOME and NBTRACK_CONFIG_DIR (`log()` times only the calls, "
        "the metric dicts are built beforehand; `init()` only the init call). nbtrack talks to "
        "a `nbtrack server` on 127.0.0.1 (SQLite; one for the `init()` and `log()` figures, a "
        "fresh one for the sync figures); offline and online `log()` processes alternate. "
        "NBTRACK_FINISH_TIMEOUT is raised to 300 s so that `finish()` waits for the whole "
        "upload. `log()` is measured twice: right after `init()` (the uploader thread wakes "
        "every 0.5 s), and after a backlog of steps logged in the untimed `init()` phase, with "
        "the timing started only once the server had acknowledged the first records (the "
        "offline processes log the same backlog and take the same pause). The median over "
        "batches is the headline; the mean over all calls also counts the slow batches. The "
        "offline runs for sync are written by a separate process first; `nbtrack.sync()` is "
        "timed around the call in a fresh process, with the client's functions wrapped by "
        "timers (request time = from sending to the decoded answer); server CPU is read from "
        "/proc. The MLflow server runs `mlflow server --backend-store-uri sqlite:///... "
        "--workers 1`; its upload sends 100 steps x 10 keys per `log_batch` (1000 metrics, its "
        f"limit) and stops after {plan.mlflow_upload_budget:.0f} s, the figure then being "
        "scaled to the full step count. trackio logs to its local SQLite store (its own `log()` "
        "path, as in the core table).",
    ]


def section(data: Data) -> str:
    """The Markdown section for the results of one run (as saved in the raw file)."""
    plan = Plan(**data["plan"])
    rows = online_init.lines(data) + online_log.log_lines(data) + online_log.finish_lines(data)
    rows += online_sync.lines(data, plan)
    body = header(data) + harness.table(rows) + online_log.reading(data)
    more = online_sync.breakdown(data)
    return "\n".join(body + (["", *more] if more else []) + notes(plan)) + "\n"


def parse_args(argv: Sequence[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true", help="small smoke run; implies --no-write")
    parser.add_argument("--no-write", action="store_true", help="print only")
    parser.add_argument("--results", type=Path, default=bench_core.RESULTS)
    parser.add_argument("--only", default=",".join(PARTS), help="parts to run (comma-separated)")
    parser.add_argument(
        "--render",
        type=Path,
        metavar="RAW_JSON",
        help="measure nothing: redo the section from the raw results a run saved",
    )
    return parser.parse_args(argv)


def main(argv: Sequence[str] | None = None) -> int:
    args = parse_args(argv)
    raw = args.results.parent / "out/online-results.json"
    if args.render:
        data = json.loads(args.render.read_text(encoding="utf-8"))
    else:
        data = measure(args)
        raw.parent.mkdir(exist_ok=True)
        raw.write_text(json.dumps(data, indent=1), encoding="utf-8")
        note(f"raw results: {raw}")
    text = section(data)
    clean = data["commit"].endswith("(clean tree)")  # when the measuring began
    bench_core.publish(args.results, text, SECTION, data["quick"] or args.no_write or not clean)
    return 0


if __name__ == "__main__":
    sys.exit(main())
