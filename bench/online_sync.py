"""Figure: uploading an offline run (``nbtrack.sync()`` and ``nbtrack sync``) to a local
server, with where its time goes, against MLflow's ``log_batch`` to its tracking server."""

from __future__ import annotations

import shutil
import subprocess
import time
from collections.abc import Sequence

from harness import (
    MLFLOW_PYTHON,
    NBTRACK_CLI,
    NBTRACK_PYTHON,
    ChildError,
    Data,
    Line,
    NbServer,
    Plan,
    Result,
    Scratch,
    Servers,
    attempt,
    clean_env,
    cpu_seconds,
    error_line,
    failed,
    k,
    loads,
    median,
    nbtrack_server,
    provenance,
    ratio_text,
    run_child,
    target_text,
)


def measure(plan: Plan, scratch: Scratch, servers: Servers, data: Data) -> None:
    """Offline runs of ``sync_steps`` x 10 keys (written by a separate process first), each
    uploaded by a fresh process to a fresh server of its own."""
    with nbtrack_server(scratch) as server:
        attempt(
            data,
            "nbtrack_sync_api",
            lambda: [sync_api(plan, scratch, server) for _ in range(plan.sync_repeats)],
        )
        attempt(
            data,
            "nbtrack_sync_cli",
            lambda: [sync_cli(plan, scratch, server) for _ in range(plan.sync_repeats)],
        )
    if servers.mlflow is not None:
        upload = {"steps": plan.mlflow_upload_steps, "budget": plan.mlflow_upload_budget}
        env = {"MLFLOW_TRACKING_URI": servers.mlflow}
        attempt(
            data,
            "mlflow_upload",
            lambda: run_child(MLFLOW_PYTHON, "mlflow", "mlflow-upload", upload, env, scratch),
        )


def offline_run(plan: Plan, scratch: Scratch, server: NbServer) -> Result:
    batch = min(5000, plan.sync_steps)
    make = {"batches": plan.sync_steps // batch, "batch": batch, "budget": 1e9}
    return run_child(NBTRACK_PYTHON, "nbtrack", "make-run", make, server.env("offline"), scratch)


def sync_api(plan: Plan, scratch: Scratch, server: NbServer) -> Result:
    """``nbtrack.sync()`` in a fresh process, in the repository the run was written in."""
    made = offline_run(plan, scratch, server)
    cpu0 = cpu_seconds(server.pid)
    result = run_child(
        NBTRACK_PYTHON, "nbtrack", "sync", {"cwd": made["repo"]}, server.env("offline"), scratch
    )
    result["server_cpu_s"] = cpu_seconds(server.pid) - cpu0
    if not result["ok"]:
        raise ChildError(f"sync incomplete: {result['runs']}")
    return result


def sync_cli(plan: Plan, scratch: Scratch, server: NbServer) -> Result:
    """The ``nbtrack sync`` command, process start to exit."""
    made = offline_run(plan, scratch, server)
    home = scratch.folder("sync-cli")
    env = clean_env(home) | provenance.nbtrack_path_env() | server.env("offline")
    env["NBTRACK_CONFIG_DIR"] = str(home / "nbtrack-config")
    cpu0 = cpu_seconds(server.pid)
    t0 = time.perf_counter()
    proc = subprocess.run(
        [str(NBTRACK_CLI), "sync"], cwd=made["repo"], env=env, capture_output=True, text=True
    )
    wall = time.perf_counter() - t0
    server_cpu = cpu_seconds(server.pid) - cpu0
    summary = proc.stdout.strip().splitlines()[-1] if proc.stdout.strip() else ""
    if proc.returncode != 0 or " 0 failed" not in summary:
        raise ChildError(f"nbtrack sync: exit {proc.returncode}: {summary}")
    shutil.rmtree(made["repo"])
    return {"wall_s": wall, "server_cpu_s": server_cpu, "out": summary, "load": provenance.load()}


def lines(data: Data, plan: Plan) -> list[Line]:
    steps = k(plan.sync_steps)
    fig = f"upload an offline run of {steps} steps x 10 keys"
    out: list[Line] = []
    api, cli = data.get("nbtrack_sync_api"), data.get("nbtrack_sync_cli")
    nb = None
    if failed(api) or api is None:
        out.append(error_line(fig, "`nbtrack.sync()`", str(api)))
    else:
        nb = median(r["sync_s"] for r in api)
        work = f"median of {len(api)} fresh processes (the call only)"
        verdict = target_text(nb, 3, "target ≤ 3 s")
        out.append(
            Line(fig, "`nbtrack.sync()`, local server", f"{nb:.3g} s", work, loads(api), verdict)
        )
    if failed(cli) or cli is None:
        out.append(error_line(fig, "`nbtrack sync`", str(cli)))
    else:
        wall = median(r["wall_s"] for r in cli)
        work = f"median of {len(cli)}, process start to exit"
        verdict = target_text(wall, 3, "target ≤ 3 s")
        out.append(
            Line(
                fig,
                "`nbtrack sync` command, local server",
                f"{wall:.3g} s",
                work,
                loads(cli),
                verdict,
            )
        )
    out.append(mlflow_line(data, plan, fig, nb))
    out.append(Line(fig, "wandb `wandb sync`", "n/a", "needs a wandb server; none here", "-"))
    out.append(Line(fig, "trackio", "n/a", "its sync goes to a Hugging Face Space", "-"))
    return out


def mlflow_line(data: Data, plan: Plan, fig: str, nb: float | None) -> Line:
    up = data.get("mlflow_upload")
    if failed(up) or up is None:
        return error_line(fig, "mlflow", str(up))
    scaled = up["upload_s"] / up["steps"] * plan.sync_steps
    work = f"{k(up['steps'])} steps in {up['upload_s']:.3g} s"
    work += f" ({up['requests']} requests of 1000 metrics)"
    if up["steps"] < plan.sync_steps:
        work += f", scaled to {k(plan.sync_steps)} steps"
    verdict = ratio_text(nb, scaled, "nbtrack.sync()/peer") if nb is not None else ""
    who = "mlflow `MlflowClient.log_batch` to the server"
    return Line(fig, who, f"{scaled:.3g} s", work, loads([up]), verdict)


def breakdown(data: Data) -> list[str]:
    """Where the time of the median ``nbtrack.sync()`` goes."""
    api = data.get("nbtrack_sync_api")
    if failed(api) or not api:
        return []
    run = sorted(api, key=lambda r: r["sync_s"])[len(api) // 2]
    wall = run["sync_s"]
    lines = [
        f"Where the time of `nbtrack.sync()` goes (its median run, {wall:.3g} s, load "
        f"{run['load']:.2f}):",
        "",
        "| part | time | share | calls | sent |",
        "|---|---|---|---|---|",
    ]
    for label, seconds in sorted(run["seconds"].items(), key=lambda kv: -kv[1]):
        mb = run["bytes"].get(label, 0) / 1e6
        sent = f"{mb:.3g} MB" if mb else ""
        request = label.startswith(("POST", "PUT", "GET"))
        what = f"{label} (request to answer: server work + HTTP)" if request else label
        calls = run["calls"][label]
        lines.append(
            f"| {what} | {seconds * 1e3:.0f} ms | {seconds / wall:.0%} | {calls} | {sent} |"
        )
    rest = wall - sum(run["seconds"].values())
    lines.append(
        f"| other client work (finding the run, locks, building bodies) | {rest * 1e3:.0f} ms | "
        f"{rest / wall:.0%} | | |"
    )
    requests_s = sum(
        s for label, s in run["seconds"].items() if label[:4] in ("POST", "PUT ", "GET ")
    )
    lines += [
        "",
        f"CPU during that sync: client process {run['cpu_s']:.3g} s, server process "
        f"{run['server_cpu_s']:.3g} s (read from /proc), together "
        f"{run['cpu_s'] + run['server_cpu_s']:.3g} s in {wall:.3g} s of wall time. Requests took "
        f"{requests_s:.3g} s of the wall time and client work {wall - requests_s:.3g} s (the "
        "client sends one request at a time and waits for its answer).",
    ]
    return lines + command_lines(data, api)


def command_lines(data: Data, api: Sequence[Result]) -> list[str]:
    cli = data.get("nbtrack_sync_cli")
    if failed(cli) or not cli:
        return []
    api_s = sorted(r["sync_s"] for r in api)
    cli_s = sorted(r["wall_s"] for r in cli)
    overlap = min(cli_s) <= max(api_s) and min(api_s) <= max(cli_s)
    relation = (
        "the two ranges overlap"
        if overlap
        else f"the command's median is {median(cli_s) - median(api_s):.3g} s above the call's"
    )
    return [
        f"The command's runs took {', '.join(f'{x:.3g}' for x in cli_s)} s (process start to "
        f"exit) against {', '.join(f'{x:.3g}' for x in api_s)} s for the call; {relation}. "
        f"Server CPU during a command run: {median(r['server_cpu_s'] for r in cli):.3g} s (median)."
    ]
