"""Importing a long scalar history: ``nbtrack import tensorboard`` and ``nbtrack import wandb``
(an offline run's ``.wandb`` log: history records only, and as wandb-core writes it, with two
summary records per step and keys in varying order) of 100k and 1M steps, each import in a
fresh ``worker.py`` process, repeated: wall time, CPU time (of the process and of the helper
process a long ``.wandb`` log gets; the machine may be shared) and peak RSS, whose growth from
100k to 1M steps shows whether memory stays flat. Beside them, trackio's own TensorBoard
importer (``trackio.import_tf_events``, in its venv, ``trackio_import.py``) on the same event
files, once each. The sources are written by ``importer_sources.py``.

Targets (issue 15): 1M steps in ≤ 5 s (median wall time) from each source, memory flat in the
number of steps (peak RSS at 1M steps within 10% or 16 MB of that at 100k). Writes the
``## Importers`` section of RESULTS.md with ``--results`` from a clean tree (``--quick``: 10k and
100k steps, never written; ``--no-write``: printed only).
"""

from __future__ import annotations

import argparse
import functools
import math
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


def trackio_import(where: Path) -> Result | None:
    """trackio's ``import_tf_events`` of the same event files, in its own venv; None without it."""
    if not bench_core.TRACKIO_PYTHON.exists():
        return None
    found = bench_core.trackio_json("trackio_import.py", str(where))
    return {**found, "helper_cpu_s": 0.0, "helper_peak_kb": 0, "wait_s": float("nan")}


def steps_text(steps: int) -> str:
    return f"{steps // 1_000_000}M" if steps >= 1_000_000 else f"{steps // 1000}k"


def median(results: list[Result], key: str) -> float:
    return float(statistics.median(r[key] for r in results))


def peak_mb(results: list[Result]) -> float:
    """The larger of the process's and its helper's peak RSS, the most of the imports."""
    return max(max(r["peak_kb"], r["helper_peak_kb"]) for r in results) / 1024


def table(data: dict[tuple[str, int], list[Result]]) -> list[str]:
    out = [
        "| importer | source | steps | wall s (median, range) | CPU s, process + helper "
        "(median) | waiting for a CPU s (median) | peak RSS MB, process / helper (max) | rows |",
        "|---|---|---|---|---|---|---|---|",
    ]
    for (kind, steps), results in data.items():
        walls = [r["wall_s"] for r in results]
        rows = ",".join(sorted({str(r["rows"]) for r in results}))
        who, source = ("trackio", "tensorboard") if kind == "trackio" else ("nbtrack", kind)
        cpu = f"{median(results, 'cpu_s'):.2f} + {median(results, 'helper_cpu_s'):.2f}"
        main_mb, helper_mb = (max(r[k] for r in results) / 1024 for k in PEAKS)
        rss = f"{main_mb:.0f} / {helper_mb:.0f}" if helper_mb else f"{main_mb:.0f} / -"
        wait = median(results, "wait_s")
        waiting = "-" if math.isnan(wait) else f"{wait:.2f}"
        out.append(
            f"| {who} | {source} | {steps_text(steps)} | {median(results, 'wall_s'):.2f} "
            f"({min(walls):.2f}-{max(walls):.2f}) | {cpu} | {waiting} | "
            f"{rss} | {rows} |"
        )
    return out


PEAKS = ("peak_kb", "helper_peak_kb")


def verdicts(data: dict[tuple[str, int], list[Result]], big: int) -> list[str]:
    out = []
    for kind in MAKERS:
        if (kind, big) not in data:
            continue
        small, large = data[(kind, big // 10)], data[(kind, big)]
        wall = median(large, "wall_s")
        cpu = statistics.median(r["cpu_s"] + r["helper_cpu_s"] for r in large)
        alone = statistics.median(r["wall_s"] - r["wait_s"] for r in large)
        rss_small, rss_large = peak_mb(small), peak_mb(large)
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


def peer_lines(data: dict[tuple[str, int], list[Result]], big: int) -> list[str]:
    """trackio's TensorBoard importer beside nbtrack's, on the same files."""
    out = []
    for steps in (big // 10, big):
        peer, ours = data.get(("trackio", steps)), data.get(("tensorboard", steps))
        if peer and ours:
            ratio = median(ours, "wall_s") / median(peer, "wall_s")
            out.append(
                f"- TensorBoard, {steps_text(steps)} steps: nbtrack {median(ours, 'wall_s'):.2f} "
                f"s and {peak_mb(ours):.0f} MB, trackio {median(peer, 'wall_s'):.2f} s and "
                f"{peak_mb(peer):.0f} MB: nbtrack takes {ratio:.3f} of trackio's time."
            )
    return out


def section(data: dict[tuple[str, int], list[Result]], big: int, head: dict[str, Any]) -> str:
    repeat = min(len(results) for (kind, _), results in data.items() if kind != "trackio")
    intro = [
        SECTION,
        "",
        f"Measured {provenance.now()} ({head['kind']}, {head['minutes']:.1f} min) by "
        f"`bench/bench_importers.py` at {provenance.commit_text()}.",
        f"Machine: {provenance.machine()}, load average {head['load0']:.2f} at start and "
        f"{provenance.load():.2f} at the end.",
        "",
        f"One scalar per step; each nbtrack figure is {repeat} imports, each in a fresh process "
        "(`nbtrack.importers.from_tensorboard` / `from_wandb`, no progress bar). A `.wandb` "
        "log of 64 MB or more is read in two halves, the second by a helper process: its CPU "
        "time and peak RSS (read every 0.25 s) are shown beside the process's. trackio: "
        "`trackio.import_tf_events` (0.43, its `tensorboard` extra) of the same event files, "
        "once each, in its own venv. Waiting for a CPU: the time the process was ready to run "
        "but other work had the cores (`/proc/self/schedstat`; not read for trackio).",
        "",
    ]
    lines = [*table(data), "", *verdicts(data, big), *peer_lines(data, big)]
    return "\n".join(intro + lines) + "\n"


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
                if kind == "tensorboard" and (peer := trackio_import(where)):
                    data[("trackio", steps)] = [peer]
    minutes = (time.perf_counter() - t0) / 60
    kind = "quick run" if args.quick else "full run"
    text = section(data, big, {"kind": kind, "minutes": minutes, "load0": load0})
    bench_core.publish(args.results, text, SECTION, args.quick or args.no_write)
    return 0


if __name__ == "__main__":
    sys.exit(main())
