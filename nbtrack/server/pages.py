"""What the web pages show, computed from stored rows: durations, dates, git links, diff lines,
and the summary metrics chosen as run-table columns.
"""

from __future__ import annotations

import math
import re
import time
from collections import Counter
from typing import Any

STATE_COLOURS = {
    "running": "blue",
    "finished": "green",
    "failed": "red",
    "crashed": "orange",
    "killed": "grey",
}
SCP_REMOTE = re.compile(r"^[\w.-]+@([\w.-]+):(.+)$")


def duration(run: dict[str, Any]) -> str:
    seconds = run.get("runtime")
    if seconds is None:
        end = run["heartbeat_at"] if run["state"] == "running" else run["updated_at"]
        seconds = max(0.0, end - run["created_at"])
    whole = int(seconds)
    hours, rest = divmod(whole, 3600)
    minutes, secs = divmod(rest, 60)
    if hours:
        return f"{hours}h {minutes}m {secs}s"
    return f"{minutes}m {secs}s" if minutes else f"{secs}s"


def date(seconds: float | None) -> str:
    if seconds is None:
        return ""
    return time.strftime("%Y-%m-%d %H:%M", time.gmtime(seconds))


def file_size(size: int) -> str:
    value = float(size)
    for unit in ("B", "KB", "MB", "GB"):
        if value < 1024 or unit == "GB":
            return f"{value:.0f} {unit}" if unit == "B" else f"{value:.1f} {unit}"
        value /= 1024
    return f"{size} B"


def shown(value: Any) -> str:
    """A summary or config value as short text."""
    if isinstance(value, float):
        return f"{value:.6g}" if math.isfinite(value) else str(value)
    if isinstance(value, str):
        return value
    if value is None:
        return ""
    text = repr(value)
    return text if len(text) <= 200 else text[:197] + "..."


def remote_link(remote: Any) -> str | None:
    """An https link for a git remote (ssh remotes rewritten), or None when it is not a web URL."""
    if not isinstance(remote, str):
        return None
    text: str = remote
    scp = SCP_REMOTE.match(text)
    if scp:
        text = f"https://{scp.group(1)}/{scp.group(2)}"
    if not text.startswith(("https://", "http://")):
        return None
    return text[:-4] if text.endswith(".git") else text


def diff_lines(diff: str) -> list[tuple[str, str]]:
    """(css class, line) for a unified diff."""
    lines = []
    for line in diff.splitlines()[:20_000]:
        if line.startswith(("+++", "---", "diff ", "index ")):
            kind = "meta"
        elif line.startswith("@@"):
            kind = "hunk"
        elif line.startswith("+"):
            kind = "add"
        elif line.startswith("-"):
            kind = "del"
        else:
            kind = ""
        lines.append((kind, line))
    return lines


def summary_columns(runs: list[dict[str, Any]], chosen: str | None, limit: int = 4) -> list[str]:
    """Chosen (``a,b``) or the most common numeric summary keys of the runs on the page."""
    if chosen:
        return [k for k in (p.strip() for p in chosen.split(",")) if k][:12]
    counts: Counter[str] = Counter()
    for run in runs:
        for key, value in run["summary"].items():
            if not key.startswith("_") and isinstance(value, int | float):
                counts[key] += 1
    return [key for key, _ in sorted(counts.items(), key=lambda kv: (-kv[1], kv[0]))[:limit]]


def notebook_path(metadata: dict[str, Any]) -> str | None:
    for key in ("notebook", "notebook_path", "notebookPath", "codePath", "program"):
        value = metadata.get(key)
        if isinstance(value, str) and value:
            return value
    return None


def command(metadata: dict[str, Any]) -> str | None:
    value = metadata.get("command")
    if isinstance(value, str):
        return str(value)
    args = metadata.get("args")
    if isinstance(args, list):
        return " ".join(str(a) for a in args)
    return None
