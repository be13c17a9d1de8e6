"""Durability for the server benchmark: count what a server forces to disk, and run nbtrack's
server with SQLite at ``synchronous=FULL`` (a sync per commit, MLflow's SQLite default).

``python bench/durability.py SERVER_ARGS...`` runs ``nbtrack server`` with every SQLite
connection switched to ``synchronous=FULL`` after the server's own settings (WAL,
``synchronous=NORMAL``); the benchmark uses it for its equal-durability ingest row.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

SYNC_CALLS = ("fsync", "fdatasync", "msync", "sync_file_range")


def tids(pid: int) -> list[int]:
    """Every thread of ``pid`` and of its descendants (e.g. a uvicorn worker process)."""
    found, todo = [], [pid]
    while todo:
        current = todo.pop()
        try:
            found += [int(t) for t in os.listdir(f"/proc/{current}/task")]
            children = Path(f"/proc/{current}/task/{current}/children").read_text()
        except OSError:
            continue
        todo += [int(c) for c in children.split()]
    return found


@contextmanager
def counting_syncs(pid: int) -> Iterator[dict[str, int]]:
    """Count the fsync-family calls of a running server (all its threads and child processes)
    with ``strace -c``; the dict is filled when the block ends."""
    counts: dict[str, int] = {}
    with tempfile.TemporaryDirectory(prefix="nbtrack-strace-") as tmp:
        out = Path(tmp) / "summary.txt"
        args = ["strace", "-f", "-qq", "-c", "-e", f"trace={','.join(SYNC_CALLS)}", "-o", str(out)]
        for tid in tids(pid):
            args += ["-p", str(tid)]
        tracer = subprocess.Popen(args, stderr=subprocess.DEVNULL)
        time.sleep(1.0)  # strace attaches asynchronously; give it a moment before the requests
        try:
            yield counts
        finally:
            tracer.send_signal(signal.SIGINT)
            tracer.wait(30)
            counts.update(parse(out.read_text(encoding="utf-8") if out.exists() else ""))


def parse(summary: str) -> dict[str, int]:
    """Calls per syscall from the table ``strace -c`` writes."""
    counts: dict[str, int] = {}
    for line in summary.splitlines():
        fields = line.split()
        if len(fields) >= 5 and fields[-1] in SYNC_CALLS and fields[3].isdigit():
            counts[fields[-1]] = int(fields[3])
    return counts


def per_request(pid: int, requests: int, send: Callable[[int], None]) -> float:
    """fsync-family calls per request while ``send(i)`` makes ``requests`` requests."""
    with counting_syncs(pid) as counts:
        for i in range(requests):
            send(i)
    return sum(counts.values()) / requests


def serve_with_full_sync(argv: list[str]) -> int:
    from nbtrack.server import __main__ as server_main
    from nbtrack.server import database

    own_settings = database._sqlite_connect

    def full(connection: object, record: object) -> None:
        own_settings(connection, record)
        cursor = connection.cursor()  # type: ignore[attr-defined]
        cursor.execute("PRAGMA synchronous=FULL")
        assert cursor.execute("PRAGMA synchronous").fetchone()[0] == 2
        cursor.close()

    database._sqlite_connect = full
    return server_main.main(argv)


if __name__ == "__main__":
    sys.exit(serve_with_full_sync(sys.argv[1:]))
