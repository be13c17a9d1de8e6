"""wandb drop-in figures: ``import``, ``log()`` of 10 floats, and the module-level ``log()`` right
after ``init()`` in a fresh process (first 20k calls against the later ones), nbtrack side by side
with trackio in one run.

Every figure comes from fresh ``worker.py`` processes (``bench_core.run_worker``: a throwaway git
repository as working directory, the tracker's own virtualenv), nbtrack and trackio alternating so
that both see the same machine load. The section goes to stdout and, for a clean tree, replaces
``## wandb drop-in`` in ``bench/RESULTS.md``.

Usage: ``bash bench/measure.sh dropin`` (a clean export of HEAD), or
``.venv/bin/python bench/bench_dropin.py [--quick] [--no-write]``
"""

from __future__ import annotations

import argparse
import dataclasses
import statistics
import sys
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))
import bench_core
import provenance

SECTION = "## wandb drop-in"
PEERS = ("nbtrack", "trackio")
Result = dict[str, Any]


@dataclasses.dataclass(frozen=True)
class Plan:
    imports: int = 9  # fresh processes per tracker
    log_rounds: int = 3  # processes per tracker for run.log() in steady state
    log_batches: int = 20
    log_batch: int = 5000
    start_rounds: int = 3  # fresh processes per tracker for the module-level log() after init()
    start_steps: int = 100_000
    start_batch: int = 1000
    first: int = 20_000

    def quick(self) -> Plan:
        return Plan(3, 1, 4, 2000, 1, 20_000, 1000, 5000)


def tracker(name: str) -> bench_core.Tracker:
    return next(t for t in bench_core.TRACKERS if t.name == name)


def alternate(rounds: int, measure: str, params: dict[str, float]) -> dict[str, list[Result]]:
    """``rounds`` fresh workers per tracker, nbtrack and trackio taking turns."""
    out: dict[str, list[Result]] = {name: [] for name in PEERS}
    for _ in range(rounds):
        for name in PEERS:
            result = bench_core.run_worker(tracker(name), measure, params, timeout=900)
            out[name].append(result | {"load": provenance.load()})
    return out


def measure(plan: Plan) -> dict[str, dict[str, list[Result]]]:
    steady: dict[str, float] = {
        "batches": plan.log_batches,
        "batch": plan.log_batch,
        "budget": 120.0,
    }
    start: dict[str, float] = {"steps": plan.start_steps, "batch": plan.start_batch}
    data = {}
    for key, rounds, worker, params in (
        ("import", plan.imports, "import", dict[str, float]()),
        ("log", plan.log_rounds, "log", steady),
        ("start", plan.start_rounds, "start_logs", start),
    ):
        t0 = time.perf_counter()
        data[key] = alternate(rounds, worker, params)
        bench_core.note(f"{key}: {time.perf_counter() - t0:.1f} s (load {provenance.load():.2f})")
    return data


def import_ms(results: list[Result]) -> float:
    return float(statistics.median(r["import_s"] for r in results)) * 1e3


def steady_us(results: list[Result]) -> float:
    """The median over processes of each process's median batch (µs per call)."""
    return float(statistics.median(statistics.median(r["log_s"]) for r in results)) * 1e6


def start_us(results: list[Result], first: int, part: str) -> float:
    """Mean µs per call of the first ``first`` calls, of all calls, or of the calls after them
    (``part``: first / all / rest), the median over processes."""
    values = []
    for r in results:
        count = first // int(r["batch"])
        chosen = {"first": r["log_s"][:count], "all": r["log_s"], "rest": r["log_s"][count:]}
        values.append(statistics.mean(chosen[part]))
    return float(statistics.median(values)) * 1e6


def cpu_figures(results: list[Result], first: int) -> tuple[float, float, float]:
    """Medians over processes: the main thread's CPU µs per call in the first calls and in the
    later ones, and the other threads' CPU ms from ``init()`` to the end of the first calls."""
    firsts, rests, others = [], [], []
    for r in results:
        marks, count = r["cpu_marks"], first // int(r["batch"])
        calls = int(r["batch"]) * len(marks)
        firsts.append(marks[count - 1][1] / first)
        rests.append((marks[-1][1] - marks[count - 1][1]) / (calls - first))
        others.append(marks[count - 1][0] - marks[count - 1][1])
    med = statistics.median
    return float(med(firsts)) * 1e6, float(med(rests)) * 1e6, float(med(others)) * 1e3


def loads(data: dict[str, dict[str, list[Result]]], key: str) -> str:
    values = [r["load"] for results in data[key].values() for r in results]
    return f"{min(values):.1f} to {max(values):.1f}"


def rows(data: dict[str, dict[str, list[Result]]], plan: Plan) -> list[str]:
    imp, log, start = data["import"], data["log"], data["start"]
    n_first = f"{plan.first // 1000}k"
    first = {name: start_us(start[name], plan.first, "first") for name in PEERS}
    rest = {name: start_us(start[name], plan.first, "rest") for name in PEERS}
    lines = [
        (
            "`import` (fresh process, median)",
            import_ms(imp["nbtrack"]),
            import_ms(imp["trackio"]),
            "ms",
            0.15,
            "import",
        ),
        (
            f"`run.log()` 10 floats, steady (median of {plan.log_batch}-call batches)",
            steady_us(log["nbtrack"]),
            steady_us(log["trackio"]),
            "µs",
            0.2,
            "log",
        ),
        (
            f"module-level `log()` right after `init()`, first {n_first} calls (mean)",
            first["nbtrack"],
            first["trackio"],
            "µs",
            0.2,
            "start",
        ),
        (
            f"module-level `log()`, calls {n_first} to {plan.start_steps // 1000}k (mean)",
            rest["nbtrack"],
            rest["trackio"],
            "µs",
            0.2,
            "start",
        ),
    ]
    out = [
        "| figure | nbtrack | trackio | nbtrack/trackio | target | load (1 min) |",
        "|---|---|---|---|---|---|",
    ]
    for label, ours, peer, unit, target, key in lines:
        ratio = ours / peer
        verdict = "pass" if ratio <= target else "FAIL"
        out.append(
            f"| {label} | {ours:.3g} {unit} | {peer:.3g} {unit} | {ratio:.3f} | "
            f"≤ {target} ({verdict}) | {loads(data, key)} |"
        )
    out += ["", *cpu_rows(start, plan)]
    ours_start = first["nbtrack"] / rest["nbtrack"]
    out += [
        "",
        f"nbtrack's first {n_first} module-level calls after `init()` take {ours_start:.2f}x the "
        f"time of the later ones (trackio: {first['trackio'] / rest['trackio']:.2f}x); "
        f"{plan.start_rounds} fresh processes per tracker, {plan.imports} for `import`, "
        f"{plan.log_rounds} for the steady `run.log()` figure.",
    ]
    return out


def cpu_rows(start: dict[str, list[Result]], plan: Plan) -> list[str]:
    """CPU time, which a busy machine inflates far less than wall time."""
    n_first = f"{plan.first // 1000}k"
    out = [
        f"CPU time of the module-level `log()` runs (main thread per call, first {n_first} calls "
        "and later; other threads from `init()` to the end of the first calls):",
        "",
        f"| tracker | main thread, first {n_first} | main thread, later | other threads during "
        f"`init()` + first {n_first} |",
        "|---|---|---|---|",
    ]
    for name in PEERS:
        firsts, rests, others = cpu_figures(start[name], plan.first)
        out.append(f"| {name} | {firsts:.3g} µs | {rests:.3g} µs | {others:.3g} ms |")
    return out


def section(data: dict[str, dict[str, list[Result]]], plan: Plan, head: dict[str, Any]) -> str:
    intro = [
        SECTION,
        "",
        f"Measured {provenance.now()} ({head['kind']}, {head['minutes']:.1f} min) by "
        f"`bench/bench_dropin.py` at {provenance.commit_text()}.",
        f"Machine: {provenance.machine()}, load average {head['load0']:.2f} at start and "
        f"{provenance.load():.2f} at the end.",
        "",
    ]
    return "\n".join(intro + rows(data, plan)) + "\n"


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true", help="small smoke run; never writes")
    parser.add_argument("--no-write", action="store_true", help="print only")
    parser.add_argument("--results", type=Path, default=bench_core.RESULTS)
    args = parser.parse_args(argv)
    plan = Plan().quick() if args.quick else Plan()
    load0, t0 = provenance.load(), time.perf_counter()
    data = measure(plan)
    minutes = (time.perf_counter() - t0) / 60
    kind = "quick run" if args.quick else "full run"
    text = section(data, plan, {"kind": kind, "minutes": minutes, "load0": load0})
    bench_core.save_raw(bench_core.BENCH / "out/dropin-results.json", data)
    bench_core.publish(args.results, text, SECTION, args.quick or args.no_write)
    return 0


if __name__ == "__main__":
    sys.exit(main())
