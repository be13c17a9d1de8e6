"""The README's main job: ``nbtrack demo`` starts a server, logs a run online, prints its link."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import requests

import nbtrack
from tests.liveserver import free_port, wait_for

NBTRACK = [sys.executable, "-m", "nbtrack"]


def test_demo_logs_a_run_and_prints_its_link(tmp_path: Path) -> None:
    port = free_port()
    done = subprocess.run(
        [
            *NBTRACK,
            "demo",
            "--exit",
            "--steps",
            "50",
            "--dir",
            str(tmp_path / "demo"),
            "--port",
            str(port),
        ],
        capture_output=True,
        text=True,
        env=os.environ.copy(),
        timeout=180,
    )
    assert done.returncode == 0, done.stdout + done.stderr
    link = re.search(
        r"The example run: (http://127\.0\.0\.1:(\d+)/admin/demo/runs/(\w+))", done.stdout
    )
    assert link is not None, done.stdout
    assert link.group(2) == str(port)
    key = (tmp_path / "demo" / "admin-key").read_text().strip()
    run_dir = next((tmp_path / "demo" / "nbtrack").glob(f"run-*-{link.group(3)}"))
    assert (run_dir / "upload.json").is_file()
    again = subprocess.Popen(
        [*NBTRACK, "server", "--port", str(port), "--data-dir", str(tmp_path / "demo" / "server")],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        base = f"http://127.0.0.1:{port}"
        wait_for(lambda: _healthy(base), 60, "the demo's server to come back")
        remote = nbtrack.Api(base, key).run(f"admin/demo/{link.group(3)}")
        assert remote.state == "finished" and len(list(remote.history())) == 50
    finally:
        again.terminate()
        again.wait(20)


def _healthy(base: str) -> bool:
    try:
        return requests.get(f"{base}/api/v1/health", timeout=1).ok
    except requests.RequestException:
        return False
