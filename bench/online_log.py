"""Figures: ``log()`` online (uploader running) vs offline, and ``finish()`` after logging,
against trackio's local store and MLflow's ``log_metrics`` to its tracking server."""

from __future__ import annotations

import statistics
from collections.abc import Sequence

from harness import (
    MLFLOW_PYTHON,
    NBTRACK_PYTHON,
    Data,
    Line,
    Plan,
    Result,
    Scratch,
    Servers,
    attempt,
    error_line,
    failed,
    fmt,
    k,
    loads,
    median,
    ratio_text,
    run_child,
    target_text,
)
from online_init import trackio_worker

LOG = "`log()` per call, 10 float keys"
FINISH = "`finish()` after logging"
NO_WANDB = "online mode needs a wandb server; none here"


def measure(plan: Plan, scratch: Scratch, servers: Servers, data: Data) -> None:
    if servers.nbtrack is not None:
        params = {"batches": plan.log_batches, "batch": plan.log_batch, "budget": 120.0}
        for key, backlog in (("nbtrack_log", 0), ("nbtrack_log_busy", plan.log_backlog)):
            attempt(data, key, lambda b=backlog: nbtrack_logs(plan, scratch, servers, params, b))
    batches = {"batches": plan.trackio_batches, "batch": plan.log_batch}
    attempt(data, "trackio_log", trackio_worker("log", batches))
    if servers.mlflow is not None:
        env = {"MLFLOW_TRACKING_URI": servers.mlflow}
        sync = {"batches": plan.mlflow_log_batches, "batch": plan.mlflow_log_batch}
        later = {"batches": plan.mlflow_async_batches, "batch": plan.mlflow_async_batch}
        for key, p in (("mlflow_log", sync), ("mlflow_async", later)):
            p |= {"budget": 60, "asynchronous": key == "mlflow_async"}
            attempt(
                data,
                key,
                lambda p=p: run_child(MLFLOW_PYTHON, "mlflow", "mlflow-log", p, env, scratch),
            )


def nbtrack_logs(
    plan: Plan, scratch: Scratch, servers: Servers, params: Result, backlog: int
) -> Result:
    """Fresh processes, offline and online alternating so that both see the same load."""
    assert servers.nbtrack is not None
    runs: dict[str, list[Result]] = {"offline": [], "online": []}
    for _ in range(plan.log_repeats):
        for mode, into in runs.items():
            p = params | {"online": mode == "online", "backlog": backlog}
            env = servers.nbtrack.env(mode)
            into.append(run_child(NBTRACK_PYTHON, "nbtrack", "online-log", p, env, scratch))
    return {**runs, "backlog": backlog}


def log_figures(results: Sequence[Result]) -> tuple[float, float]:
    """(median over batches, mean over all calls) in µs per call."""
    batches = [b for r in results for b in r["log_s"]]
    return statistics.median(batches) * 1e6, statistics.fmean(batches) * 1e6


def log_work(results: Sequence[Result]) -> str:
    steps = results[0]["steps"]
    batch = steps // len(results[0]["log_s"])
    runs = f"{len(results)} processes x " if len(results) > 1 else ""
    return f"{runs}{k(steps)} calls, median of batches of {k(batch)}"


def uploaded(results: Sequence[Result], when: str) -> float:
    return median(r[when]["uploaded"] for r in results)


def background_cpu(results: Sequence[Result]) -> tuple[float, float]:
    """(wall s, CPU s of the threads other than the main one) between init() and finish()."""
    walls, threads = [], []
    for r in results:
        a, b = r["at_start"], r["before_finish"]
        walls.append(b["wall"] - a["wall"])
        threads.append((b["cpu"] - a["cpu"]) - (b["main"] - a["main"]))
    return median(walls), median(threads)


def reading(data: Data) -> list[str]:
    """What the per-batch times of nbtrack's ``log()`` show (computed; no conclusion drawn)."""
    groups: dict[str, list[float]] = {}
    for key, label in (("nbtrack_log", "right after `init()`"), ("nbtrack_log_busy", "backlog")):
        logs = data.get(key)
        if failed(logs) or logs is None:
            return []
        for mode in ("offline", "online"):
            groups[f"{mode}, {label}"] = [b * 1e6 for r in logs[mode] for b in r["log_s"]]
    fastest = min(min(v) for v in groups.values())
    slow = [b for v in groups.values() for b in v if b > 1.5 * fastest]
    shares = ", ".join(
        f"{name} {sum(b > 1.5 * fastest for b in v) / len(v):.0%}" for name, v in groups.items()
    )
    wall, threads = background_cpu(data["nbtrack_log_busy"]["online"])
    return [
        "",
        f"Per-batch times of the nbtrack `log()` rows: the fastest batch ran at {fastest:.3g} µs "
        f"per call; batches more than 1.5 x slower (median {median(slow) if slow else 0:.3g} µs) "
        f"make up: {shares}. While the uploader sent the backlog, the run's background threads "
        f"(uploader included) used {threads:.2g} s of CPU in the {wall:.2g} s of timed logging "
        f"({threads / wall:.0%}); the server's CPU is not in that figure.",
    ]


def nbtrack_log_lines(key: str, logs: Result) -> tuple[list[Line], float]:
    off, on = logs["offline"], logs["online"]
    off_med, off_mean = log_figures(off)
    on_med, on_mean = log_figures(on)
    ratio, mean_ratio = on_med / off_med, on_mean / off_mean
    target = target_text(ratio, 1.2, f"online/offline {ratio:.2f}, target ≤ 1.2")
    offline_mean = f"mean over all calls {fmt(off_mean)} µs"
    if key == "nbtrack_log":
        during = (
            f"; the server held {k(uploaded(on, 'before_finish'))} records when the calls ended"
        )
        return [
            Line(
                LOG,
                "nbtrack offline",
                f"{fmt(off_med)} µs",
                log_work(off),
                loads(off),
                offline_mean,
            ),
            Line(
                LOG,
                "nbtrack online, right after `init()`",
                f"{fmt(on_med)} µs",
                log_work(on) + during,
                loads(on),
                target,
            ),
        ], on_med
    backlog = k(logs["backlog"])
    sent = uploaded(on, "before_finish") - uploaded(on, "at_start")
    wall, threads = background_cpu(on)
    during = (
        f"; meanwhile the uploader had {k(sent)} records acknowledged and the "
        f"background threads used {threads:.2g} s of CPU in {wall:.2g} s (medians)"
    )
    mean_target = target_text(mean_ratio, 1.2, f"online/offline {mean_ratio:.2f}, target ≤ 1.2")
    return [
        Line(
            LOG,
            f"nbtrack offline, after {backlog} steps",
            f"{fmt(off_med)} µs",
            log_work(off),
            loads(off),
            offline_mean,
        ),
        Line(
            LOG,
            f"nbtrack online, while the uploader sends a {backlog}-step backlog",
            f"{fmt(on_med)} µs",
            log_work(on) + during,
            loads(on),
            target,
        ),
        Line(
            LOG,
            "the same, mean over all calls",
            f"{fmt(on_mean)} µs",
            "every batch, slow ones included",
            loads(on),
            mean_target,
        ),
    ], on_med


def log_lines(data: Data) -> list[Line]:
    out: list[Line] = []
    online_median = None
    for key in ("nbtrack_log", "nbtrack_log_busy"):
        logs = data.get(key)
        if failed(logs) or logs is None:
            out.append(error_line(LOG, "nbtrack", str(logs)))
            continue
        more, online_median = nbtrack_log_lines(key, logs)
        out += more
    for key, who in (
        ("trackio_log", "trackio, local store"),
        ("mlflow_log", "mlflow `log_metrics`, synchronous, to the server"),
        ("mlflow_async", "mlflow `log_metrics(synchronous=False)`, to the server"),
    ):
        peer = data.get(key)
        if failed(peer) or peer is None:
            out.append(error_line(LOG, who, str(peer)))
            continue
        med, _ = log_figures([peer])
        verdict = ratio_text(online_median, med, "nbtrack online/peer") if online_median else ""
        out.append(Line(LOG, who, f"{fmt(med)} µs", log_work([peer]), loads([peer]), verdict))
    out.append(Line(LOG, "wandb", "n/a", NO_WANDB, "-"))
    return out


def finish_lines(data: Data) -> list[Line]:
    out: list[Line] = []
    logs = data.get("nbtrack_log")
    nb = None
    if not failed(logs) and logs is not None:
        online, offline = logs["online"], logs["offline"]
        nb = median(r["finish_s"] for r in online) * 1e3
        before = median(r["before_finish"]["uploaded"] for r in online)
        left = max(r["after_finish"]["total"] - r["after_finish"]["uploaded"] for r in online)
        steps = k(online[0]["steps"])
        work = (
            f"after {steps} steps, median of {len(online)}; the server held {k(before)} records "
            f"when finish() began, {'all' if left == 0 else f'all but {left}'} when it returned"
        )
        out.append(
            Line(
                FINISH, "nbtrack online (flushes the upload)", f"{fmt(nb)} ms", work, loads(online)
            )
        )
        off = median(r["finish_s"] for r in offline) * 1e3
        work = f"after {steps} steps, median of {len(offline)}"
        out.append(Line(FINISH, "nbtrack offline", f"{fmt(off)} ms", work, loads(offline)))
    else:
        out.append(error_line(FINISH, "nbtrack", str(logs)))
    for key, who in (
        ("trackio_log", "trackio, local store"),
        ("mlflow_async", "mlflow `end_run` after asynchronous logging (waits for its queue)"),
    ):
        peer = data.get(key)
        if failed(peer) or peer is None:
            out.append(error_line(FINISH, who, str(peer)))
            continue
        value = peer["finish_s"] * 1e3
        verdict = ratio_text(nb, value, "nbtrack online/peer") if nb is not None else ""
        work = f"after {k(peer['steps'])} steps"
        out.append(Line(FINISH, who, f"{fmt(value)} ms", work, loads([peer]), verdict))
    out.append(Line(FINISH, "wandb", "n/a", NO_WANDB, "-"))
    return out
