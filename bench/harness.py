"""The parent side shared by the online and sync benchmarks: scratch repositories, fresh
``worker.py`` processes, local servers, and the rows of the results table.

Standard library plus ``requests`` (in the project's .venv); nothing from ``tests/``.
"""

from __future__ import annotations

import dataclasses
import json
import os
import socket
import statistics
import subprocess
import sys
import time
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import provenance

BENCH = Path(__file__).resolve().parent
ROOT = BENCH.parent
WORKER = BENCH / "worker.py"
NBTRACK_PYTHON = ROOT / ".venv/bin/python"
NBTRACK_CLI = ROOT / ".venv/bin/nbtrack"
MLFLOW_PYTHON = BENCH / "venvs/mlflow/bin/python"
MLFLOW_CLI = BENCH / "venvs/mlflow/bin/mlflow"
CLEARED_ENV_PREFIXES = ("NBTRACK_", "WANDB_", "TRACKIO_", "MLFLOW_", "HF_", "PYTHON")

Result = dict[str, Any]
Data = dict[str, Any]


@dataclasses.dataclass(frozen=True)
class Plan:
    """How much work each online and sync figure does."""

    log_repeats: int = 4  # fresh processes per mode, offline and online alternating
    log_batches: int = 20
    log_batch: int = 5000
    log_backlog: int = 100_000  # steps logged before the timed batches, for the busy uploader
    inits: int = 30
    sync_steps: int = 100_000
    sync_repeats: int = 3
    trackio_inits: int = 20
    trackio_batches: int = 20
    mlflow_inits: int = 20
    mlflow_log_batches: int = 4
    mlflow_log_batch: int = 50
    mlflow_async_batches: int = 2
    mlflow_async_batch: int = 1000
    mlflow_upload_steps: int = 100_000
    mlflow_upload_budget: float = 60.0

    def quick(self) -> Plan:
        return Plan(
            log_repeats=1,
            log_batches=5,
            log_batch=4000,
            log_backlog=20_000,
            inits=5,
            sync_steps=20_000,
            sync_repeats=1,
            trackio_inits=5,
            trackio_batches=4,
            mlflow_inits=5,
            mlflow_log_batches=2,
            mlflow_async_batches=2,
            mlflow_async_batch=500,
            mlflow_upload_steps=5000,
            mlflow_upload_budget=15.0,
        )


@dataclasses.dataclass
class Servers:
    """The servers a part of the run talks to (None: not started, e.g. the peer is missing)."""

    nbtrack: NbServer | None = None
    mlflow: str | None = None


class ChildError(RuntimeError):
    pass


def note(message: str) -> None:
    print(f"[bench] {message}", file=sys.stderr, flush=True)


def clean_env(home: Path) -> dict[str, str]:
    """This process's environment without tracker settings, with HOME and XDG dirs in ``home``."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(CLEARED_ENV_PREFIXES)}
    env.pop("VIRTUAL_ENV", None)
    env.update(HOME=str(home), XDG_CONFIG_HOME=str(home / ".config"))
    env.update(XDG_CACHE_HOME=str(home / ".cache"), XDG_DATA_HOME=str(home / ".local/share"))
    return env


def make_repo(path: Path) -> Path:
    """A git repository with one commit."""
    path.mkdir(parents=True)
    (path / "train.py").write_text("print('train')\n", encoding="utf-8")
    for args in (
        ["init", "-q", "-b", "main"],
        ["add", "train.py"],
        ["-c", "user.name=bench", "-c", "user.email=bench@example.com", "commit", "-qm", "one"],
    ):
        subprocess.run(["git", *args], cwd=path, check=True, capture_output=True)
    return path


@dataclasses.dataclass
class Scratch:
    """One temporary folder for a whole run; each measurement gets its own repo and home."""

    root: Path
    count: int = 0

    def folder(self, label: str) -> Path:
        self.count += 1
        base = self.root / f"{self.count:03d}-{label}"
        base.mkdir()
        return base

    def place(self, label: str) -> tuple[Path, Path]:
        base = self.folder(label)
        (base / "home").mkdir()
        return make_repo(base / "repo"), base / "home"


def run_child(
    python: Path, tracker: str, measure: str, params: Result, env: dict[str, str], where: Scratch
) -> Result:
    """One fresh ``worker.py`` process in a new repo; its JSON result, with the load after it."""
    repo, home = where.place(measure)
    out = home.parent / "result.json"
    args = [str(python), str(WORKER), tracker, measure, str(out), json.dumps(params)]
    full_env = clean_env(home) | provenance.nbtrack_path_env() | env
    full_env["NBTRACK_CONFIG_DIR"] = str(home / "nbtrack-config")
    try:
        proc = subprocess.run(
            args, cwd=repo, env=full_env, capture_output=True, text=True, timeout=900
        )
    except subprocess.TimeoutExpired as exc:
        raise ChildError(f"{measure}: timed out") from exc
    if proc.returncode != 0 or not out.exists():
        tail = (proc.stderr.strip() or proc.stdout.strip() or "no output").splitlines()[-1]
        raise ChildError(f"{measure}: exit {proc.returncode}: {tail[:300]}")
    result: Result = json.loads(out.read_text(encoding="utf-8"))
    check_source(result)
    result["load"] = provenance.load()
    result["repo"] = str(repo)
    return result


def check_source(result: Result) -> None:
    """The child measured this tree's nbtrack, not some other copy."""
    path = result.get("module_file", "")
    if result.get("tracker") == "nbtrack" and not path.startswith(str(ROOT)):
        raise ChildError(f"the child imported nbtrack from {path}, not from {ROOT}")


def attempt(data: Data, key: str, measure: Callable[[], Any]) -> None:
    """Run one measurement; a failure is noted in the results instead of stopping the run."""
    t0 = time.perf_counter()
    try:
        data[key] = measure()
        note(f"{key}: {time.perf_counter() - t0:.1f} s (load {provenance.load():.2f})")
    except (ChildError, subprocess.CalledProcessError, OSError, AssertionError) as exc:
        data[key] = f"error: {exc}"
        note(f"{key}: FAILED {exc}")


# --- servers -------------------------------------------------------------------------------


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def wait_healthy(url: str, process: subprocess.Popen[bytes], timeout: float) -> None:
    import requests

    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise ChildError(f"server exited with {process.returncode}")
        try:
            if requests.get(url, timeout=1).ok:
                return
        except requests.RequestException:
            pass
        time.sleep(0.1)
    raise ChildError(f"no answer from {url} within {timeout:.0f} s")


@dataclasses.dataclass
class NbServer:
    url: str
    key: str
    pid: int

    def env(self, mode: str) -> dict[str, str]:
        return {
            "NBTRACK_MODE": mode,
            "NBTRACK_BASE_URL": self.url,
            "NBTRACK_API_KEY": self.key,
            "NBTRACK_SILENT": "1",
            "NBTRACK_FINISH_TIMEOUT": "300",
        }


@contextmanager
def server_process(
    args: list[str], folder: Path, env: dict[str, str]
) -> Iterator[subprocess.Popen[bytes]]:
    log = open(folder / "server.log", "wb")  # noqa: SIM115
    process = subprocess.Popen(
        args, cwd=folder, stdout=log, stderr=subprocess.STDOUT, env=env, start_new_session=True
    )
    log.close()
    try:
        yield process
    finally:
        if process.poll() is None:
            os.killpg(process.pid, 15)
            try:
                process.wait(30)
            except subprocess.TimeoutExpired:
                os.killpg(process.pid, 9)
                process.wait()


@contextmanager
def nbtrack_server(scratch: Scratch) -> Iterator[NbServer]:
    """A fresh ``nbtrack server`` (SQLite) on an empty data dir and a free loopback port."""
    folder = scratch.folder("nbtrack-server")
    port, key = free_port(), "nbt_" + os.urandom(20).hex()
    args = [str(NBTRACK_PYTHON), "-m", "nbtrack.cli", "server", "--port", str(port)]
    args += ["--data-dir", str(folder / "data"), "--admin-key", key]
    env = clean_env(folder) | provenance.nbtrack_path_env()
    env["NBTRACK_CONFIG_DIR"] = str(folder / "config")
    with server_process(args, folder, env) as process:
        url = f"http://127.0.0.1:{port}"
        wait_healthy(f"{url}/api/v1/health", process, 60)
        yield NbServer(url, key, process.pid)


@contextmanager
def mlflow_server(scratch: Scratch) -> Iterator[str]:
    """``mlflow server`` with a SQLite backend on a free loopback port; yields its URL."""
    folder = scratch.folder("mlflow-server")
    port = free_port()
    args = [str(MLFLOW_CLI), "server", "--backend-store-uri", f"sqlite:///{folder}/mlflow.db"]
    args += ["--default-artifact-root", str(folder / "artifacts"), "--host", "127.0.0.1"]
    args += ["--port", str(port), "--workers", "1"]
    with server_process(args, folder, clean_env(folder)) as process:
        url = f"http://127.0.0.1:{port}"
        wait_healthy(f"{url}/health", process, 180)
        yield url


def cpu_seconds(pid: int) -> float:
    """User + system CPU time of a live process, from /proc."""
    with open(f"/proc/{pid}/stat", encoding="ascii") as f:
        fields = f.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


# --- the table -----------------------------------------------------------------------------


@dataclasses.dataclass(frozen=True)
class Line:
    """One row of the table."""

    figure: str
    who: str
    value: str
    work: str
    load: str
    verdict: str = ""


def fmt(value: float) -> str:
    return f"{value:.3g}" if value < 1000 else f"{value:.0f}"


def k(n: float) -> str:
    return f"{n / 1000:.3g}k" if n >= 1000 else f"{n:.0f}"


def failed(item: Any) -> str | None:
    return item if isinstance(item, str) else None


def loads(results: Sequence[Result]) -> str:
    values = sorted({round(r["load"], 2) for r in results})
    return f"{values[0]:.2f}" if len(values) == 1 else f"{values[0]:.2f}-{values[-1]:.2f}"


def median(values: Any) -> float:
    return float(statistics.median(values))


def ratio_text(ours: float, peer: float, label: str) -> str:
    return f"{label} {ours / peer:.2g}" if peer else "-"


def target_text(value: float, limit: float, label: str) -> str:
    return f"{label}: {'pass' if value <= limit else 'FAIL'}"


def error_line(figure: str, who: str, message: str) -> Line:
    if message == "None":
        return Line(figure, who, "not run", "left out with --only", "-")
    return Line(figure, who, "error", message[:200], "-")


def table(lines: Sequence[Line]) -> list[str]:
    out = [
        "| figure | tracker, how | value | work behind it | load | target / comparison |",
        "|---|---|---|---|---|---|",
    ]
    last = ""
    for line in lines:
        figure = line.figure if line.figure != last else ""
        last = line.figure
        out.append(
            f"| {figure} | {line.who} | {line.value} | {line.work} | {line.load} | {line.verdict} |"
        )
    return out
