"""What a run records about where it runs: program, command line, host, Python, nbtrack."""

from __future__ import annotations

import os
import platform
import sys
from pathlib import Path
from typing import Any


def in_ipython() -> bool:
    """True inside IPython or a Jupyter kernel (where reinit defaults to finish_previous)."""
    ipython = sys.modules.get("IPython")
    if ipython is None:
        return False
    try:
        return ipython.get_ipython() is not None
    except Exception:
        return False


def in_jupyter_kernel() -> bool:
    if "ipykernel" not in sys.modules or not in_ipython():
        return False
    shell = sys.modules["IPython"].get_ipython()
    return getattr(shell, "kernel", None) is not None


def program_path() -> str | None:
    """The script being run, when there is one (not in IPython or ``python -c``)."""
    main = sys.modules.get("__main__")
    path = getattr(main, "__file__", None)
    if not path or in_ipython():
        return None
    return str(Path(path).resolve())


def describe() -> dict[str, Any]:
    from nbtrack import __version__

    return {
        "program": program_path(),
        "args": list(sys.argv[1:]),
        "command": _command(),
        "cwd": os.getcwd(),
        "host": platform.node(),
        "user": _user(),
        "pid": os.getpid(),
        "python": platform.python_version(),
        "executable": sys.executable,
        "os": f"{os.uname().sysname} {os.uname().release}",
        "nbtrack": __version__,
        "notebook": None,
    }


def _command() -> str:
    return " ".join([Path(sys.executable).name, *sys.argv]) if sys.argv else ""


def _user() -> str | None:
    import getpass

    try:
        return getpass.getuser()
    except Exception:
        return None
