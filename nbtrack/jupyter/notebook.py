"""Where is the notebook this kernel runs? Asked in order, first answer wins:

1. the JupyterLab extension, through the ``nbtrack`` comm (see docs/jupyter-comm.md);
2. ``NBTRACK_NOTEBOOK_NAME`` (setting ``notebook_name``), re-read at each ``init()``;
3. ``JPY_SESSION_NAME``, set by jupyter_server for the kernels it starts;
4. VS Code's ``__vsc_ipynb_file__`` in the user namespace;
5. the Jupyter server's sessions API, matched by this kernel's ID (token included, time-bounded).
"""

from __future__ import annotations

import dataclasses
import json
import os
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

SESSIONS_TIMEOUT = 1.0
SESSIONS_DEADLINE = 3.0
HOW_TO_SET = (
    "could not find this notebook's file, so its path and file are not recorded; set "
    "NBTRACK_NOTEBOOK_NAME=<path of the .ipynb> (or nbtrack.init(settings={'notebook_name': ...}))."
)


@dataclasses.dataclass(frozen=True)
class NotebookIdentity:
    """The notebook's file and how it was found."""

    path: Path
    source: str


def locate(
    shell: Any, announced: dict[str, str] | None, setting: str | None
) -> NotebookIdentity | None:
    """The notebook's path from the first source that knows it (the sessions API comes last)."""
    sources: tuple[tuple[str, Callable[[], Path | None]], ...] = (
        ("jupyterlab", lambda: announced_path(announced)),
        ("NBTRACK_NOTEBOOK_NAME", lambda: _existing(setting)),
        ("JPY_SESSION_NAME", lambda: _existing(os.environ.get("JPY_SESSION_NAME"))),
        ("vscode", lambda: _existing(_user_value(shell, "__vsc_ipynb_file__"))),
        ("sessions-api", lambda: from_sessions_api(kernel_id())),
    )
    for source, find in sources:
        path = find()
        if path is not None:
            return NotebookIdentity(path, source)
    return None


def announced_path(message: dict[str, str] | None) -> Path | None:
    """The notebook file a ``notebook`` comm message names, if it exists."""
    if not message or not message.get("path"):
        return None
    path = Path(message["path"])
    root = message.get("root")
    if root:
        return _existing(str(Path(root) / path))
    return _existing(str(path)) or _existing(path.name)


def _existing(value: str | None) -> Path | None:
    """``value`` as an absolute path when a notebook file is there (relative: from the cwd)."""
    if not value:
        return None
    path = Path(value).expanduser()
    for candidate in (path, Path.cwd() / path.name):
        if candidate.is_file():
            return candidate.resolve()
    return None


def _user_value(shell: Any, name: str) -> str | None:
    namespace = getattr(shell, "user_ns", None) or {}
    value = namespace.get(name)
    return value if isinstance(value, str) else None


def kernel_id() -> str | None:
    """This kernel's ID, from its connection file name ``kernel-<id>.json``."""
    try:
        from ipykernel.connect import get_connection_file

        name = Path(get_connection_file()).name
    except Exception:
        return None
    if name.startswith("kernel-") and name.endswith(".json"):
        return name.removeprefix("kernel-").removesuffix(".json")
    return None


def running_servers() -> list[dict[str, Any]]:
    """The Jupyter servers of this user, from their ``jpserver-*.json`` runtime files."""
    try:
        from jupyter_core.paths import jupyter_runtime_dir

        folder = Path(jupyter_runtime_dir())
    except Exception:
        return []
    servers = []
    for file in sorted(folder.glob("jpserver-*.json")) + sorted(folder.glob("nbserver-*.json")):
        try:
            servers.append(json.loads(file.read_text("utf-8")))
        except (OSError, ValueError):
            continue
    return servers


def from_sessions_api(kernel: str | None, deadline: float = SESSIONS_DEADLINE) -> Path | None:
    """Ask each running server which session owns ``kernel``; gives up after ``deadline`` s."""
    if kernel is None:
        return None
    stop = time.monotonic() + deadline
    for server in running_servers():
        remaining = stop - time.monotonic()
        if remaining <= 0:
            return None
        path = _session_path(server, kernel, min(remaining, SESSIONS_TIMEOUT))
        if path is not None:
            return path
    return None


def _session_path(server: dict[str, Any], kernel: str, timeout: float) -> Path | None:
    import requests  # imported here: it costs ~30 ms, and only this lookup needs it

    url = str(server.get("url", "")).rstrip("/") + "/api/sessions"
    headers = {"Authorization": f"token {server['token']}"} if server.get("token") else {}
    try:
        response = requests.get(url, headers=headers, timeout=timeout)
        sessions = response.json() if response.ok else []
    except (requests.RequestException, ValueError):
        return None
    root = server.get("root_dir") or server.get("notebook_dir") or ""
    for session in sessions if isinstance(sessions, list) else []:
        if (session.get("kernel") or {}).get("id") == kernel and session.get("path"):
            return _existing(str(Path(root) / session["path"]))
    return None
