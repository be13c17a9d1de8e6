"""Run files: objects in storage under ``files/<run pk>/<name>``, listed in the database.

Names are relative paths that stay inside the run's folder: no ``..`` or ``.`` segments, no
absolute paths, backslashes, NUL or control characters, and none of the invisible characters that
make a name read differently from what it is (bidirectional-text controls such as the
right-to-left override, line and paragraph separators). Files under ``git/`` and ``diff.patch``
hold git state and are shown to members only.
"""

from __future__ import annotations

import time
import unicodedata
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


def key(run_pk: int, name: str) -> str:
    """Where the run's file lives in storage: ``files/<run pk>/<name>``."""
    return f"files/{run_pk}/{safe_name(name)}"


def check_clash(conn: Connection, run_pk: int, name: str) -> None:
    """A 400 if ``name`` is a folder of another file of the run, or has one as a folder."""
    parts = name.split("/")
    folders = ["/".join(parts[:n]) for n in range(1, len(parts))]
    params: dict[str, Any] = {f"f{i}": f for i, f in enumerate(folders)}
    within = " OR ".join(f"name = :f{i}" for i in range(len(folders))) or "1 = 0"
    sql = (
        "SELECT name FROM run_files WHERE run_pk = :r AND "
        f"(substr(name, 1, :n) = :prefix OR {within}) LIMIT 1"
    )
    params.update(r=run_pk, n=len(name) + 1, prefix=name + "/")
    if one(conn, sql, params) is not None:
        raise invalid(
            f"File name {name!r} clashes with an existing file or folder of the run; "
            "choose another name."
        )


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
