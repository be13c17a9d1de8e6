"""Figure: ``init()`` online (nbtrack with a local server) against trackio and MLflow."""

from __future__ import annotations

from collections.abc import Callable

import bench_core
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
    loads,
    median,
    provenance,
    ratio_text,
    run_child,
    target_text,
)

FIGURE = "`init()` online"
TRACKIO = next(t for t in bench_core.TRACKERS if t.name == "trackio")


def measure(plan: Plan, scratch: Scratch, servers: Servers, data: Data) -> None:
    if servers.nbtrack is not None:
        server = servers.nbtrack

        def nbtrack() -> Result:
            p = {"count": plan.inits, "budget": 120.0}
            env = server.env("online")
            return run_child(NBTRACK_PYTHON, "nbtrack", "online-init", p, env, scratch)

        attempt(data, "nbtrack_init", nbtrack)
    attempt(data, "trackio_init", trackio_worker("init", {"count": plan.trackio_inits}))
    if servers.mlflow is not None:
        url = servers.mlflow

        def mlflow() -> Result:
            p = {"count": plan.mlflow_inits, "budget": 60}
            env = {"MLFLOW_TRACKING_URI": url}
            return run_child(MLFLOW_PYTHON, "mlflow", "mlflow-init", p, env, scratch)

        attempt(data, "mlflow_init", mlflow)


def trackio_worker(name: str, params: dict[str, float]) -> Callable[[], Result]:
    """trackio through bench_core's worker (its local store, as in the core table)."""

    def run() -> Result:
        if not TRACKIO.python.exists():
            raise AssertionError("bench/venvs/trackio missing: bash bench/setup_peers.sh")
        result = bench_core.run_worker(TRACKIO, name, params | {"budget": 120.0}, timeout=600)
        return result | {"load": provenance.load()}

    return run


def lines(data: Data) -> list[Line]:
    out: list[Line] = []
    ours = data.get("nbtrack_init")
    nb = None
    if failed(ours) or ours is None:
        out.append(error_line(FIGURE, "nbtrack, local server", str(ours)))
    else:
        nb = median(ours["init_s"]) * 1e3
        first = ours["init_s"][0] * 1e3
        work = f"median of {len(ours['init_s'])} in one process; 1st: {first:.3g} ms"
        verdict = target_text(nb, 30, "target ≤ 30 ms")
        out.append(
            Line(FIGURE, "nbtrack, local server", f"{fmt(nb)} ms", work, loads([ours]), verdict)
        )
    for key, who in (
        ("trackio_init", "trackio, local store"),
        ("mlflow_init", "mlflow, tracking server (start_run + log_params)"),
    ):
        peer = data.get(key)
        if failed(peer) or peer is None:
            out.append(error_line(FIGURE, who, str(peer)))
            continue
        value = median(peer["init_s"]) * 1e3
        work = f"median of {len(peer['init_s'])} in one process"
        verdict = ratio_text(nb, value, "nbtrack/peer") if nb is not None else ""
        out.append(Line(FIGURE, who, f"{fmt(value)} ms", work, loads([peer]), verdict))
    out.append(Line(FIGURE, "wandb", "n/a", "online mode needs a wandb server; none here", "-"))
    return out
