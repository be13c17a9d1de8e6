"""Media logging, nbtrack vs trackio and wandb: what the caller pays for ``log()`` of an image, a
table and a histogram, scalar ``log()`` in the same process before and after them, and
``finish()``; then the server side (``bench_media_server.py``: the run page with 1,000 images and
a 100k-row table). Writes RESULTS.md's "## Media" section with the media issue's targets.

Usage: ``.venv/bin/python bench/bench_media.py [--quick] [--no-write] [--skip-server]
[--results PATH]``. ``--quick`` is a smoke run that never writes; RESULTS.md is written only from
a clean tree (``provenance.may_write()``).
"""

from __future__ import annotations

import argparse
import re
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import bench_core
import bench_media_server
import harness
import provenance

SECTION = "## Media"
PEERS = {"trackio": harness.BENCH / "venvs/trackio/bin/python"}
PEERS["wandb"] = harness.BENCH / "venvs/wandb/bin/python"
FULL = {"images": 300, "table_rows": 10_000, "tables": 9, "histograms": 100, "scalars": 20_000}
QUICK = {"images": 30, "table_rows": 10_000, "tables": 3, "histograms": 10, "scalars": 2000}
TARGETS = {"image": 1.0, "table": 50.0}  # ms per call, from the media issue
RATIO_SLACK = 1.25  # "the same ratio to trackio": within this factor (the machine is shared)


def usable(python: Path) -> bool:
    """The peer's venv exists and has numpy and Pillow for its media types."""
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
                results[tracker] = "not measured: no venv with numpy and Pillow (setup_peers.sh)"
                continue
            env = {"WANDB_MODE": "offline", "WANDB_SILENT": "true", "NBTRACK_MODE": "offline"}
            harness.attempt(results, tracker, child(python, tracker, plan, env, scratch))
    return results


def child(
    python: Path, tracker: str, plan: dict[str, Any], env: dict[str, str], scratch: Any
) -> Any:
    return lambda: harness.run_child(python, tracker, "media", plan, env, scratch)


# --- the section ---------------------------------------------------------------------------


def client_table(results: dict[str, Any]) -> list[str]:
    out = [
        "| figure | " + " | ".join(results) + " | target |",
        "|---|" + "---|" * (len(results) + 1),
    ]
    for figure in ("scalar", "image", "table", "histogram", "scalar_after"):
        cells = []
        for result in results.values():
            failed = harness.failed(result)
            value = None if failed else result["median_ms"].get(figure)
            cells.append(failed or ("-" if value is None else f"{value:.4g} ms"))
        target = f"≤ {TARGETS[figure]:g} ms" if figure in TARGETS else ""
        out.append(f"| {LABELS[figure]} | " + " | ".join(cells) + f" | {target} |")
    finish = [harness.failed(r) or f"{r['finish_s'] * 1e3:.4g} ms" for r in results.values()]
    out.append(
        "| `finish()` (waits for media still being written) | " + " | ".join(finish) + " | |"
    )
    return out


LABELS = {
    "scalar": "`log()` of 10 floats, before any media (median)",
    "image": "`log({'image': Image(256x256 RGB)})` (median)",
    "table": "`log({'table': Table(10k x 10)})`, the Table built in the timed call (median)",
    "histogram": "`log({'hist': Histogram(10k values)})` (median)",
    "scalar_after": "`log()` of 10 floats, after the media (median)",
}


def verdict(ok: bool) -> str:
    return "met" if ok else "missed"


def caller_target(results: dict[str, Any], figure: str, what: str) -> str:
    nb = results.get("nbtrack")
    if harness.failed(nb) or nb is None:
        return f"- {what}: not measured ({nb})."
    times = [t * 1e3 for t in nb[f"{figure}_s"]]
    median = nb["median_ms"][figure]
    return (
        f"- {what} ≤ {TARGETS[figure]:g} ms: {median:.3g} ms, median of {len(times)} calls "
        f"(fastest {min(times):.3g} ms, slowest {max(times):.3g} ms): "
        f"{verdict(median <= TARGETS[figure])}."
    )


def ratio(results: dict[str, Any], figure: str) -> float | None:
    nb, peer = results.get("nbtrack"), results.get("trackio")
    if nb is None or peer is None or harness.failed(nb) or harness.failed(peer):
        return None
    return float(nb["median_ms"][figure] / peer["median_ms"][figure])


def core_ratio(results_md: Path) -> float | None:
    """nbtrack/trackio of `log()` in RESULTS.md's Core client section (None when not there)."""
    if not results_md.exists():
        return None
    rows = results_md.read_text(encoding="utf-8").split(bench_core.SECTION, 1)[-1].splitlines()
    header = next((r for r in rows if r.startswith("| figure |")), None)
    row = next((r for r in rows if r.startswith("| `log()` per call, 10 float keys |")), None)
    if header is None or row is None:
        return None
    names = [c.strip() for c in header.split("|")]
    cells = [c.strip() for c in row.split("|")]
    if "nbtrack/trackio" not in names or len(cells) != len(names):
        return None
    found = re.match(r"[0-9.]+", cells[names.index("nbtrack/trackio")])
    return float(found.group()) if found else None


def scalar_target(results: dict[str, Any], core: float | None) -> str:
    before, after = ratio(results, "scalar"), ratio(results, "scalar_after")
    if before is None or after is None:
        return "- scalar `log()` keeps its ratio to trackio: not measured (trackio did not run)."
    text = (
        f"- scalar `log()` keeps its speed (nbtrack/trackio): {before:.3g} before the media and "
        f"{after:.3g} after them in this run; after within {RATIO_SLACK:g}x of before: "
        f"{verdict(after <= before * RATIO_SLACK)}"
    )
    if core is None:
        return text + "."
    return text + f" (the Core client section, timing batches of calls, has {core:.3g})."


def server_targets(server: Any) -> list[str]:
    if isinstance(server, str):
        return [f"- run page with 1,000 images ≤ 1 s, slider without refetch: {server}."]
    opens, moves, documents = server["browser"]
    page, move = harness.median(opens), harness.median(moves)
    return [
        f"- run page with {server['images']:,} images under one key opens in ≤ 1 s: "
        f"{page * 1e3:.0f} ms, median of {len(opens)} loads: {verdict(page <= 1.0)}.",
        f"- the slider moves without refetching the page: {documents} page loads during "
        f"{len(moves)} moves (median {move * 1e3:.0f} ms each): {verdict(documents == 0)}.",
    ]


def peers_text(results: dict[str, Any]) -> str:
    ran = [name for name, r in results.items() if name != "nbtrack" and not harness.failed(r)]
    left = [f"{name} ({r})" for name, r in results.items() if harness.failed(r)]
    text = f"Peers measured beside nbtrack: {', '.join(ran) or 'none'}"
    return text + (f"; not measured: {'; '.join(left)}." if left else ".")


def section(data: dict[str, Any], core: float | None, minutes: float) -> str:
    results, server = data["client"], data["server"]
    head = (
        f"Measured {provenance.now()} by `bench/bench_media.py` ({minutes:.1f} min) at "
        f"{provenance.commit_text()}. Machine: {provenance.machine()}; 1-minute load average "
        f"{data['load_start']:.2f} at the start and {provenance.load():.2f} at the end."
    )
    targets = [
        caller_target(results, "image", "`Image` 256x256 RGB, the caller's time of `log()`"),
        caller_target(results, "table", "`Table` of 10k rows x 10 columns, built and logged"),
        scalar_target(results, core),
        *server_targets(server),
    ]
    out = [SECTION, "", head, "", "Targets (the media issue):", "", *targets, ""]
    out += ["Caller's time per `log()` call, one fresh process per tracker (offline):", ""]
    out += [*client_table(results), "", peers_text(results), ""]
    if not isinstance(server, str):
        out += [
            f"Server side (`bench_media_server.py`, nbtrack only: wandb's run page needs its "
            f"cloud, trackio's dashboard was not driven): logging and uploading the run took "
            f"{server['log_seconds']:.1f} s.",
            "",
            *harness.table(bench_media_server.lines(server, server["images"], server["rows"])),
            "",
        ]
    out.append(HOW)
    return "\n".join(out)


HOW = (
    "How: `worker_media.py` in a fresh process per tracker, in a new git repository, offline: "
    "each call timed alone with the values made beforehand (distinct random 256x256 uint8 "
    "arrays; 10k rows of 10 floats; 10k normal samples per histogram); the `Table` and `Image` "
    "objects are built inside the timed call, as `log({'t': Table(...)})` is written. "
    "Encoding and writing the files happen on a background thread; `finish()` waits for them."
)


def server_data(quick: bool) -> Any:
    images, rows = bench_media_server.SIZES["quick" if quick else "full"]
    try:
        data = bench_media_server.measure(images, rows)
    except Exception as exc:  # noted in the section: the client figures still stand
        return f"not measured ({type(exc).__name__}: {str(exc)[:200]})"
    return data | {"images": images, "rows": rows}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true", help="a small smoke run; never writes")
    parser.add_argument("--no-write", action="store_true", help="print only")
    parser.add_argument("--skip-server", action="store_true", help="client figures only")
    parser.add_argument("--results", type=Path, default=bench_core.RESULTS)
    args = parser.parse_args()
    start, data = time.perf_counter(), {"load_start": provenance.load()}
    data["client"] = measure(QUICK if args.quick else FULL)
    skipped = "not measured (--skip-server)"
    data["server"] = skipped if args.skip_server else server_data(args.quick)
    text = section(data, core_ratio(args.results), (time.perf_counter() - start) / 60)
    print(text)
    flags = {"--quick": args.quick, "--no-write": args.no_write, "--skip-server": args.skip_server}
    held = [flag for flag, on in flags.items() if on]
    if held or not provenance.may_write():
        why = ", ".join(held) or provenance.commit_text()
        bench_core.note(f"not written to {args.results} ({why})")
    else:
        bench_core.write_results(args.results, text, SECTION)
        bench_core.note(f"wrote {args.results}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
