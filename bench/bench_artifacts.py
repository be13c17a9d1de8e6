"""Artifacts over loopback: one 1 GB file, 10k small files, and the same content logged again.

A fresh ``nbtrack server`` (SQLite, local storage); a client process, online, logs:

- *1 GB file*: ``add_file`` (hashed and copied into the cache), then ``log_artifact`` and
  ``wait()`` (the upload): seconds, MB/s, and the peak RSS of client and server (``VmHWM``);
- *10k small files* (1 KiB each): ``add_dir`` + ``log_artifact`` + ``wait()``, seconds;
- *the same 10k files again*, in a new run on the same machine (same cache): seconds, and the
  bytes the upload sent;
- peers (``artifact_peers.py``): the 10k files logged offline by nbtrack and by wandb 0.31
  (``bench/venvs/wandb``), and files uploaded by MLflow's ``log_artifacts`` to a local
  ``mlflow server`` that stores artifacts itself (``bench/venvs/mlflow``; 1,000 files by default,
  it is slow; compared per file).

Writes the ``## Artifacts`` section of RESULTS.md (``--results``) from a clean tree only. The
1 GB file lives in a temporary folder that is deleted at the end; check ``df -h /tmp`` first (it
needs ~4 GB: source, cache, run folder, server storage).
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import harness
import provenance

SECTION = "## Artifacts"

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


def nbtrack_lines(data: dict[str, Any], size: int, count: int) -> list[harness.Line]:
    big, small, again = data["big"], data["small"], data["again"]
    load = f"{provenance.load():.2f}"
    mb = size / 1e6
    return [
        harness.Line(
            f"{mb:.0f} MB file: upload",
            "nbtrack, SQLite, local storage",
            f"{big['upload']:.1f} s",
            f"{mb / big['upload']:.0f} MB/s (hash + copy on add: {big['add']:.1f} s)",
            load,
            harness.target_text(big["upload"], mb / 100, "≥ 100 MB/s"),
        ),
        harness.Line(
            f"{mb:.0f} MB file: peak RSS",
            "client / server",
            f"{big['peak_mb']:.0f} / {data['server_peak_mb']:.0f} MB",
            "client ru_maxrss, server VmHWM (with any children), whole processes",
            load,
            harness.target_text(max(big["peak_mb"], data["server_peak_mb"]), 100, "≤ 100 MB"),
        ),
        harness.Line(
            f"{count:,} small files: log + upload",
            "nbtrack online, SQLite, local storage",
            f"{small['total']:.1f} s",
            f"add_dir {small['add']:.1f} s, log_artifact + wait() {small['upload']:.1f} s",
            load,
            harness.target_text(small["total"], 10, "≤ 10 s"),
        ),
        harness.Line(
            "same content again",
            "nbtrack online, SQLite, local storage",
            f"{again['sent_bytes']} bytes sent",
            f"{again['total']:.1f} s, version {again['version']}",
            load,
            "0 bytes: " + ("pass" if again["sent_bytes"] == 0 else "FAIL"),
        ),
    ]


def peer_lines(data: dict[str, Any], count: int) -> list[harness.Line]:
    """Offline logging vs wandb's, and the upload vs MLflow's, per file where counts differ."""
    load = f"{provenance.load():.2f}"
    lines = []
    ours = data["offline"]
    for who, found in (("nbtrack offline", ours), ("wandb 0.31 offline", data.get("wandb"))):
        if isinstance(found, dict):
            ratio = harness.ratio_text(ours["total"], found["total"], "nbtrack/wandb")
            lines.append(
                harness.Line(
                    f"{count:,} small files: log offline",
                    who,
                    f"{found['total']:.1f} s",
                    f"add_dir {found['add']:.1f} s, log_artifact + finish() {found['log']:.1f} s",
                    load,
                    ratio if who != "nbtrack offline" else "",
                )
            )
        elif found is not None:
            lines.append(harness.error_line(f"{count:,} small files: log offline", who, found))
    upload = data.get("mlflow")
    if isinstance(upload, dict):
        ours_ms = data["small"]["total"] / count * 1000
        theirs_ms = upload["total"] / upload["files"] * 1000
        lines.append(
            harness.Line(
                "small files to a server, per file",
                "nbtrack online / MLflow log_artifacts (artifacts served by mlflow server)",
                f"{ours_ms:.2f} / {theirs_ms:.2f} ms",
                f"nbtrack {count:,} files in {data['small']['total']:.1f} s; MLflow "
                f"{upload['files']:,} files in {upload['total']:.1f} s",
                load,
                harness.ratio_text(ours_ms, theirs_ms, "nbtrack/MLflow"),
            )
        )
    elif upload is not None:
        lines.append(harness.error_line("small files to a server", "MLflow", upload))
    return lines


def report(data: dict[str, Any], size: int, count: int, head: dict[str, Any]) -> str:
    intro = [
        SECTION,
        "",
        f"Measured {provenance.now()} ({head['kind']}, {head['minutes']:.1f} min) by "
        f"`bench/bench_artifacts.py` at {provenance.commit_text()}.",
        f"Machine: {provenance.machine()}, load average {head['load0']:.2f} at start and "
        f"{provenance.load():.2f} at the end.",
        "",
    ]
    lines = nbtrack_lines(data, size, count) + peer_lines(data, count)
    return "\n".join(intro + harness.table(lines)) + "\n"


def measure_peers(scratch: harness.Scratch, data: dict[str, Any], many: Path, files: int) -> None:
    import artifact_peers as peers

    data["offline"] = peers.offline("nbtrack", scratch.folder("nbtrack-offline"), many)
    if peers.available(peers.WANDB_PYTHON):
        harness.attempt(data, "wandb", lambda: peers.offline("wandb", scratch.folder("w"), many))
    if peers.available(harness.MLFLOW_PYTHON):
        fewer = small_files(scratch.folder("mlflow-source"), files)

        def upload() -> dict[str, Any]:
            with peers.mlflow_artifact_server(scratch) as url:
                return peers.mlflow(url, scratch.folder("mlflow"), fewer) | {"files": files}

        harness.attempt(data, "mlflow", upload)


def measure(size: int, count: int, args: argparse.Namespace) -> dict[str, Any]:
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
        if not args.skip_peers:
            measure_peers(scratch, data, many, 100 if args.quick else args.mlflow_files)
    return data


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true", help="100 MB and 1,000 files; no write")
    parser.add_argument("--no-write", action="store_true", help="print only")
    parser.add_argument("--results", type=Path, default=harness.BENCH / "RESULTS.md")
    parser.add_argument("--skip-peers", action="store_true", help="nbtrack only")
    parser.add_argument(
        "--mlflow-files", type=int, default=1000, help="files MLflow uploads (it is slow): 1000"
    )
    args = parser.parse_args()
    size, count = (100 << 20, 1000) if args.quick else (1 << 30, 10_000)
    load0, t0 = provenance.load(), time.perf_counter()
    data = measure(size, count, args)
    kind = "quick run" if args.quick else "full run"
    head = {"kind": kind, "minutes": (time.perf_counter() - t0) / 60, "load0": load0}
    text = report(data, size, count, head)
    import bench_core

    bench_core.publish(args.results, text, SECTION, args.quick or args.no_write)
    return 0


if __name__ == "__main__":
    sys.exit(main())
