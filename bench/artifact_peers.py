"""The peers of ``bench_artifacts.py``: the same folder of small files logged by wandb
(offline: ``add_dir`` + ``log_artifact`` + ``finish``), by nbtrack offline the same way, and
uploaded by MLflow (``mlflow.log_artifacts`` to a local ``mlflow server`` that stores artifacts
itself, so the bytes go over HTTP as nbtrack's do). Each runs in a fresh process with the
tracker's own python and answers its wall times as JSON.
"""

from __future__ import annotations

import json
import subprocess
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import harness
import provenance

WANDB_PYTHON = harness.BENCH / "venvs/wandb/bin/python"

OFFLINE = r"""
import json, sys, time
t0 = time.perf_counter()
import {module} as tracker
run = tracker.init(project="bench-artifacts")
art = tracker.Artifact("small", type="dataset")
t1 = time.perf_counter()
art.add_dir(sys.argv[1])
t2 = time.perf_counter()
run.log_artifact(art)
run.finish()
t3 = time.perf_counter()
print(json.dumps({{"add": t2 - t1, "log": t3 - t2, "total": t3 - t1}}))
"""

MLFLOW = r"""
import json, sys, time
import mlflow
mlflow.set_tracking_uri(sys.argv[2])
mlflow.set_experiment("bench-artifacts")
with mlflow.start_run():
    t0 = time.perf_counter()
    mlflow.log_artifacts(sys.argv[1], artifact_path="small")
    t1 = time.perf_counter()
print(json.dumps({"total": t1 - t0}))
"""


def available(python: Path) -> bool:
    return python.exists()


def _child(python: Path, code: str, args: list[str], env: dict[str, str], cwd: Path) -> Any:
    done = subprocess.run(
        [str(python), "-c", code, *args],
        cwd=cwd,
        env=env,
        check=True,
        timeout=1800,
        capture_output=True,
        text=True,
    )
    return json.loads(done.stdout.strip().splitlines()[-1])


def offline(tracker: str, folder: Path, source: Path) -> dict[str, Any]:
    """wandb or nbtrack offline: add_dir, log_artifact and finish (files copied, nothing sent)."""
    env = harness.clean_env(folder)
    if tracker == "wandb":
        python, module = WANDB_PYTHON, "wandb"
        env |= {"WANDB_MODE": "offline", "WANDB_DIR": str(folder), "WANDB_SILENT": "true"}
    else:
        python, module = harness.NBTRACK_PYTHON, "nbtrack"
        env |= provenance.nbtrack_path_env() | {"NBTRACK_MODE": "offline", "NBTRACK_SILENT": "1"}
        env |= {"NBTRACK_CONFIG_DIR": str(folder / "config")}
    result: dict[str, Any] = _child(
        python, OFFLINE.format(module=module), [str(source)], env, folder
    )
    return result


@contextmanager
def mlflow_artifact_server(scratch: harness.Scratch) -> Iterator[str]:
    """``mlflow server`` (SQLite) that stores artifacts itself (``--artifacts-destination``):
    clients send files to it over HTTP."""
    folder = scratch.folder("mlflow-server")
    port = harness.free_port()
    args = [str(harness.MLFLOW_CLI), "server", "--backend-store-uri", f"sqlite:///{folder}/m.db"]
    args += ["--artifacts-destination", str(folder / "artifacts"), "--serve-artifacts"]
    args += ["--host", "127.0.0.1", "--port", str(port), "--workers", "1"]
    with harness.server_process(args, folder, harness.clean_env(folder)) as process:
        url = f"http://127.0.0.1:{port}"
        harness.wait_healthy(f"{url}/health", process, 180)
        yield url


def mlflow(url: str, folder: Path, source: Path) -> dict[str, Any]:
    env = harness.clean_env(folder)
    result: dict[str, Any] = _child(harness.MLFLOW_PYTHON, MLFLOW, [str(source), url], env, folder)
    return result
