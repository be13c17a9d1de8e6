"""The integration measurements, run inside ``worker.py`` under the tracker's own python
(nbtrack's .venv or bench/venvs/wandb, each with torch 2.13.0 CPU): the cost of ``watch()`` on a
small MLP, the CPU the system-metrics monitor takes during an idle run, and ``log()`` with
nbtrack's sampler on and off.

Standard library, torch, ``worker.py`` and the tracker only. Both trackers are driven through the
same calls: ``init(project=, mode="offline", settings=Settings(x_disable_stats=...,
x_stats_sampling_interval=...))``, ``run.watch(model, log=..., log_freq=1000)``, ``run.log()``.
"""

from __future__ import annotations

import os
import time
from collections.abc import Callable
from typing import Any

import worker

Result = dict[str, Any]
MODES = ("off", "gradients", "all")
SETTLE = 0.5  # seconds between init() and the timed log() calls


def start(module: Any, stats: bool, interval: float | None = None) -> Any:
    """An offline run; the system monitor on or off, at ``interval`` s or the tracker's default."""
    fields: dict[str, Any] = {"x_disable_stats": not stats}
    if interval is not None:
        fields["x_stats_sampling_interval"] = interval
    settings = module.Settings(**fields)
    return module.init(project="bench-integrations", mode="offline", settings=settings)


def mlp_step() -> tuple[Any, Callable[[], float]]:
    """A 784-256-10 MLP, batch 64, SGD: the model and one training step."""
    import torch

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


def watch(module: Any, p: Result) -> Result:
    """Three MLPs trained in alternating blocks of ``block`` steps in one run (system monitor
    off): not watched, ``watch(log="gradients")`` and ``watch(log="all")``, both at the default
    ``log_freq=1000``; one ``log({"loss"})`` per step. Each mode leads a round in turn. Per block:
    wall time and the whole process's CPU time (hooks and any background thread included)."""
    import torch

    torch.set_num_threads(1)  # steadier figures on a shared machine
    run = start(module, stats=False)
    models = {mode: mlp_step() for mode in MODES}
    run.watch(models["gradients"][0], log="gradients", log_freq=1000)
    run.watch(models["all"][0], log="all", log_freq=1000)
    for _, step in models.values():
        step()  # warm-up: the first step imports a lot; each block then holds one due step
    found: Result = {mode: {"wall": [], "cpu": []} for mode in MODES}
    for number in range(int(p["rounds"])):
        for mode in MODES[number % 3 :] + MODES[: number % 3]:
            wall, cpu = block(run, models[mode][1], int(p["block"]))
            found[mode]["wall"].append(wall)
            found[mode]["cpu"].append(cpu)
    run.finish()
    return {"blocks": found, "block": int(p["block"]), "threads": torch.get_num_threads()}


def block(run: Any, step: Callable[[], float], steps: int) -> tuple[float, float]:
    """Seconds per step of ``steps`` training steps with a ``log`` each: (wall, process CPU)."""
    wall0, cpu0 = time.perf_counter(), time.process_time()
    for _ in range(steps):
        run.log({"loss": step()})
    return (time.perf_counter() - wall0) / steps, (time.process_time() - cpu0) / steps


def idle(module: Any, p: Result) -> Result:
    """A run left idle for ``seconds`` with the system monitor on or off: the CPU time of this
    process (``process_time``) and of its descendant processes (e.g. wandb-core, from /proc, in
    clock ticks) over that window; for nbtrack also its sampler thread's own CPU time and the
    samples it took in it. With ``after_first`` the window opens at the sampler's first sample
    (after psutil has loaded): the steady cost."""
    run = start(module, bool(p["stats"]), p.get("interval"))
    sampler = getattr(run, "_sampler", None)
    thread_cpu = thread_clock(sampler)
    if p.get("after_first"):
        first_sample(sampler, time.monotonic() + 30)
    self0, kids0, thread0 = time.process_time(), children_cpu(), thread_cpu()
    samples0 = getattr(sampler, "samples", 0)
    wall0 = time.perf_counter()
    time.sleep(float(p["seconds"]))
    wall = time.perf_counter() - wall0
    self1, kids1, thread1 = time.process_time(), children_cpu(), thread_cpu()
    samples = sampler.samples - samples0 if sampler is not None else None
    interval = getattr(run.settings, "stats_interval", None)
    interval = getattr(run.settings, "x_stats_sampling_interval", interval)
    run.finish()
    return {
        "wall": wall,
        "self_cpu": self1 - self0,
        "children_cpu": kids1 - kids0,
        "thread_cpu": thread1 - thread0,
        "samples": samples,
        "interval": interval,
        "children": len(worker.descendants()),
    }


def first_sample(sampler: Any, deadline: float) -> None:
    """Wait until the sampler has taken its first sample (psutil loaded, baselines read)."""
    while sampler.samples < 1:
        if time.monotonic() > deadline:
            raise RuntimeError("the sampler took no sample within 30 s")
        time.sleep(0.01)


def thread_clock(thread: Any) -> Callable[[], float]:
    """CPU seconds of a running thread (0 when there is none)."""
    if thread is None or thread.ident is None:
        return lambda: 0.0
    clock = time.pthread_getcpuclockid(thread.ident)
    return lambda: time.clock_gettime(clock)


def children_cpu() -> float:
    """User + system CPU seconds of this process's live descendants (clock ticks, /proc)."""
    total = 0
    for pid in worker.descendants():
        try:
            with open(f"/proc/{pid}/stat", encoding="ascii") as f:
                fields = f.read().rsplit(")", 1)[1].split()
        except OSError:
            continue
        total += int(fields[11]) + int(fields[12])
    return total / os.sysconf("SC_CLK_TCK")


def stats_log(module: Any, p: Result) -> Result:
    """``rounds`` x (a run with the sampler on at ``interval`` s, a run with it off, in turn
    first): the mean time per ``log({"loss": x})`` over ``calls`` calls in each, timed from
    ``SETTLE`` s after ``init()`` (and the first sample), and the samples the sampler took during
    the timed calls."""
    found: Result = {"on": [], "off": [], "samples": []}
    for number in range(int(p["rounds"])):
        for stats in (True, False) if number % 2 == 0 else (False, True):
            seconds, samples = log_loop(module, stats, float(p["interval"]), int(p["calls"]))
            found["on" if stats else "off"].append(seconds)
            if stats:
                found["samples"].append(samples)
    return found


def log_loop(module: Any, stats: bool, interval: float, calls: int) -> tuple[float, int]:
    """One run: settle (the sampler's first sample, psutil loaded; init's background git
    capture done), then time ``calls`` calls of ``log``."""
    run = start(module, stats, interval)
    sampler = getattr(run, "_sampler", None)
    time.sleep(SETTLE)
    if sampler is not None:
        first_sample(sampler, time.monotonic() + 30)
    before = sampler.samples if sampler is not None else 0
    started = time.perf_counter()
    for i in range(calls):
        run.log({"loss": i * 0.5})
    seconds = (time.perf_counter() - started) / calls
    samples = (sampler.samples - before) if sampler is not None else 0
    run.finish()
    return seconds, samples


CHILDREN = {"watch": watch, "idle": idle, "stats_log": stats_log}
