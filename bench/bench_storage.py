"""Server storage backends over loopback: one large artifact file uploaded to local storage and
to an S3-compatible store (moto's S3 server in a process of its own).

For each backend a fresh ``nbtrack server`` (SQLite) and a client process, online, that logs one
file (``add_file`` + ``log_artifact`` + ``wait()``, the timed upload). On local storage the bytes
go through the server (from 100 MB in resumable 64 MB parts, written in place); on S3 the client
sends them to the store with presigned URLs (multipart from 100 MB) and the server reads the
object back once to check its SHA-256, then copies it under its content address inside the
store. Reported: upload seconds and MB/s, peak RSS of client (``ru_maxrss``), server and store
(``VmHWM``). moto keeps objects in memory, and is no model of a real S3's speed: the S3 figure
measures nbtrack's path with a local stand-in.

Writes the ``## Object storage`` section of RESULTS.md (``--results``) from a clean tree and a
full run only. Needs ``moto[server]`` and ``boto3`` in the project's .venv (the ``s3`` and
``test`` extras) and about 3x the file size in free memory.
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import harness
import provenance
from bench_artifacts import big_file, client, peak_mb

SECTION = "## Object storage"

MOTO = harness.NBTRACK_PYTHON.parent / "moto_server"
CREDENTIALS = {
    "AWS_ACCESS_KEY_ID": "bench",
    "AWS_SECRET_ACCESS_KEY": "bench",
    "AWS_DEFAULT_REGION": "us-east-1",
}


@contextmanager
def moto_store(scratch: harness.Scratch) -> Iterator[tuple[str, int]]:
    """moto's S3 server on a free port with an empty bucket ``bench``; yields (URL, pid)."""
    import boto3

    folder = scratch.folder("moto")
    port = harness.free_port()
    env = harness.clean_env(folder) | CREDENTIALS
    args = [str(MOTO), "-H", "127.0.0.1", "-p", str(port)]
    with harness.server_process(args, folder, env) as process:
        url = f"http://127.0.0.1:{port}"
        harness.wait_healthy(url, process, 60)
        s3 = boto3.client("s3", endpoint_url=url, **_keys())
        s3.create_bucket(Bucket="bench")
        yield url, process.pid


def _keys() -> dict[str, str]:
    return {
        "aws_access_key_id": CREDENTIALS["AWS_ACCESS_KEY_ID"],
        "aws_secret_access_key": CREDENTIALS["AWS_SECRET_ACCESS_KEY"],
        "region_name": CREDENTIALS["AWS_DEFAULT_REGION"],
    }


@contextmanager
def server(scratch: harness.Scratch, label: str, *extra: str) -> Iterator[harness.NbServer]:
    """A fresh ``nbtrack server`` (SQLite) with extra storage arguments."""
    folder = scratch.folder(label)
    port, key = harness.free_port(), "nbt_" + os.urandom(20).hex()
    args = [str(harness.NBTRACK_PYTHON), "-m", "nbtrack.cli", "server", "--port", str(port)]
    args += ["--data-dir", str(folder / "data"), "--admin-key", key, *extra]
    env = harness.clean_env(folder) | provenance.nbtrack_path_env() | CREDENTIALS
    env["NBTRACK_CONFIG_DIR"] = str(folder / "config")
    with harness.server_process(args, folder, env) as process:
        url = f"http://127.0.0.1:{port}"
        harness.wait_healthy(f"{url}/api/v1/health", process, 60)
        yield harness.NbServer(url, key, process.pid)


def measure(scratch: harness.Scratch, source: Path) -> dict[str, Any]:
    data: dict[str, Any] = {}
    with server(scratch, "local-server") as live:
        data["local"] = client(live, scratch.folder("local-client"), "big", source)
        data["local"]["server_mb"] = peak_mb(live.pid)
    with moto_store(scratch) as (endpoint, moto_pid):
        storage = ("--storage-url", "s3://bench/nbt", "--storage-endpoint-url", endpoint)
        with server(scratch, "s3-server", *storage) as live:
            data["s3"] = client(live, scratch.folder("s3-client"), "big", source)
            data["s3"]["server_mb"] = peak_mb(live.pid)
        data["s3"]["store_mb"] = peak_mb(moto_pid)
    return data


def report(data: dict[str, Any], size: int, head: dict[str, Any]) -> str:
    load = f"{provenance.load():.2f}"
    mb = size / 1e6
    lines = []
    for key, who, how in (
        ("local", "local storage", "through the server (in parts from 100 MB)"),
        (
            "s3",
            "S3 (moto server)",
            "presigned multipart to the store, SHA-256 checked by the server",
        ),
    ):
        found = data[key]
        store = f", store {found['store_mb']:.0f} MB" if "store_mb" in found else ""
        peak = max(found["peak_mb"], found["server_mb"])
        speed = harness.target_text(found["upload"], mb / 100, "≥ 100 MB/s")
        lines.append(
            harness.Line(
                f"{mb:.0f} MB artifact file: upload",
                f"nbtrack, SQLite, {who}",
                f"{found['upload']:.1f} s",
                f"{mb / found['upload']:.0f} MB/s, {how}; peak RSS client "
                f"{found['peak_mb']:.0f} MB, server {found['server_mb']:.0f} MB{store}",
                load,
                harness.target_text(peak, 100, "client and server ≤ 100 MB")
                + ("; " + speed if key == "local" else ""),
            )
        )
    intro = [
        SECTION,
        "",
        f"Measured {provenance.now()} ({head['kind']}, {head['minutes']:.1f} min) by "
        f"`bench/bench_storage.py` at {provenance.commit_text()}.",
        f"Machine: {provenance.machine()}, load average {head['load0']:.2f} at start and "
        f"{provenance.load():.2f} at the end. Peak RSS: client ru_maxrss, server and store "
        "VmHWM (with any children). The ≥ 100 MB/s target is for local storage; moto is no "
        "model of a real S3's speed.",
        "",
    ]
    return "\n".join(intro + harness.table(lines)) + "\n"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--size-mb", type=int, default=1024, help="file size in MiB (1024)")
    parser.add_argument("--quick", action="store_true", help="128 MiB; no write")
    parser.add_argument("--no-write", action="store_true", help="print only")
    parser.add_argument("--results", type=Path, default=harness.BENCH / "RESULTS.md")
    args = parser.parse_args()
    size = (128 if args.quick else args.size_mb) << 20
    load0, t0 = provenance.load(), time.perf_counter()
    with tempfile.TemporaryDirectory() as tmp:
        scratch = harness.Scratch(Path(tmp))
        source = big_file(Path(tmp) / "big.bin", size)
        data = measure(scratch, source)
    kind = "quick run" if args.quick or args.size_mb != 1024 else "full run"
    head = {"kind": kind, "minutes": (time.perf_counter() - t0) / 60, "load0": load0}
    text = report(data, size, head)
    import bench_core

    bench_core.publish(args.results, text, SECTION, kind != "full run" or args.no_write)
    return 0


if __name__ == "__main__":
    sys.exit(main())
