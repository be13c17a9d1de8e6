"""The few lines nbtrack prints: one place, so ``NBTRACK_SILENT`` silences all of them.

``termlog``/``termwarn``/``termerror`` are wandb's helpers of the same names, for user code.
"""

from __future__ import annotations

import sys

from nbtrack.compat.wandbsettings import getenv
from nbtrack.settings import parse_bool

_said: set[str] = set()


def silent() -> bool:
    try:
        return parse_bool("NBTRACK_SILENT", getenv("NBTRACK_SILENT") or "")
    except ValueError:
        return False


def say(message: str, quiet: bool = False) -> None:
    """Print one line to stderr, prefixed with ``nbtrack:``, unless silenced."""
    if not (quiet or silent()):
        print(f"nbtrack: {message}", file=sys.stderr, flush=True)


def termlog(
    string: str = "", newline: bool = True, repeat: bool = True, prefix: bool = True
) -> None:
    """Print ``nbtrack: string`` to stderr (``repeat=False``: each message once per process)."""
    _term(str(string), "", newline, repeat, prefix)


def termwarn(string: str, newline: bool = True, repeat: bool = True, prefix: bool = True) -> None:
    _term(str(string), "WARNING ", newline, repeat, prefix)


def termerror(string: str, newline: bool = True, repeat: bool = True, prefix: bool = True) -> None:
    _term(str(string), "ERROR ", newline, repeat, prefix)


def _term(string: str, level: str, newline: bool, repeat: bool, prefix: bool) -> None:
    if silent() or (not repeat and string in _said):
        return
    if not repeat:
        _said.add(string)
    head = f"nbtrack: {level}" if prefix else ""
    lines = string.split("\n") if string else [""]
    text = "\n".join(head + line for line in lines)
    print(text, file=sys.stderr, end="\n" if newline else "", flush=True)
