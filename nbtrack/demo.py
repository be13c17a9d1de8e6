"""``nbtrack demo``: the whole path in one command — a local server on SQLite, an example run
logged to it online, and the link to the run's page."""

from __future__ import annotations

import argparse
import math
import os
import secrets
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import requests


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--dir", default=".nbtrack-demo", help="where the demo keeps its data")
    parser.add_argument("--port", type=int, default=8642, help="server port (default 8642)")
    parser.add_argument("--steps", type=int, default=300, help="steps the example run logs")
    parser.add_argument(
        "--exit", action="store_true", help="stop the server once the run is logged"
    )


def run(args: argparse.Namespace) -> int:
    folder = Path(args.dir).resolve()
    (folder / "server").mkdir(parents=True, exist_ok=True)
    key = _admin_key(folder)
    port = args.port if _port_free(args.port) else _free_port()
    base_url = f"http://127.0.0.1:{port}"
    server = _start_server(folder, port, key)
    try:
        _wait_healthy(base_url, server)
        url = _log_example(folder, base_url, key, args.steps)
        print(f"\nThe example run: {url}")
        print(f"Log in to the web UI with the API key in {folder / 'admin-key'}.")
        if args.exit:
            return 0
        print("The server keeps running; press Ctrl-C to stop it.", flush=True)
        server.wait()
    except KeyboardInterrupt:
        pass
    finally:
        _stop(server)
    return 0


def _admin_key(folder: Path) -> str:
    path = folder / "admin-key"
    if not path.exists():
        path.write_text("nbt_" + secrets.token_urlsafe(30) + "\n")
        path.chmod(0o600)
    return path.read_text().strip()


def _port_free(port: int) -> bool:
    with socket.socket() as probe:
        try:
            probe.bind(("127.0.0.1", port))
        except OSError:
            return False
    return True


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def _start_server(folder: Path, port: int, key: str) -> subprocess.Popen[bytes]:
    command = [sys.executable, "-m", "nbtrack.cli", "server", "--port", str(port)]
    command += ["--data-dir", str(folder / "server")]
    env = {**os.environ, "NBTRACK_ADMIN_KEY": key}  # not an argument: `ps` shows those to all
    print(f"Starting the nbtrack server on SQLite in {folder / 'server'} ...", flush=True)
    return subprocess.Popen(command, env=env, start_new_session=True)


def _wait_healthy(base_url: str, server: subprocess.Popen[bytes]) -> None:
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if server.poll() is not None:
            raise SystemExit(f"The server stopped (exit code {server.returncode}); see above.")
        try:
            if requests.get(f"{base_url}/api/v1/health", timeout=1).ok:
                return
        except requests.RequestException:
            pass
        time.sleep(0.1)
    raise SystemExit(f"The server did not answer on {base_url} within 60 s.")


def _log_example(folder: Path, base_url: str, key: str, steps: int) -> str:
    import nbtrack

    settings = {"base_url": base_url, "api_key": key}
    config = {"learning_rate": 0.01, "batch_size": 128, "model": "CNN", "dataset": "CIFAR10"}
    run = nbtrack.init(
        project="demo", config=config, mode="online", dir=str(folder), settings=settings
    )
    print(f"Run {run.name} ({run.id}) is logging {steps} steps ...", flush=True)
    for step in range(steps):
        progress = step / max(1, steps - 1)
        loss = 2.3 * math.exp(-3 * progress) + 0.05 * math.sin(step / 7)
        run.log({"loss": loss, "accuracy": 1 - loss / 2.5, "lr": 0.01 * (1 - progress)})
    run.summary["best_accuracy"] = max(0.0, 1 - 0.05 / 2.5)
    run.finish()
    return run.url or f"{base_url}/{run.entity}/{run.project}/runs/{run.id}"


def _stop(server: subprocess.Popen[bytes]) -> None:
    if server.poll() is None:
        os.killpg(server.pid, signal.SIGTERM)
        try:
            server.wait(15)
        except subprocess.TimeoutExpired:
            os.killpg(server.pid, signal.SIGKILL)
            server.wait()
