"""What a run's metadata shows to someone who is not a member of its entity (a public project's
visitors): nothing that describes the machine or where the code lives.

Dropped for outsiders: the command line and program (``command``, ``args``, ``program``,
``codePath``), git state, the working directory, host and user names, the notebook's location
(``notebook.path``, ``notebook.repo_root``), and any text anywhere in the metadata that is an
absolute path (``/...``, ``~...``, ``C:\\...``, ``\\\\server\\...``, ``file:...``).
"""

from __future__ import annotations

import re
from typing import Any

MEMBER_ONLY = frozenset(
    {
        "command",
        "args",
        "git",
        "program",
        "codePath",
        "cwd",
        "root",
        "host",
        "hostname",
        "user",
        "username",
        "email",
        "executable",
        "path",
        "repo_root",
    }
)
ABSOLUTE_PATH = re.compile(r"^\s*(/|~|[A-Za-z]:[\\/]|\\\\|file:)", re.IGNORECASE)


def public_metadata(metadata: dict[str, Any]) -> dict[str, Any]:
    """The metadata as outsiders see it (at every depth)."""
    shown: dict[str, Any] = _public(metadata)
    return shown


def _public(value: Any) -> Any:
    if isinstance(value, dict):
        return {k: _public(v) for k, v in value.items() if k not in MEMBER_ONLY and not _hidden(v)}
    if isinstance(value, list):
        return [_public(v) for v in value if not _hidden(v)]
    return value


def _hidden(value: Any) -> bool:
    return isinstance(value, str) and ABSOLUTE_PATH.match(value) is not None
