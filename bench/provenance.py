"""Where a figure comes from: the commit measured, the machine and its load.

A section of RESULTS.md is written only for a committed, clean tree: either the clean export of
a commit that ``bench/measure.sh`` makes (it sets ``NBTRACK_BENCH_COMMIT``), or a working tree
whose ``nbtrack/``, ``bench/`` and ``pyproject.toml`` match HEAD. Standard library only.
"""

from __future__ import annotations

import datetime
import os
import platform
import subprocess
from pathlib import Path

BENCH = Path(__file__).resolve().parent
ROOT = BENCH.parent
MEASURED_PATHS = ("nbtrack", "bench", "pyproject.toml")


def git_out(*args: str) -> str:
    proc = subprocess.run(["git", "-C", str(ROOT), *args], capture_output=True, text=True)
    return proc.stdout.strip()


def commit() -> tuple[str, bool]:
    """(short commit, clean): the code this process measures, and whether it is exactly that."""
    exported = os.environ.get("NBTRACK_BENCH_COMMIT")
    if exported:  # measure.sh: a fresh export of the commit, nothing else in it
        return exported[:7], True
    head = git_out("rev-parse", "--short", "HEAD") or "?"
    dirty = git_out("status", "--porcelain", "--untracked-files=no", "--", *MEASURED_PATHS)
    return head, not dirty


def commit_text() -> str:
    head, clean = commit()
    if clean:
        return f"commit {head} (clean tree)"
    return f"commit {head} + uncommitted changes (not written to RESULTS.md)"


def may_write() -> bool:
    return commit()[1]


def now() -> str:
    return datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%d %H:%M UTC")


def cpu_model() -> str:
    try:
        text = Path("/proc/cpuinfo").read_text(encoding="utf-8")
    except OSError:
        return platform.processor() or "unknown CPU"
    for line in text.splitlines():
        if line.startswith("model name"):
            return line.split(":", 1)[1].strip()
    return "unknown CPU"


def machine() -> str:
    return (
        f"{os.cpu_count()} cores ({cpu_model()}), Linux {platform.release()}, "
        f"Python {platform.python_version()}"
    )


def load() -> float:
    """The 1-minute load average (other work on this shared machine shows in it)."""
    return os.getloadavg()[0]


def nbtrack_path_env() -> dict[str, str]:
    """Environment that makes a child import nbtrack from this tree (not an installed copy)."""
    return {"PYTHONPATH": str(ROOT)}
