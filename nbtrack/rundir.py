"""Run directories: ``<dir>/nbtrack/{run,offline-run}-YYYYMMDD_HHMMSS-<id>/`` and their files.

Inside: the run log (``run.nbtrack``, see :mod:`nbtrack.runlog`), human-readable ``run.json``,
``config.json``, ``summary.json`` and ``metadata.json`` kept current, and ``files/``. The root
also holds a ``latest-run`` link to the newest run.
"""

from __future__ import annotations

import json
import os
import time
from pathlib import Path
from typing import Any

from nbtrack.runlog import LOG_NAME

LATEST = "latest-run"
PREFIXES = ("run-", "offline-run-")


def create(root: Path, run_id: str, offline: bool, started: float) -> Path:
    """Make a new run directory; fails if one with this id exists already."""
    stamp = time.strftime("%Y%m%d_%H%M%S", time.localtime(started))
    prefix = "offline-run" if offline else "run"
    path = root / f"{prefix}-{stamp}-{run_id}"
    root.mkdir(parents=True, exist_ok=True)
    path.mkdir()
    (path / "files").mkdir()
    link_latest(root, path)
    return path


def find(root: Path, run_id: str) -> Path | None:
    """The directory of run ``run_id`` under ``root`` (the newest, if several)."""
    found = [p for p in list_all(root) if parse_name(p.name)[2] == run_id]
    return found[-1] if found else None


def parse_name(name: str) -> tuple[bool, str, str]:
    """``(offline, YYYYMMDD_HHMMSS, id)`` of a run directory name."""
    offline = name.startswith("offline-run-")
    rest = name.removeprefix("offline-run-" if offline else "run-")
    return offline, rest[:15], rest[16:]


def is_run_dir(path: Path) -> bool:
    return (path / LOG_NAME).is_file()


def list_all(root: Path) -> list[Path]:
    """Every run directory under ``root``, oldest first."""
    if not root.is_dir():
        return []
    runs = [p for p in root.iterdir() if p.name.startswith(PREFIXES) and is_run_dir(p)]
    return sorted(runs, key=lambda p: (parse_name(p.name)[1], p.stat().st_mtime))


def link_latest(root: Path, path: Path) -> None:
    temp = root / f".{LATEST}-{os.urandom(4).hex()}"
    try:
        os.symlink(path.name, temp)
        os.replace(temp, root / LATEST)
    except OSError:
        temp.unlink(missing_ok=True)  # e.g. a file system without links: the run still works


def remove(path: Path) -> None:
    """Delete a run directory; ``latest-run`` then links the newest run left, or goes."""
    import shutil  # rarely needed: not loaded by ``import nbtrack``

    shutil.rmtree(path)
    root, latest = path.parent, path.parent / LATEST
    if latest.is_symlink() and not latest.exists():
        runs = list_all(root)
        if runs:
            link_latest(root, runs[-1])
        else:
            latest.unlink(missing_ok=True)


def write_json(path: Path, data: Any) -> None:
    """Replace ``path`` atomically with pretty JSON (non-finite floats as NaN/Infinity)."""
    temp = path.with_name(f".{path.name}.{os.urandom(4).hex()}")
    try:
        temp.write_text(json.dumps(data, indent=2, sort_keys=True, default=str) + "\n", "utf-8")
        os.replace(temp, path)
    except BaseException:
        temp.unlink(missing_ok=True)
        raise


def read_json(path: Path) -> Any:
    try:
        return json.loads(path.read_text("utf-8"))
    except (OSError, ValueError):
        return None
