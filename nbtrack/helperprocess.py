"""Helper processes: one of nbtrack's modules run with this interpreter (``python -m``), found
whether nbtrack is installed or used from a source tree, with no ``fork`` of this process and no
re-import of its ``__main__``; and the cores there are to share the work."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path
from typing import Any


def cores() -> int:
    """The cores this process may run on."""
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # not on Linux
        return os.cpu_count() or 1


def start(module: str, *args: str, **popen: Any) -> subprocess.Popen[bytes]:
    """``python -m module args...``; OSError when no python can be started (an embedded
    interpreter)."""
    root = str(Path(__file__).resolve().parents[1])
    path = os.pathsep.join([root, *filter(None, [os.environ.get("PYTHONPATH")])])
    env = {**os.environ, "PYTHONPATH": path}
    return subprocess.Popen([sys.executable, "-m", module, *args], env=env, **popen)
