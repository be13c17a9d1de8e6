"""Run files: bytes on disk under ``<data dir>/files/<run pk>/<name>``, listed in the database.

Names are relative paths that stay inside the run's folder: no ``..`` or ``.`` segments, no
absolute paths, backslashes, NUL or control characters, and none of the invisible characters that
make a name read differently from what it is (bidirectional-text controls such as the
right-to-left override, line and paragraph separators). Files under ``git/`` and ``diff.patch``
hold git state and are shown to members only.
"""

from __future__ import annotations

import os
import tempfile
import time
import unicodedata
from pathlib import Path
from typing import Any

from sqlalchemy import Connection

from nbtrack.server.database import one, rows, run
from nbtrack.server.problems import invalid, not_found

BIDI_CONTROLS = frozenset(
    "\u061c\u200e\u200f\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069"
)
MEMBER_ONLY = ("diff.patch",)
MEMBER_ONLY_FOLDERS = ("git/",)
TEXT_SUFFIXES = (
    ".txt",
    ".log",
    ".patch",
    ".diff",
    ".json",
    ".yaml",
    ".yml",
    ".md",
    ".py",
    ".csv",
    ".ipynb",
    ".toml",
    ".cfg",
    ".ini",
)


def safe_name(name: str) -> str:
    """The name if it is a safe relative path, else a 400 that names it."""
    parts = name.split("/")
    bad = (
        not name
        or len(name) > 1024
        or name.startswith("/")
        or "\\" in name
        or any(_invisible(c) for c in name)
        or any(p in ("", ".", "..") or len(p) > 255 for p in parts)
    )
    if bad:
        raise invalid(
            f"File name {name!r} is not allowed: use a relative path of plain names separated by "
            "'/', without '..', '.', empty parts, backslashes, control characters or "
            "bidirectional-text controls."
        )
    return name


def _invisible(char: str) -> bool:
    return char in BIDI_CONTROLS or unicodedata.category(char) in ("Cc", "Zl", "Zp")


def member_only(name: str) -> bool:
    return name in MEMBER_ONLY or name.startswith(MEMBER_ONLY_FOLDERS)


def path_of(files_dir: Path, run_pk: int, name: str) -> Path:
    folder = (files_dir / str(run_pk)).resolve()
    target = (folder / safe_name(name)).resolve()
    if folder not in target.parents:
        raise invalid(f"File name {name!r} leaves the run's folder; use a relative path.")
    return target


def temp_file(files_dir: Path) -> tuple[int, str]:
    files_dir.mkdir(parents=True, exist_ok=True)
    return tempfile.mkstemp(dir=files_dir, prefix=".upload-")


def place(tmp: str, target: Path) -> None:
    try:
        target.parent.mkdir(parents=True, exist_ok=True)
        os.replace(tmp, target)
    except (NotADirectoryError, IsADirectoryError, FileExistsError):
        Path(tmp).unlink(missing_ok=True)
        raise invalid(
            f"File name '{target.name}' clashes with an existing file or folder of the run; "
            "choose another name."
        ) from None


def record(conn: Connection, run_pk: int, name: str, size: int) -> dict[str, Any]:
    now = time.time()
    run(
        conn,
        "INSERT INTO run_files (run_pk, name, size, updated_at) VALUES (:r, :n, :s, :t) "
        "ON CONFLICT (run_pk, name) DO UPDATE SET size = excluded.size, "
        "updated_at = excluded.updated_at",
        {"r": run_pk, "n": name, "s": size, "t": now},
    )
    return {"name": name, "size": size, "updated_at": now}


def listing(conn: Connection, run_pk: int, member: bool) -> list[dict[str, Any]]:
    found = rows(
        conn,
        "SELECT name, size, updated_at FROM run_files WHERE run_pk = :r ORDER BY name",
        {"r": run_pk},
    )
    return [f for f in found if member or not member_only(f["name"])]


def require(conn: Connection, run_pk: int, name: str, member: bool) -> dict[str, Any]:
    found = one(
        conn,
        "SELECT name, size, updated_at FROM run_files WHERE run_pk = :r AND name = :n",
        {"r": run_pk, "n": name},
    )
    if found is None or (member_only(name) and not member):
        raise not_found(f"File {name!r} not found in this run; list its files first.")
    return found


def media_type(name: str) -> str:
    if name.lower().endswith(TEXT_SUFFIXES):
        return "text/plain; charset=utf-8"
    return "application/octet-stream"
