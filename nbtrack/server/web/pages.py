"""What the web pages show, computed from stored rows: durations, dates, git links, diff lines,
and the summary metrics chosen as run-table columns.
"""

from __future__ import annotations

import math
import re
import reprlib
import time
from collections import Counter
from typing import Any

from nbtrack.server.values import MAX_TIMESTAMP, timestamp

STATE_COLOURS = {
    "running": "blue",
    "preempting": "amber",
    "finished": "green",
    "failed": "red",
    "crashed": "orange",
    "killed": "grey",
}
CODE_KEYS = ("notebook_path", "notebookPath", "codePath", "program")
SHORT = reprlib.Repr()  # lists, dicts, text and numbers abbreviated, at most 3 levels deep
SHORT.maxlevel, SHORT.maxdict, SHORT.maxlist = 3, 8, 8
SHORT.maxstring = SHORT.maxlong = SHORT.maxother = 60
SCP_REMOTE = re.compile(r"^[\w.-]+@([\w.-]+):(.+)$")


def duration(run: dict[str, Any]) -> str:
    seconds = run.get("runtime")
    if seconds is None:
        live = run["state"] in ("running", "preempting")
        end = run["heartbeat_at"] if live else run["updated_at"]
        seconds = max(0.0, end - run["created_at"])
    if not isinstance(seconds, int | float) or not 0 <= seconds <= MAX_TIMESTAMP:
        return ""  # NaN, infinite or absurd: nothing sensible to show
    if seconds < 1:
        return f"{int(seconds * 1000)}ms"
    whole = int(seconds)
    hours, rest = divmod(whole, 3600)
    minutes, secs = divmod(rest, 60)
    if hours:
        return f"{hours}h {minutes}m {secs}s"
    return f"{minutes}m {secs}s" if minutes else f"{secs}s"


def date(seconds: Any, fmt: str = "%Y-%m-%d %H:%M") -> str:
    """A UTC date; a value that is no date from 1970 to 9999 is shown as the number it is."""
    if seconds is None:
        return ""
    valid = timestamp(seconds)
    if valid is None:
        return f"{shown(seconds)} (not a date)"
    return time.strftime(fmt, time.gmtime(valid))


def file_size(size: int) -> str:
    value = float(size)
    for unit in ("B", "KB", "MB", "GB"):
        if value < 1024 or unit == "GB":
            return f"{value:.0f} {unit}" if unit == "B" else f"{value:.1f} {unit}"
        value /= 1024
    return f"{size} B"


def shown(value: Any) -> str:
    """A summary or config value as short text (long, large or deep values abbreviated)."""
    if isinstance(value, float):
        return f"{value:.6g}" if math.isfinite(value) else str(value)
    if isinstance(value, str):
        return value
    if value is None:
        return ""
    if isinstance(value, dict) and value.get("_type") in MEDIA_NAMES:
        return media_text(value)
    text = SHORT.repr(value)
    return text if len(text) <= 200 else text[:197] + "..."


MEDIA_NAMES = {  # one per kind of media.store.KINDS
    "image-file": "image",
    "images/separated": "images",
    "table-file": "table",
    "histogram": "histogram",
    "html-file": "HTML",
    "audio-file": "audio",
    "video-file": "video",
    "object3D-file": "point cloud",
    "plot": "chart",
}
MEDIA_SIZES = {
    "image-file": ("width", "height", "{}x{}"),
    "table-file": ("nrows", "ncols", "{} rows, {} columns"),
}


def media_text(ref: dict[str, Any]) -> str:
    """A logged media value in one line (``image 256x256``), pointing at the Media section."""
    kind = ref["_type"]
    name = MEDIA_NAMES[kind]
    fields = MEDIA_SIZES.get(kind)
    if fields and all(isinstance(ref.get(f), int) for f in fields[:2]):
        name += " " + fields[2].format(ref[fields[0]], ref[fields[1]])
    elif kind == "histogram" and isinstance(ref.get("values"), list):
        name += f", {len(ref['values'])} bins"
    elif isinstance(ref.get("count"), int):
        name = f"{ref['count']} {name}"
    return f"{name} (see Media)"


def entry(key: str, value: Any) -> str:
    """A summary or config entry's value: ``_timestamp`` as a date, the rest as ``shown``."""
    if key == "_timestamp" and timestamp(value) is not None:
        return date(value, "%Y-%m-%d %H:%M:%S UTC")
    return shown(value)


def valid_unicode(text: str) -> str:
    """``text`` with lone surrogates (from stored JSON escapes) replaced by U+FFFD."""
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return text.encode("utf-16", "surrogatepass").decode("utf-16", "replace")
    return text


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


def code_path(metadata: dict[str, Any]) -> tuple[str, str] | None:
    """(label, path) of the run's code: its notebook, else the script it ran."""
    notebook = metadata.get("notebook")
    if isinstance(notebook, dict):
        notebook = notebook.get("path")
    for key, value in (("notebook", notebook), *((k, metadata.get(k)) for k in CODE_KEYS)):
        if isinstance(value, str) and value:
            notebook_key = key in ("notebook", "notebook_path", "notebookPath")
            label = "Notebook" if notebook_key or value.endswith(".ipynb") else "Script"
            return label, value
    return None


def command(metadata: dict[str, Any]) -> str | None:
    value = metadata.get("command")
    if isinstance(value, str):
        return str(value)
    args = metadata.get("args")
    if isinstance(args, list):
        return " ".join(str(a) for a in args)
    return None
