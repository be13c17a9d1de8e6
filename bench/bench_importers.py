"""Importing a long scalar history: ``nbtrack import tensorboard`` and ``nbtrack import wandb``
(an offline run's ``.wandb`` log) of 100k and 1M steps, each in a fresh ``worker.py`` process:
wall time, CPU time (the machine may be shared) and peak RSS, whose growth from 100k to 1M steps
shows whether memory stays flat. The sources are written by ``importer_sources.py``.

Prints a Markdown section (RESULTS.md is left alone). ``--quick``: 10k and 100k steps.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
from pathlib import Path
from typing import Any

import harness
import importer_sources
import provenance

TARGET_S = 5.0
MAKERS = {"tensorboard": importer_sources.tensorboard_events, "wandb": importer_sources.wandb_run}


def measure(kind: str, steps: int, scratch: harness.Scratch) -> dict[str, Any]:
    base = scratch.folder(f"{kind}-{steps}")
    source = MAKERS[kind](base / "source" / "run", steps)
    where = source.parent if kind == "tensorboard" else source
    params = {"kind": kind, "source": str(where), "dir": str(base / "out")}
    python = Path(sys.executable)
    return harness.run_child(python, "nbtrack", "import_history", params, {}, scratch)


def steps_text(steps: int) -> str:
    return f"{steps // 1_000_000}M" if steps >= 1_000_000 else f"{steps // 1000}k"


def lines(results: dict[tuple[str, int], dict[str, Any]], big: int) -> list[str]:
    out = ["## Importers", "", f"load at start {provenance.load():.2f}", ""]
    out += [
        "| source | steps | wall s | CPU s | peak RSS MB | status | load |",
        "|---|---|---|---|---|---|---|",
    ]
    for (kind, steps), r in results.items():
        out.append(
            f"| {kind} | {steps_text(steps)} | {r['wall_s']:.2f} | {r['cpu_s']:.2f} | "
            f"{r['peak_kb'] / 1024:.0f} | {','.join(r['status'])} ({r['rows']} rows) | "
            f"{r['load']:.2f} |"
        )
    for kind in MAKERS:
        small, large = results[(kind, big // 10)], results[(kind, big)]
        grow = (large["peak_kb"] - small["peak_kb"]) / 1024
        verdict = harness.target_text(large["cpu_s"], TARGET_S, f"CPU ≤ {TARGET_S:.0f} s")
        out.append("")
        out.append(
            f"{kind}: peak RSS grows {grow:.0f} MB from {steps_text(big // 10)} to "
            f"{steps_text(big)} steps; {verdict}."
        )
    return out


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--quick", action="store_true")
    args = parser.parse_args()
    big = 100_000 if args.quick else 1_000_000
    results = {}
    with tempfile.TemporaryDirectory(prefix="nbtrack-bench-import-") as temp:
        scratch = harness.Scratch(Path(temp))
        for kind in MAKERS:
            for steps in (big // 10, big):
                results[(kind, steps)] = measure(kind, steps, scratch)
    print("\n".join(lines(results, big)))


if __name__ == "__main__":
    main()
