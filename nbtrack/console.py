"""The few lines nbtrack prints: one place, so ``NBTRACK_SILENT`` silences all of them."""

from __future__ import annotations

import os
import sys

from nbtrack.settings import parse_bool


def silent() -> bool:
    try:
        return parse_bool("NBTRACK_SILENT", os.environ.get("NBTRACK_SILENT", ""))
    except ValueError:
        return False


def say(message: str, quiet: bool = False) -> None:
    """Print one line to stderr, prefixed with ``nbtrack:``, unless silenced."""
    if not (quiet or silent()):
        print(f"nbtrack: {message}", file=sys.stderr, flush=True)
