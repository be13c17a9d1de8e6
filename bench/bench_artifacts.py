"""Artifacts over loopback: one 1 GB file, 10k small files, and the same content logged again.

A fresh ``nbtrack server`` (SQLite, local storage); a client process, online, logs:

- *1 GB file*: ``add_file`` (hashed and copied into the cache), then ``log_artifact`` and
  ``wait()`` (the upload): seconds, MB/s, and the peak RSS of client and server (``VmHWM``);
- *10k small files* (1 KiB each): ``add_dir`` + ``log_artifact`` + ``wait()``, seconds;
- *the same 10k files again*, in a new run on the same machine (same cache): seconds, and the
  bytes the upload sent.

Prints a Markdown section (RESULTS.md is left alone). The 1 GB file lives in a temporary folder
that is deleted at the end; check ``df -h /tmp`` first (it needs ~4 GB: source, cache, run
folder, server storage).
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import Any

import harness
import provenance

CLIENT = r"""
import json, os, resource, sys, time
from pathlib import Path
import nbtrack

kind, source = sys.argv[1], Path(sys.argv[2])

def sent(run, art):
    answer = Path(run.dir) / "artifacts" / "logged" / f"{art.digest}.json"
    return json.loads(answer.read_text())

run = nbtrack.init(project="bench-artifacts")
art = nbtrack.Artifact(kind, type="dataset")
t0 = time.perf_counter()
art.add_dir(str(source)) if source.is_dir() else art.add_file(str(source))
t1 = time.perf_counter()
run.log_artifact(art)
art.wait(timeout=900)
t2 = time.perf_counter()
run.finish()
peak_kb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
print(json.dumps({"add": t1 - t0, "upload": t2 - t1, "total": t2 - t0, "peak_mb": peak_kb / 1024,
                  "version": art.version, **sent(run, art)}))
"""


def peak_mb(pid: int) -> float:
    """The highest resident set of the server process (and any children), in MB."""
    import psutil

    procs = [psutil.Process(pid), *psutil.Process(pid).children(recursive=True)]
    found = 0.0
    for proc in procs:
        for line in Path(f"/proc/{proc.pid}/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                found = max(found, int(line.split()[1]) / 1024)
    return found


def client(
    server: harness.NbServer, folder: Path, kind: str, source: Path, cache: Path | None = None
) -> dict[str, Any]:
    env = harness.clean_env(folder) | provenance.nbtrack_path_env() | server.env("online")
    env["NBTRACK_CONFIG_DIR"] = str(folder / "config")
    env["NBTRACK_CACHE_DIR"] = str(cache or folder / "cache")
    done = subprocess.run(
        [str(harness.NBTRACK_PYTHON), "-c", CLIENT, kind, str(source)],
        cwd=folder,
        env=env,
        check=True,
        timeout=1800,
        capture_output=True,
        text=True,
    )
    result: dict[str, Any] = json.loads(done.stdout.strip().splitlines()[-1])
    return result


def big_file(path: Path, size: int) -> Path:
    with open(path, "wb") as out:
        block = 16 << 20
        for _ in range(size // block):
            out.write(os.urandom(block))
    return path


def small_files(folder: Path, count: int) -> Path:
    for i in range(count):
        sub = folder / f"{i // 1000:02d}"
        sub.mkdir(parents=True, exist_ok=True)
        (sub / f"f{i:05d}.bin").write_bytes(os.urandom(1024))
    return folder


def report(data: dict[str, Any], size: int, count: int) -> str:
    big, small, again = data["big"], data["small"], data["again"]
    load = f"{provenance.load():.2f}"
    mb = size / 1e6
    lines = [
        harness.Line(
            f"{mb:.0f} MB file: upload",
            "nbtrack, SQLite, local storage",
            f"{big['upload']:.1f} s",
            f"{mb / big['upload']:.0f} MB/s (hash + copy on add: {big['add']:.1f} s)",
            load,
            harness.target_text(big["upload"], mb / 100, "≥ 100 MB/s"),
        ),
        harness.Line(
            "1 GB file: peak RSS",
            "client / server",
            f"{big['peak_mb']:.0f} / {data['server_peak_mb']:.0f} MB",
            "VmHWM / ru_maxrss over the whole process",
            load,
            harness.target_text(max(big["peak_mb"], data["server_peak_mb"]), 100, "≤ 100 MB"),
        ),
        harness.Line(
            f"{count:,} small files: log + upload",
            "nbtrack, SQLite, local storage",
            f"{small['total']:.1f} s",
            f"add_dir {small['add']:.1f} s, upload {small['upload']:.1f} s",
            load,
            harness.target_text(small["total"], 10, "≤ 10 s"),
        ),
        harness.Line(
            "same content again",
            "nbtrack, SQLite, local storage",
            f"{again['sent_bytes']} bytes sent",
            f"{again['total']:.1f} s, version {again['version']}",
            load,
            "0 bytes: " + ("pass" if again["sent_bytes"] == 0 else "FAIL"),
        ),
    ]
    head = (
        f"Measured {provenance.now()} by `bench/bench_artifacts.py`, "
        f"{provenance.commit_text()}. Machine: {provenance.machine()}."
    )
    return "\n".join(["## Artifacts", "", head, "", *harness.table(lines)])


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--quick", action="store_true", help="100 MB and 1,000 files")
    args = parser.parse_args()
    size, count = (100 << 20, 1000) if args.quick else (1 << 30, 10_000)
    with tempfile.TemporaryDirectory() as tmp:
        scratch = harness.Scratch(Path(tmp))
        source = big_file(Path(tmp) / "big.bin", size)
        many = small_files(scratch.folder("small-source"), count)
        with harness.nbtrack_server(scratch) as server:
            data: dict[str, Any] = {"big": client(server, scratch.folder("big"), "big", source)}
            data["server_peak_mb"] = peak_mb(server.pid)
            source.unlink()
            cache = scratch.folder("cache")  # one machine's cache for both (as for a user)
            data["small"] = client(server, scratch.folder("small"), "small", many, cache)
            data["again"] = client(server, scratch.folder("again"), "small", many, cache)
    print(report(data, size, count))
    return 0


if __name__ == "__main__":
    sys.exit(main())
