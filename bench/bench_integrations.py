"""Costs of nbtrack.watch() and of the system-metrics sampler, in this process.

- *watch*: three small MLPs (784-256-10, batch 64, SGD, one torch thread), one not watched, one
  with ``watch(model)`` (gradients, ``log_freq=1000``, the default), one with ``log="all"``,
  trained in alternating blocks of 1000 steps (a ``log({"loss"})`` each) in one run, so each
  watched block holds one due step and drift hits the three alike (each mode leads a round in
  turn); the training thread's CPU time per step (median) and the median ratio of each block to
  the unwatched block of its round;
- *sampler*: the CPU time of one system-metrics sample (``Probes.read()``, thread CPU time, median
  of 200), and what that is as a share of one core at the default 10 s interval;
- *log()*: the median per-call time of 200k ``log({"loss": x})`` calls with the sampler on at a
  0.1 s interval (100 times the default rate) and with it off, rounds alternated.

Prints a Markdown section (RESULTS.md is left alone). ``--quick`` runs a short smoke version.
"""

from __future__ import annotations

import argparse
import os
import statistics
import tempfile
import time
from collections.abc import Callable

import torch

import nbtrack


def mlp_step() -> tuple[torch.nn.Module, Callable[[], float]]:
    torch.manual_seed(0)
    model = torch.nn.Sequential(
        torch.nn.Linear(784, 256), torch.nn.ReLU(), torch.nn.Linear(256, 10)
    )
    optimizer = torch.optim.SGD(model.parameters(), lr=0.01)
    data, target = torch.randn(64, 784), torch.randint(0, 10, (64,))

    def step() -> float:
        optimizer.zero_grad()
        loss = torch.nn.functional.cross_entropy(model(data), target)
        loss.backward()
        optimizer.step()
        return float(loss.item())

    return model, step


def watch_section(rounds: int, block: int = 1000) -> list[str]:
    """Three models trained in alternating blocks of ``block`` steps inside one run: not watched,
    watched (gradients) and watched (all), each watched block holding exactly one due step."""
    run = nbtrack.init(project="bench-watch")
    modes = {"off": mlp_step(), "gradients": mlp_step(), "all": mlp_step()}
    run.watch(modes["gradients"][0], log="gradients")
    run.watch(modes["all"][0], log="all")
    for _, step in modes.values():
        step()  # warm up torch (the first optimizer step imports a lot)
    found: dict[str, list[float]] = {mode: [] for mode in modes}
    order = list(modes)
    for number in range(rounds):
        for mode in order[number % 3 :] + order[: number % 3]:  # each mode first in turn
            step = modes[mode][1]
            started = time.thread_time()  # this thread's CPU: less sensitive to a busy machine
            for _ in range(block):
                run.log({"loss": step()})
            found[mode].append((time.thread_time() - started) / block)
    run.finish()
    lines = [f"watch(): {rounds} rounds of {block}-step blocks (one due step each), CPU per step:"]
    for mode, values in found.items():
        ratios = [v / off for v, off in zip(values, found["off"], strict=True)]
        lines.append(
            f"- {mode}: median {statistics.median(values) * 1e3:.3f} ms/step, median paired "
            f"ratio to off {(statistics.median(ratios) - 1) * 100:+.1f}%"
        )
    return lines


def sampler_section(count: int) -> list[str]:
    from nbtrack.system.probes import Probes

    probes = Probes(".")
    costs = []
    for _ in range(count):
        started = time.thread_time()
        probes.read()
        costs.append(time.thread_time() - started)
    cost = statistics.median(costs)
    share = cost / 10.0 * 100
    return [f"system sampler: {cost * 1e3:.2f} ms CPU per sample, {share:.3f}% of one core at 10 s"]


def log_calls(calls: int, stats: bool) -> float:
    os.environ["NBTRACK_DISABLE_STATS"] = "0" if stats else "1"
    run = nbtrack.init(project="bench-log", reinit="finish_previous")
    started = time.perf_counter()
    for i in range(calls):
        run.log({"loss": i * 0.5})
    elapsed = time.perf_counter() - started
    run.finish()
    return elapsed / calls


def log_section(calls: int, rounds: int) -> list[str]:
    os.environ["NBTRACK_STATS_INTERVAL"] = "0.1"
    found: dict[bool, list[float]] = {True: [], False: []}
    for _ in range(rounds):
        for stats in found:
            found[stats].append(log_calls(calls, stats))
    on, off = statistics.median(found[True]), statistics.median(found[False])
    return [
        f"log(): {calls} calls x {rounds} rounds, median per call: sampler on (0.1 s) "
        f"{on * 1e6:.2f} us, off {off * 1e6:.2f} us ({(on / off - 1) * 100:+.1f}%)"
    ]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--rounds", type=int, default=9)
    parser.add_argument("--quick", action="store_true")
    args = parser.parse_args()
    rounds = 1 if args.quick else args.rounds
    torch.set_num_threads(1)  # steadier figures on a shared machine
    folder = tempfile.mkdtemp(prefix="nbtrack-bench-integrations-")
    os.chdir(folder)
    os.environ.update(NBTRACK_MODE="offline", NBTRACK_SILENT="1", NBTRACK_DISABLE_STATS="1")
    lines = ["## Integrations", "", f"1-minute load average at start: {os.getloadavg()[0]:.2f}", ""]
    lines += [*watch_section(2 if args.quick else args.rounds), ""]
    lines += [*sampler_section(20 if args.quick else 200), ""]
    lines += log_section(20_000 if args.quick else 200_000, rounds)
    lines += ["", f"1-minute load average at end: {os.getloadavg()[0]:.2f}"]
    print("\n".join(lines))


if __name__ == "__main__":
    main()
