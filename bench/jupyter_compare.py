"""The ``nbtrack.compare()`` figures of the Compare section (``bench_compare.py``): 20 local runs
of 100k steps compared in a fresh real kernel, first reading their logs, then again from the kept
readings.

Each figure is one fresh ``python3`` kernel (``bench_jupyter.Kernel``): the time from calling
``nbtrack.compare()`` to ``display()`` returning (the widget's whole state sent to the front-end)
and the kernel's resident memory before and after (``VmRSS``). The runs are logged beforehand by
a separate process, offline, one metric per step.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path
from typing import Any

MAKE_RUNS = """
import math, sys, nbtrack
runs, steps = int(sys.argv[1]), int(sys.argv[2])
for r in range(runs):
    run = nbtrack.init(project="bench-compare", config={"lr": 10 ** -(r % 4 + 1), "seed": r},
                       reinit="create_new")
    for i in range(steps):
        run.log({"loss": math.exp(-i / (steps / 5)) * (1 + 0.1 * math.sin(i / 7)) + 0.01 * r})
    run.finish()
"""
COMPARE = """
import json, time
def rss():
    with open("/proc/self/status") as status:
        return next(int(l.split()[1]) * 1024 for l in status if l.startswith("VmRSS:"))
import nbtrack
before = rss()
start = time.perf_counter()
widget = nbtrack.compare(project="bench-compare", max_runs=RUNS)
display(widget)
took = time.perf_counter() - start
lines = sum(len(per_run) for per_run in widget.series.values())
print(json.dumps({"seconds": took, "rss_growth": rss() - before, "lines": lines}))
"""


def make_runs(folder: Path, env: dict[str, str], runs: int, steps: int) -> None:
    subprocess.run(
        [sys.executable, "-c", MAKE_RUNS, str(runs), str(steps)],
        cwd=folder,
        env=env,
        check=True,
    )


def measure(
    folder: Path, kernel_type: Any, env: dict[str, str], runs: int, steps: int, repeats: int
) -> dict[str, Any]:
    """Cold (logs read, readings kept afterwards) and warm (kept readings) figures."""
    place = folder / "compare"
    place.mkdir()
    make_runs(place, env, runs, steps)
    cold, warm = [], []
    for _ in range(repeats):
        for cache in place.glob("nbtrack/*/compare-cache.json"):
            cache.unlink()
        cold.append(_one(place, kernel_type, env, runs))
        warm.append(_one(place, kernel_type, env, runs))
    return {"runs": runs, "steps": steps, "cold": cold, "warm": warm}


def _one(place: Path, kernel_type: Any, env: dict[str, str], runs: int) -> dict[str, Any]:
    kernel = kernel_type(place, env)
    try:
        result: dict[str, Any] = kernel.json(COMPARE.replace("RUNS", str(runs)))
    finally:
        kernel.close()
    if result["lines"] != runs:
        raise AssertionError(f"compare() drew {result['lines']} lines, not {runs}")
    return result
