"""Media logging, nbtrack vs trackio (and wandb when its venv has numpy): what the caller pays
for ``log()`` of an image, a table and a histogram, scalar ``log()`` in the same process, and
``finish()``. Prints a table; it does not write RESULTS.md.

Usage: ``.venv/bin/python bench/bench_media.py [--quick]``
"""

from __future__ import annotations

import argparse
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import Any

import harness

PEERS = {"trackio": harness.BENCH / "venvs/trackio/bin/python"}
PEERS["wandb"] = harness.BENCH / "venvs/wandb/bin/python"
FULL = {"images": 300, "table_rows": 10_000, "tables": 5, "histograms": 100, "scalars": 20_000}
QUICK = {"images": 30, "table_rows": 10_000, "tables": 2, "histograms": 10, "scalars": 2000}
TARGETS = {"image": 1.0, "table": 50.0}  # ms per call, from the media issue


def usable(python: Path) -> bool:
    """The peer's venv exists and has numpy (and Pillow) for its media types."""
    if not python.exists():
        return False
    check = [str(python), "-c", "import numpy, PIL"]
    return subprocess.run(check, capture_output=True).returncode == 0


def measure(plan: dict[str, Any]) -> dict[str, Any]:
    results: dict[str, Any] = {}
    with tempfile.TemporaryDirectory(prefix="nbtrack-bench-media-") as root:
        scratch = harness.Scratch(Path(root))
        pythons = {"nbtrack": harness.NBTRACK_PYTHON, **PEERS}
        for tracker, python in pythons.items():
            if tracker != "nbtrack" and not usable(python):
                results[tracker] = "not measured: its venv lacks numpy/Pillow"
                continue
            env = {"WANDB_MODE": "offline", "WANDB_SILENT": "true", "NBTRACK_MODE": "offline"}
            harness.attempt(results, tracker, child(python, tracker, plan, env, scratch))
    return results


def child(
    python: Path, tracker: str, plan: dict[str, Any], env: dict[str, str], scratch: Any
) -> Any:
    return lambda: harness.run_child(python, tracker, "media", plan, env, scratch)


def lines(results: dict[str, Any]) -> list[str]:
    out = [
        "| figure | " + " | ".join(results) + " | target |",
        "|---|" + "---|" * (len(results) + 1),
    ]
    for figure in ("scalar", "scalar_after", "image", "table", "histogram"):
        cells = []
        for result in results.values():
            failed = harness.failed(result)
            value = None if failed else result["median_ms"].get(figure)
            cells.append(failed or ("-" if value is None else f"{value:.4g} ms"))
        target = f"<= {TARGETS[figure]:g} ms" if figure in TARGETS else ""
        out.append(f"| {figure} log() | " + " | ".join(cells) + f" | {target} |")
    finish = [harness.failed(r) or f"{r['finish_s'] * 1e3:.4g} ms" for r in results.values()]
    out.append("| finish() | " + " | ".join(finish) + " | |")
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--quick", action="store_true", help="a small smoke run")
    args = parser.parse_args()
    results = measure(QUICK if args.quick else FULL)
    print(f"load {harness.provenance.load():.2f}")
    print("\n".join(lines(results)))


if __name__ == "__main__":
    sys.exit(main())
