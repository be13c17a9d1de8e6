"""Integrations and system metrics: the cost of ``watch()`` and of the system-metrics monitor,
nbtrack side by side with wandb (offline, its own ``wandb.watch`` and system monitor).

Every figure comes from a fresh ``worker.py`` process (``worker_integrations.py``) in a
throwaway git repository, under the tracker's own virtualenv (``bench/venvs/wandb`` needs
torch 2.13.0 CPU and numpy for ``wandb.watch``; without them the wandb column says so):

- *watch*: three 784-256-10 MLPs (batch 64, SGD, one torch thread) trained in alternating blocks
  of 1000 steps in one run, a ``log({"loss"})`` per step: not watched, ``watch(log="gradients")``
  and ``watch(log="all")`` at the default ``log_freq=1000``, so each watched block holds exactly
  one due step; the slowdown is the median over rounds of each block's wall time per step over
  the unwatched block of its round, and the same for the process's CPU time (on a busy machine
  the wall time also holds the waits for a core); the target is checked on the larger.
- *monitor*: a run left idle with the monitor on at the tracker's default interval and one with
  it off: the CPU time of the process and its descendants (wandb's monitor runs in its
  ``wandb-core`` process) over the window, on minus off, as a share of one core; for nbtrack
  also its sampler thread's own CPU time (psutil loading included), and the steady cost of one
  sample (a 0.1 s interval, timed from the first sample on).
- *log()*: nbtrack's ``log({"loss": x})`` per call in runs with the sampler on at 0.1 s (100
  times the default rate, so samples land inside the timed calls; they are counted) and off,
  alternating, timed from 0.5 s after ``init()`` and the first sample (the one-time loading of
  psutil, which nbtrack defers to 2 s after ``init()``, is in the sampler-thread row instead);
  the median of the paired ratios, and the ``log()`` time lost per sample, which gives the
  slowdown at the default interval (the target is checked on that).

The section goes to stdout and, for a clean tree, replaces ``## Integrations and system
metrics`` in ``bench/RESULTS.md``.

Usage: ``bash bench/measure.sh integrations`` (a clean export of HEAD), or
``.venv/bin/python bench/bench_integrations.py [--quick] [--no-write]``
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))
import bench_core
import harness
import provenance

SECTION = "## Integrations and system metrics"
PYTHONS = {"nbtrack": harness.NBTRACK_PYTHON, "wandb": harness.BENCH / "venvs/wandb/bin/python"}
SAMPLER_LIMIT = 0.5  # % of one core at the default interval
LOG_LIMIT = 1.0  # % slowdown of log() at the default interval (from the 100x-rate figure)
WATCH_LIMIT = 5.0  # % training slowdown at the default log_freq
Result = dict[str, Any]


@dataclasses.dataclass(frozen=True)
class Plan:
    watch_rounds: int = 9
    block: int = 1000
    idle_s: float = 60.0  # an idle run at the default interval, per tracker and on/off
    fast_s: float = 10.0  # nbtrack's sampler at 0.1 s, for the cost of one sample
    log_rounds: int = 9
    log_calls: int = 200_000

    def quick(self) -> Plan:
        return Plan(2, 1000, 12.0, 3.0, 2, 20_000)


def usable(tracker: str) -> str | None:
    """None when the tracker's python can run the measurements, else why not."""
    python = PYTHONS[tracker]
    if not python.exists():
        return f"{python} is missing (bash bench/setup_peers.sh {tracker})"
    check = [str(python), "-c", "import torch, numpy"]
    if subprocess.run(check, capture_output=True).returncode != 0:
        return f"no torch/numpy in {python.parent.parent} (pip install torch==2.13.0 numpy)"
    return None


def child(tracker: str, measure: str, params: Result, scratch: harness.Scratch) -> Result:
    env = {"NBTRACK_SILENT": "1", "WANDB_SILENT": "true"}
    return harness.run_child(PYTHONS[tracker], tracker, measure, params, env, scratch)


def measure(tracker: str, plan: Plan, scratch: harness.Scratch) -> Result:
    harness.note(f"{tracker}: watch")
    params = {"rounds": plan.watch_rounds, "block": plan.block}
    out: Result = {"watch": child(tracker, "watch", params, scratch)}
    for stats in (1, 0):
        harness.note(f"{tracker}: idle run, monitor {'on' if stats else 'off'}")
        idle = {"seconds": plan.idle_s, "stats": stats}
        out[f"idle_{'on' if stats else 'off'}"] = child(tracker, "idle", idle, scratch)
    if tracker == "nbtrack":
        out.update(nbtrack_only(plan, scratch))
    return out


def nbtrack_only(plan: Plan, scratch: harness.Scratch) -> Result:
    harness.note("nbtrack: one sample's cost, log() with the sampler on and off")
    fast = {"seconds": plan.fast_s, "stats": 1, "interval": 0.1, "after_first": 1}
    calls = {"rounds": plan.log_rounds, "calls": plan.log_calls, "interval": 0.1}
    return {
        "fast": child("nbtrack", "idle", fast, scratch),
        "log": child("nbtrack", "stats_log", calls, scratch),
    }


def peer(tracker: str, plan: Plan, scratch: harness.Scratch) -> Result:
    missing = usable(tracker)
    if missing:
        return {"error": missing}
    try:
        return measure(tracker, plan, scratch)
    except harness.ChildError as exc:
        return {"error": str(exc)}


# --- figures -------------------------------------------------------------------------------


def slowdown(blocks: Result, mode: str, kind: str) -> float:
    """Median over rounds of (block of ``mode`` / unwatched block of its round) - 1, in %."""
    pairs = zip(blocks[mode][kind], blocks["off"][kind], strict=True)
    return (statistics.median(on / off for on, off in pairs) - 1) * 100


def tree_share(on: Result, off: Result) -> float:
    """CPU of the process and its descendants per wall second, monitor on minus off, in %."""

    def rate(r: Result) -> float:
        return (r["self_cpu"] + r["children_cpu"]) / r["wall"]

    return (rate(on) - rate(off)) * 100


def log_change(data: Result) -> float:
    ratios = [on / off for on, off in zip(data["on"], data["off"], strict=True)]
    return (statistics.median(ratios) - 1) * 100


def per_sample_loss(data: Result, calls: int) -> float:
    """Seconds of ``log()`` time lost per sample: the median over rounds of (on - off) x calls
    / the samples taken during the on run's timed calls."""
    rounds = zip(data["on"], data["off"], data["samples"], strict=True)
    return statistics.median((on - off) * calls / max(n, 1) for on, off, n in rounds)


def verdict(value: float, limit: float, absolute: bool = False) -> str:
    shown = abs(value) if absolute else value
    return f"{'met' if shown <= limit else 'missed'}"


# --- the section ---------------------------------------------------------------------------


def watch_rows(data: dict[str, Result], plan: Plan) -> list[str]:
    rows = []
    for mode, target in (("gradients", f"≤ {WATCH_LIMIT:g}%"), ("all", "-")):
        cells = [watch_cell(data.get(name), mode) for name in PYTHONS]
        ours = data["nbtrack"]["watch"]["blocks"]
        worse = max(slowdown(ours, mode, "wall"), slowdown(ours, mode, "cpu"))
        met = verdict(worse, WATCH_LIMIT) if target != "-" else ""
        rows.append(
            f'| `watch(model, log="{mode}")` training slowdown, wall (process CPU; the target '
            "on the larger) | "
            f"{target}{': ' + met if met else ''} | {cells[0]} | {cells[1]} | "
            f"{plan.watch_rounds} rounds of {plan.block}-step blocks, one due step in each |"
        )
    return rows


def watch_cell(result: Result | None, mode: str) -> str:
    if result is None or isinstance(result.get("error"), str):
        return (result or {}).get("error", "not measured")
    blocks = result["watch"]["blocks"]
    return f"{slowdown(blocks, mode, 'wall'):+.2f}% ({slowdown(blocks, mode, 'cpu'):+.2f}%)"


def monitor_rows(data: dict[str, Result], plan: Plan) -> list[str]:
    nbt = data["nbtrack"]
    thread = nbt["idle_on"]["thread_cpu"] / nbt["idle_on"]["wall"] * 100
    fast = nbt["fast"]
    per_sample = fast["thread_cpu"] / fast["samples"]
    interval = nbt["idle_on"]["interval"]
    cells = [monitor_cell(data.get(name)) for name in PYTHONS]
    return [
        f"| system monitor at the default interval: CPU of the process and its descendants, "
        f"on minus off, % of one core | - | {cells[0]} | {cells[1]} | an idle run of "
        f"{plan.idle_s:g} s each way |",
        f"| nbtrack's sampler thread, % of one core at the default {interval:g} s | "
        f"≤ {SAMPLER_LIMIT:g}%: {verdict(thread, SAMPLER_LIMIT)} | {thread:.4f}% | - | its own CPU "
        f"time over {nbt['idle_on']['wall']:.0f} s, {plural(nbt['idle_on']['samples'], 'sample')}, "
        "psutil loading included |",
        f"| one sample, sampler thread CPU (steady) | - | {per_sample * 1e3:.3g} ms, "
        f"{per_sample / interval * 100:.4f}% of one core at {interval:g} s | - | "
        f"{fast['samples']} samples at 0.1 s, from the first sample on |",
    ]


def plural(count: int, noun: str) -> str:
    return f"{count} {noun}{'' if count == 1 else 's'}"


def monitor_cell(result: Result | None) -> str:
    if result is None or isinstance(result.get("error"), str):
        return (result or {}).get("error", "not measured")
    on, off = result["idle_on"], result["idle_off"]
    return f"{tree_share(on, off):+.3f}% (every {on['interval']:g} s)"


def log_row(data: Result, plan: Plan) -> list[str]:
    log, interval = data["log"], data["idle_on"]["interval"]
    change = log_change(log)
    lost = per_sample_loss(log, plan.log_calls)
    at_default = lost / interval * 100
    on, off = statistics.median(log["on"]), statistics.median(log["off"])
    samples = ", ".join(str(n) for n in log["samples"])
    return [
        f"| `log()` per call, sampler on at 0.1 s vs off (median of paired ratios) | - | "
        f"{change:+.2f}% ({on * 1e6:.3g} µs vs {off * 1e6:.3g} µs) | - | {len(log['on'])} rounds "
        f"of {plan.log_calls:,} calls each way, from 0.5 s after `init()` and the first sample; "
        f"samples during the timed calls: {samples} |",
        f"| `log()` time lost per sample, and the slowdown that makes at the default "
        f"{interval:g} s | no effect (within ±{LOG_LIMIT:g}%): "
        f"{verdict(at_default, LOG_LIMIT, absolute=True)} | "
        f"{lost * 1e3:.3g} ms per sample, {at_default:+.3f}% | - | median over the rounds above "
        "of (on - off) x calls / samples; the slowdown scales with the sampling rate |",
    ]


def section(data: dict[str, Result], plan: Plan, head: Result) -> str:
    wandb = data.get("wandb", {})
    version = wandb.get("watch", {}).get("version", "0.31.0") if "error" not in wandb else "-"
    lines = [
        SECTION,
        "",
        f"Measured {provenance.now()} ({head['kind']}, {head['minutes']:.1f} min) by "
        f"`bench/bench_integrations.py` at {provenance.commit_text()}.",
        f"Machine: {provenance.machine()}, load average {head['load0']:.2f} at start and "
        f"{provenance.load():.2f} at the end.",
        "",
        f"| figure | target | nbtrack | wandb {version} (offline) | work behind it |",
        "|---|---|---|---|---|",
        *watch_rows(data, plan),
        *monitor_rows(data, plan),
        *log_row(data["nbtrack"], plan),
        "",
        *notes(data, plan),
    ]
    return "\n".join(lines) + "\n"


def busy_note(data: dict[str, Result]) -> str:
    """Wall over CPU time per step of the unwatched blocks: 1 when training had a core."""
    shares = []
    for name, result in data.items():
        if "watch" in result:
            off = result["watch"]["blocks"]["off"]
            wall, cpu = statistics.median(off["wall"]), statistics.median(off["cpu"])
            shares.append(f"{name} {wall / cpu:.2f}")
    return (
        "Wall time over CPU time per step in the unwatched blocks (1.00 when the training "
        f"process has a core to itself; above it, the wall figures carry the machine's load): "
        f"{', '.join(shares)}."
    )


def gil_note(nbt: Result, plan: Plan) -> str:
    lost = per_sample_loss(nbt["log"], plan.log_calls)
    cpu = nbt["fast"]["thread_cpu"] / nbt["fast"]["samples"]
    return (
        f"`log()` time lost per sample ({lost * 1e3:.3g} ms) is {lost / cpu:.1f} times the "
        f"sampler thread's CPU time per sample ({cpu * 1e3:.3g} ms)."
    )


def notes(data: dict[str, Result], plan: Plan) -> list[str]:
    tick = 1 / os.sysconf("SC_CLK_TCK")
    wall = data["nbtrack"]["idle_on"]["wall"]
    text = [
        "Each tracker at its own default monitor interval (shown in its cell). The monitor row "
        "subtracts a run with the monitor off from one with it on, each in a fresh process "
        "(the training process's CPU from `process_time`; descendant processes, such as "
        f"wandb-core, from /proc in clock ticks of {tick * 1e3:g} ms: one tick over {wall:.0f} s "
        f"is {tick / wall * 100:.3f}% of a core); a negative figure is the noise between the two "
        "runs.",
    ]
    text += [busy_note(data), gil_note(data["nbtrack"], plan)]
    wandb = data.get("wandb", {})
    if "error" in wandb:
        text.append(f"wandb was not measured: {wandb['error']}.")
    else:
        kids = wandb["idle_on"]["children"]
        text.append(
            f"wandb's monitor runs in its service process ({kids} descendant process(es) of the "
            "training process during the idle run, counted in the monitor row); nbtrack's "
            "sampler is a thread of the training process."
        )
    return text


def measure_all(plan: Plan) -> dict[str, Result]:
    scratch = harness.Scratch(Path(tempfile.mkdtemp(prefix="nbtrack-bench-integrations-")))
    return {"nbtrack": measure("nbtrack", plan, scratch), "wandb": peer("wandb", plan, scratch)}


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true", help="small smoke run; never writes")
    parser.add_argument("--no-write", action="store_true", help="print only")
    parser.add_argument("--results", type=Path, default=bench_core.RESULTS)
    parser.add_argument("--render", type=Path, help="redo the section from a raw results file")
    args = parser.parse_args(argv)
    plan = Plan().quick() if args.quick else Plan()
    load0, t0 = provenance.load(), time.perf_counter()
    if args.render:  # nothing measured: the section again from the last run's raw results
        raw = json.loads(args.render.read_text(encoding="utf-8"))
        plan, data = Plan(**raw["plan"]), raw["results"]
    else:
        data = measure_all(plan)
        raw = {"plan": dataclasses.asdict(plan), "results": data}
        bench_core.save_raw(bench_core.BENCH / "out/integrations-results.json", raw)
    kind = "quick run" if args.quick else "full run"
    kind = f"rendered from {args.render}" if args.render else kind
    head = {"kind": kind, "minutes": (time.perf_counter() - t0) / 60, "load0": load0}
    text = section(data, plan, head)
    bench_core.publish(args.results, text, SECTION, args.quick or args.no_write or args.render)
    return 0


if __name__ == "__main__":
    sys.exit(main())
