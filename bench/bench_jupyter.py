"""Jupyter-layer benchmark: what the widget, ``%load_ext`` and the cell hooks cost in a real kernel.

Every figure is measured inside real ``python3`` kernels started with jupyter_client, in a
throwaway folder (offline mode). Targets (from the Jupyter issue):

- logging with the widget displayed and live costs <= 10 % more than without it (the timed loop
  is long enough for several widget refreshes, which are counted);
- ``%load_ext nbtrack`` plus the first ``init()`` of a notebook add <= 100 ms together;
- the cell hooks add <= 50 us to a cell that does not use nbtrack.

The table goes to stdout and replaces the ``## Jupyter`` section of ``bench/RESULTS.md``.

Usage: ``.venv/bin/python bench/bench_jupyter.py [--quick] [--no-write]``
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from jupyter_client.manager import KernelManager

sys.path.insert(0, str(Path(__file__).resolve().parent))
import bench_core
import provenance

BENCH = Path(__file__).resolve().parent
RESULTS = BENCH / "RESULTS.md"
SECTION = "## Jupyter"
INTRO = (
    "# nbtrack benchmarks\n\nMeasured figures, one section per component; see bench/README.md.\n"
)

SETUP = """
import json, time
import nbtrack, nbtrack.launch as launch
row = {f"m{i}": float(i) for i in range(10)}
def timed(run, steps):
    global window
    start, wall = time.perf_counter(), time.time()
    for _ in range(steps):
        run.log(row)
    window = (wall, time.time())
    return time.perf_counter() - start
"""
WITH_WIDGET = """
run = nbtrack.init(project="bench", reinit="create_new")
print(json.dumps({"seconds": timed(run, STEPS), "window": window}))
run.finish()
"""
LIVE_WINDOW = """
run = nbtrack.init(project="bench", reinit="create_new")
start, wall = time.monotonic(), time.time()
while time.monotonic() - start < SECONDS:
    run.log(row)
print(json.dumps({"window": (wall, time.time()), "steps": run.step}))
run.finish()
"""
WITHOUT_WIDGET = """
attach, launch._attach_jupyter = launch._attach_jupyter, lambda run: None
run = nbtrack.init(project="bench", reinit="create_new")
launch._attach_jupyter = attach
print(json.dumps({"seconds": timed(run, STEPS)}))
run.finish()
"""
FIRST_INIT = """
import json, time
start = time.perf_counter()
get_ipython().run_line_magic("load_ext", "nbtrack")
loaded = time.perf_counter()
import nbtrack
run = nbtrack.init(project="bench")
done = time.perf_counter()
print(json.dumps({"load_ext": loaded - start, "init": done - loaded, "total": done - start}))
"""
IMPORT_ONLY = """
import json, time
start = time.perf_counter()
import nbtrack
print(json.dumps({"import": time.perf_counter() - start}))
"""
HOOK = """
import json, time
get_ipython().run_line_magic("load_ext", "nbtrack")
from nbtrack.jupyter.extension import active
hooks = active().hooks
class Info:
    cell_id, raw_cell = "a-cell-that-started-nothing", "x = 1"
info, calls = Info(), 200_000
start = time.perf_counter()
for _ in range(calls):
    hooks.pre_run_cell(info)
direct = (time.perf_counter() - start) / calls
ip = get_ipython()
def per_cell(cells=3000):
    start = time.perf_counter()
    for _ in range(cells):
        ip.run_cell("x = 1", store_history=False, cell_id="c")
    return (time.perf_counter() - start) / cells
loaded, unloaded = [], []
for _ in range(6):
    loaded.append(per_cell())
    ip.run_line_magic("unload_ext", "nbtrack")
    unloaded.append(per_cell())
    ip.run_line_magic("load_ext", "nbtrack")
import nbtrack
hooks = active().hooks
run = nbtrack.init(project="bench")
start = time.perf_counter()
for _ in range(500):
    hooks.pre_run_cell(info)
live = (time.perf_counter() - start) / 500
run.finish()
print(json.dumps({"direct": direct, "loaded": loaded, "unloaded": unloaded, "live": live}))
"""


class Kernel:
    """One real kernel; ``run(code)`` returns its stdout and counts the comm messages it sent."""

    def __init__(self, folder: Path, env: dict[str, str]) -> None:
        self.manager = KernelManager(kernel_name="python3")
        self.manager.start_kernel(cwd=str(folder), env=env)
        self.client = self.manager.client()
        self.client.start_channels()
        self.client.wait_for_ready(timeout=60)

    def run(self, code: str) -> tuple[str, list[tuple[float, str]]]:
        """Run ``code``; its stdout and the (send time, comm id) of the comm messages seen."""
        msg_id = self.client.execute(code)
        out, comm_messages = [], []
        while True:
            msg = self.client.get_iopub_msg(timeout=600)
            kind = msg["msg_type"]
            if kind == "comm_msg":
                comm_messages.append((msg["header"]["date"].timestamp(), msg["content"]["comm_id"]))
            if msg["parent_header"].get("msg_id") != msg_id:
                continue
            if kind == "stream":
                out.append(msg["content"]["text"])
            elif kind == "error":
                raise RuntimeError("\n".join(msg["content"]["traceback"]))
            elif kind == "status" and msg["content"]["execution_state"] == "idle":
                return "".join(out), comm_messages

    def json(self, code: str) -> dict[str, Any]:
        out, _ = self.run(code)
        return dict(json.loads(out.strip().splitlines()[-1]))

    def close(self) -> None:
        self.client.stop_channels()
        self.manager.shutdown_kernel(now=False)


def kernel_env(folder: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("NBTRACK_", "JPY_"))}
    env.update(NBTRACK_MODE="offline", NBTRACK_SILENT="true", NBTRACK_DISABLE_GIT="true")
    env.update(NBTRACK_CONFIG_DIR=str(folder / "config"), IPYTHONDIR=str(folder / "ipython"))
    return env | provenance.nbtrack_path_env()


def refreshes(sent: list[tuple[float, str]], start: float, end: float) -> int:
    """Widget refreshes between ``start`` and ``end``: a refresh sends one message on each
    widget it changes, so count the messages of the busiest comm."""
    per_comm: dict[str, int] = {}
    for t, comm in sent:
        if start <= t <= end:
            per_comm[comm] = per_comm.get(comm, 0) + 1
    return max(per_comm.values(), default=0)


def measure_logging(folder: Path, steps: int, rounds: int) -> dict[str, Any]:
    kernel = Kernel(folder, kernel_env(folder))
    try:
        kernel.run("%load_ext nbtrack\n" + SETUP.replace("STEPS", str(steps)))
        kernel.run(WITH_WIDGET.replace("STEPS", "1000"))  # warm-up: imports, first widget
        with_widget, without, messages, counted = [], [], [], []
        for _ in range(rounds):
            out, sent = kernel.run(WITH_WIDGET.replace("STEPS", str(steps)))
            with_widget.append(json.loads(out)["seconds"])
            counted.append(refreshes(sent, *json.loads(out)["window"]))
            out, _ = kernel.run(WITHOUT_WIDGET.replace("STEPS", str(steps)))
            without.append(json.loads(out)["seconds"])
        for _ in range(2):
            out, sent = kernel.run(LIVE_WINDOW.replace("SECONDS", "4"))
            start, end = json.loads(out)["window"]
            for second in range(int(end - start)):
                messages.append(refreshes(sent, start + second, start + second + 0.999999))
    finally:
        kernel.close()
    return {
        "with": with_widget,
        "without": without,
        "messages_per_s": messages,
        "refreshes": counted,
    }


def measure_first_init(folder: Path, samples: int) -> dict[str, Any]:
    results: dict[str, list[float]] = {"load_ext": [], "init": [], "total": [], "import": []}
    for sample in range(samples):
        cwd = folder / f"first-{sample}"
        make_repo(cwd)
        env = kernel_env(cwd)
        env.pop("NBTRACK_DISABLE_GIT")  # a notebook in a git repository, as usual
        kernel = Kernel(cwd, env)
        try:
            figures = kernel.json(FIRST_INIT)
        finally:
            kernel.close()
        for key, value in figures.items():
            results[key].append(value)
        kernel = Kernel(cwd, kernel_env(cwd))
        try:
            results["import"].append(kernel.json(IMPORT_ONLY)["import"])
        finally:
            kernel.close()
    return results


def make_repo(folder: Path) -> None:
    """A git repository with one commit (the notebook's usual home)."""
    folder.mkdir()
    (folder / "analysis.ipynb").write_text("{}\n")
    for command in (
        ["init", "-q", "-b", "main"],
        ["add", "analysis.ipynb"],
        ["-c", "user.name=bench", "-c", "user.email=bench@example.com", "commit", "-qm", "one"],
    ):
        subprocess.run(["git", *command], cwd=folder, check=True)


def measure_hooks(folder: Path) -> dict[str, Any]:
    kernel = Kernel(folder, kernel_env(folder))
    try:
        return kernel.json(HOOK)
    finally:
        kernel.close()


def ms(seconds: float) -> str:
    return f"{seconds * 1000:.1f} ms"


def us(seconds: float) -> str:
    return f"{seconds * 1e6:.2f} µs"


def table(
    log: dict[str, Any],
    first: dict[str, Any],
    hooks: dict[str, Any],
    steps: int,
) -> str:
    with_median, without_median = statistics.median(log["with"]), statistics.median(log["without"])
    overhead = with_median / without_median - 1
    total = statistics.median(first["total"])
    hook_cell = statistics.median(hooks["loaded"]) - statistics.median(hooks["unloaded"])
    rounds = len(log["with"])
    rows = [
        "| figure | target | measured | verdict |",
        "|---|---|---|---|",
        f"| logging {steps / 1e6:g}M steps, widget displayed and live vs. no widget | ≤ +10 % | "
        f"{overhead * 100:+.1f} % ({ms(with_median)} vs {ms(without_median)}, medians of "
        f"{rounds} alternating rounds; fastest rounds {ms(min(log['with']))} vs "
        f"{ms(min(log['without']))}; widget refreshes inside each timed loop: "
        f"{', '.join(str(n) for n in log['refreshes'])}) | "
        f"{verdict(overhead <= 0.10 and min(log['refreshes']) >= 3)} |",
        f"| widget updates while logging (live) | ≤ 2 /s | "
        f"at most {max(log['messages_per_s'])} in any whole second, "
        f"{statistics.mean(log['messages_per_s']):.1f} /s on average (2 x 4 s of logging) | "
        f"{verdict(max(log['messages_per_s']) <= 2)} |",
        f"| `%load_ext nbtrack` + first `init()` (widget shown) in a fresh kernel | ≤ 100 ms | "
        f"{ms(total)} (median of {len(first['total'])} kernels: load_ext "
        f"{ms(statistics.median(first['load_ext']))}, init "
        f"{ms(statistics.median(first['init']))}) | {verdict(total <= 0.100)} |",
        f"| `import nbtrack` in a fresh kernel (before any of the above) | - | "
        f"{ms(statistics.median(first['import']))} (median of {len(first['import'])}) | |",
        f"| `pre_run_cell` hook, cell not using nbtrack (direct call) | ≤ 50 µs | "
        f"{us(hooks['direct'])} (mean of 200k calls) | {verdict(hooks['direct'] <= 50e-6)} |",
        f"| whole cell `x = 1`, extension loaded minus unloaded | ≤ 50 µs | {us(hook_cell)} "
        f"(medians of 6 x 3000 cells each way, alternating; a cell costs "
        f"{us(statistics.median(hooks['unloaded']))}) | {verdict(hook_cell <= 50e-6)} |",
        f"| `pre_run_cell` hook while a run is live (the cell is appended to the run's "
        f"`files/code/cells.py`) | - | {us(hooks['live'])} (mean of 500 calls) | |",
    ]
    return "\n".join(rows)


def verdict(ok: bool) -> str:
    return "pass" if ok else "FAIL"


def header(elapsed: float, start_load: float) -> str:
    return (
        f"{SECTION}\n\nMeasured {provenance.now()} ({elapsed / 60:.1f} min) by "
        f"`bench/bench_jupyter.py` at {provenance.commit_text()}. Machine: {provenance.machine()}; "
        f"1-minute load average {start_load:.2f} at the start and {provenance.load():.2f} at the "
        "end.\n"
    )


NOTES = (
    "Real `python3` kernels (ipykernel) driven by jupyter_client, offline mode; git capture on "
    "for the first-init figure (a fresh git repository with one commit), off elsewhere. "
    "The logging rounds alternate a run whose widget is displayed and refreshed by the ticker "
    "thread with a run created without the Jupyter layer, in the same kernel, timing only the "
    "`log()` loop (10 float keys per step); the loop is long enough for several refreshes of "
    "the widget, and the refreshes counted are the comm messages the kernel sent for the "
    "busiest widget comm between the loop's start and end (a refresh sends one message per "
    "widget it changes). Widget updates per second count the same way during each whole "
    "second of two 4-second logging loops (by the messages' own timestamps). "
    "The first-init figure runs from the start of "
    "`%load_ext nbtrack` to the return of the first `init()` (widget displayed, ipywidgets "
    "imported); the notebook lookup and git capture run in a background thread and are not in "
    "it. The hook figures: one call of the `pre_run_cell` hook for a cell that started no run, "
    'the difference per `run_cell("x = 1")` with the extension loaded and unloaded (no live '
    "run), and one hook call while a run is live (then every cell is appended to the run's code "
    "file, which is rewritten and recorded in the run log).\n"
)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="fewer rounds and kernels")
    parser.add_argument("--no-write", action="store_true", help="do not touch bench/RESULTS.md")
    parser.add_argument("--results", type=Path, default=RESULTS)
    args = parser.parse_args()
    steps = 1_000_000
    started, start_load = time.monotonic(), provenance.load()
    with tempfile.TemporaryDirectory(prefix="nbtrack-bench-jupyter-") as temp:
        folder = Path(temp)
        log = measure_logging(folder, steps // 5 if args.quick else steps, 3 if args.quick else 7)
        first = measure_first_init(folder, 3 if args.quick else 7)
        hooks = measure_hooks(folder)
    logged = steps // 5 if args.quick else steps
    section = header(time.monotonic() - started, start_load) + "\n"
    section += table(log, first, hooks, logged) + "\n\n" + NOTES + "\n"
    bench_core.publish(args.results, section, SECTION, args.quick or args.no_write)


if __name__ == "__main__":
    main()
