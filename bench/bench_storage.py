"""Server storage backends over loopback: one large artifact file uploaded to local storage and
to an S3-compatible store (moto's S3 server in a process of its own).

For each backend a fresh ``nbtrack server`` (SQLite) and a client process, online, that logs one
file (``add_file`` + ``log_artifact`` + ``wait()``, the timed upload). On local storage the bytes
stream through the server; on S3 the client sends them to the store with presigned URLs
(multipart from 100 MB) and the server reads the object back once to check its SHA-256, then
copies it under its content address inside the store. Reported: upload seconds and MB/s, peak
RSS (``VmHWM``) of client, server and store. moto keeps objects in memory, and is no model of a
real S3's speed: the S3 figure measures nbtrack's path with a local stand-in.

Prints a Markdown section (RESULTS.md is left alone). Needs ``moto[server]`` and ``boto3`` in the
project's .venv (the ``s3`` and ``test`` extras) and about 3x the file size in free memory.
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import harness
import provenance
from bench_artifacts import big_file, client, peak_mb

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


def report(data: dict[str, Any], size: int) -> str:
    load = f"{provenance.load():.2f}"
    mb = size / 1e6
    lines = []
    for key, who, how in (
        ("local", "local storage", "streamed through the server"),
        (
            "s3",
            "S3 (moto server)",
            "presigned multipart to the store, SHA-256 checked by the server",
        ),
    ):
        found = data[key]
        store = f", store {found['store_mb']:.0f} MB" if "store_mb" in found else ""
        lines.append(
            harness.Line(
                f"{mb:.0f} MB artifact file: upload",
                f"nbtrack, SQLite, {who}",
                f"{found['upload']:.1f} s",
                f"{mb / found['upload']:.0f} MB/s, {how}; peak RSS client "
                f"{found['peak_mb']:.0f} MB, server {found['server_mb']:.0f} MB{store}",
                load,
            )
        )
    head = (
        f"Measured {provenance.now()} by `bench/bench_storage.py`, "
        f"{provenance.commit_text()}. Machine: {provenance.machine()}."
    )
    return "\n".join(["## Object storage", "", head, "", *harness.table(lines)])


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--size-mb", type=int, default=1024, help="file size in MiB (1024)")
    parser.add_argument("--quick", action="store_true", help="128 MiB")
    args = parser.parse_args()
    size = (128 if args.quick else args.size_mb) << 20
    with tempfile.TemporaryDirectory() as tmp:
        scratch = harness.Scratch(Path(tmp))
        source = big_file(Path(tmp) / "big.bin", size)
        data = measure(scratch, source)
    print(report(data, size))
    return 0


if __name__ == "__main__":
    sys.exit(main())
