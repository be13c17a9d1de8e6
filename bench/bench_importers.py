"""Importing a long scalar history: ``nbtrack import tensorboard`` and ``nbtrack import wandb``
(an offline run's ``.wandb`` log: history records only, and as wandb-core writes it, with two
summary records per step and keys in varying order) of 100k and 1M steps, each import in a
fresh ``worker.py`` process, repeated: wall time, CPU time (the machine may be shared) and
peak RSS, whose growth from 100k to 1M steps shows whether memory stays flat. The sources are
written by ``importer_sources.py``.

Targets (issue 15): 1M steps in ≤ 5 s (median wall time) from each source, memory flat in the
number of steps (peak RSS at 1M steps within 10% or 16 MB of that at 100k). Writes the
``## Importers`` section of RESULTS.md with ``--results`` from a clean tree (``--quick``: 10k and
100k steps, never written; ``--no-write``: printed only).
"""

from __future__ import annotations

import argparse
import functools
import statistics
import sys
import tempfile
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import bench_core
import harness
import importer_sources
import provenance

SECTION = "## Importers"
TARGET_S = 5.0
FLAT_SHARE, FLAT_MB = 0.10, 16.0
MAKERS = {
    "tensorboard": importer_sources.tensorboard_events,
    "wandb": importer_sources.wandb_run,
    "wandb-core": functools.partial(importer_sources.wandb_run, core=True),
}
READERS = {"tensorboard": "tensorboard", "wandb": "wandb", "wandb-core": "wandb"}
Result = dict[str, Any]


def source(kind: str, steps: int, scratch: harness.Scratch) -> Path:
    base = scratch.folder(f"{kind}-{steps}")
    made = MAKERS[kind](base / "source" / "run", steps)
    return made.parent if kind == "tensorboard" else made


def measure(kind: str, where: Path, repeat: int, scratch: harness.Scratch) -> list[Result]:
    """``repeat`` imports of one source, each in a fresh process into a fresh folder."""
    results = []
    for _ in range(repeat):
        out = scratch.folder(f"{kind}-out")
        params = {"kind": READERS[kind], "source": str(where), "dir": str(out)}
        python = Path(sys.executable)
        results.append(harness.run_child(python, "nbtrack", "import_history", params, {}, scratch))
    return results


def steps_text(steps: int) -> str:
    return f"{steps // 1_000_000}M" if steps >= 1_000_000 else f"{steps // 1000}k"


def median(results: list[Result], key: str) -> float:
    return float(statistics.median(r[key] for r in results))


def table(data: dict[tuple[str, int], list[Result]]) -> list[str]:
    out = [
        "| source | steps | wall s (median, range) | CPU s (median) | waiting for a CPU s "
        "(median) | peak RSS MB (max) | rows | load |",
        "|---|---|---|---|---|---|---|---|",
    ]
    for (kind, steps), results in data.items():
        walls = [r["wall_s"] for r in results]
        rows = ",".join(sorted({str(r["rows"]) for r in results}))
        out.append(
            f"| {kind} | {steps_text(steps)} | {median(results, 'wall_s'):.2f} "
            f"({min(walls):.2f}-{max(walls):.2f}) | {median(results, 'cpu_s'):.2f} | "
            f"{median(results, 'wait_s'):.2f} | "
            f"{max(r['peak_kb'] for r in results) / 1024:.0f} | {rows} | "
            f"{median(results, 'load'):.2f} |"
        )
    return out


def verdicts(data: dict[tuple[str, int], list[Result]], big: int) -> list[str]:
    out = []
    for kind in MAKERS:
        if (kind, big) not in data:
            continue
        small, large = data[(kind, big // 10)], data[(kind, big)]
        wall, cpu = median(large, "wall_s"), median(large, "cpu_s")
        alone = statistics.median(r["wall_s"] - r["wait_s"] for r in large)
        rss_small = max(r["peak_kb"] for r in small) / 1024
        rss_large = max(r["peak_kb"] for r in large) / 1024
        grow = rss_large - rss_small
        flat = grow <= max(FLAT_MB, FLAT_SHARE * rss_small)
        met = "met" if wall <= TARGET_S else "missed"
        if big != 1_000_000:
            met = "not judged (the target is for 1M steps; this was a quick run)"
        out.append(
            f"- {kind}: {steps_text(big)} steps in {wall:.2f} s wall (CPU {cpu:.2f} s; "
            f"{alone:.2f} s without the time spent waiting for a CPU), ≤ {TARGET_S:.0f} s: "
            f"{met}; peak RSS {rss_small:.0f} MB at "
            f"{steps_text(big // 10)} and {rss_large:.0f} MB at {steps_text(big)} "
            f"({grow:+.0f} MB), flat in the number of steps: {'met' if flat else 'missed'}."
        )
    return out


def section(data: dict[tuple[str, int], list[Result]], big: int, head: dict[str, Any]) -> str:
    repeat = min(len(results) for results in data.values())
    intro = [
        SECTION,
        "",
        f"Measured {provenance.now()} ({head['kind']}, {head['minutes']:.1f} min) by "
        f"`bench/bench_importers.py` at {provenance.commit_text()}.",
        f"Machine: {provenance.machine()}, load average {head['load0']:.2f} at start and "
        f"{provenance.load():.2f} at the end.",
        "",
        f"One scalar per step; each figure is {repeat} imports, each in a fresh process "
        "(`nbtrack.importers.from_tensorboard` / `from_wandb`, no progress bar). Waiting for "
        "a CPU: the time the process was ready to run but other work had the cores "
        "(`/proc/self/schedstat`).",
        "",
    ]
    return "\n".join(intro + table(data) + [""] + verdicts(data, big)) + "\n"


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true", help="10k and 100k steps; never writes")
    parser.add_argument("--repeat", type=int, default=3, help="imports per source (default 3)")
    parser.add_argument("--sources", default=",".join(MAKERS), help="some of " + ",".join(MAKERS))
    parser.add_argument("--no-write", action="store_true", help="print only")
    parser.add_argument("--results", type=Path, default=bench_core.RESULTS)
    args = parser.parse_args(argv)
    big = 100_000 if args.quick else 1_000_000
    load0, t0 = provenance.load(), time.perf_counter()
    data: dict[tuple[str, int], list[Result]] = {}
    with tempfile.TemporaryDirectory(prefix="nbtrack-bench-import-") as temp:
        scratch = harness.Scratch(Path(temp))
        for kind in args.sources.split(","):
            for steps in (big // 10, big):
                where = source(kind, steps, scratch)
                data[(kind, steps)] = measure(kind, where, args.repeat, scratch)
                harness.note(f"{kind} {steps_text(steps)}: done (load {provenance.load():.2f})")
    minutes = (time.perf_counter() - t0) / 60
    kind = "quick run" if args.quick else "full run"
    text = section(data, big, {"kind": kind, "minutes": minutes, "load0": load0})
    bench_core.publish(args.results, text, SECTION, args.quick or args.no_write)
    return 0


if __name__ == "__main__":
    sys.exit(main())
