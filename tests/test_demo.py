"""The README's main job: ``nbtrack demo`` starts a server, logs a run online, prints its link."""

from __future__ import annotations

import os
import re
import signal
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
        assert remote.state == "finished" and len(list(remote.scan_history())) == 50
    finally:
        again.terminate()
        again.wait(20)


def test_the_admin_key_stays_off_the_servers_command_line(tmp_path: Path) -> None:
    command = [*NBTRACK, "demo", "--steps", "5", "--dir", str(tmp_path), "--port", str(free_port())]
    with subprocess.Popen(
        command, stdout=subprocess.PIPE, text=True, env=os.environ.copy()
    ) as demo:
        try:
            assert demo.stdout is not None
            wait_for(lambda: "keeps running" in demo.stdout.readline(), 120, "the demo's run")
            key = (tmp_path / "admin-key").read_text().strip()
            lines = [_cmdline(pid) for pid in _descendants(demo.pid)]
            assert any("server" in line for line in lines), lines  # the server was found
            assert not any(key in line for line in lines)
        finally:
            demo.send_signal(signal.SIGINT)  # Ctrl-C: the demo stops its server
            assert demo.wait(30) == 0


def _descendants(pid: int) -> list[int]:
    parents: dict[int, list[int]] = {}
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        parents.setdefault(int(fields[1]), []).append(int(stat.parent.name))
    found, todo = [], [pid]
    while todo:
        children = parents.get(todo.pop(), [])
        found += children
        todo += children
    return found


def _cmdline(pid: int) -> str:
    try:
        return (Path("/proc") / str(pid) / "cmdline").read_bytes().replace(b"\0", b" ").decode()
    except OSError:
        return ""


def _healthy(base: str) -> bool:
    try:
        return requests.get(f"{base}/api/v1/health", timeout=1).ok
    except requests.RequestException:
        return False
