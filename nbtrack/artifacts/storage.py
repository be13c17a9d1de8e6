"""Content-addressed blob folders on this machine: a run's ``artifacts/blobs`` and the cache.

A blob is a file named by the SHA-256 of its bytes (``blobs/ab/abcd...``). Files are hard-linked
in when the file system allows it, else copied (never moved: the user's files stay where they
are); a blob is written under a temporary name and renamed, so a present blob is complete.
"""

from __future__ import annotations

import hashlib
import os
import secrets
import shutil
import tempfile
from pathlib import Path

SMALL = 1 << 20


def blob_path(folder: Path, sha256: str) -> Path:
    return folder / sha256[:2] / sha256


def link_or_copy(source: Path, target: Path) -> None:
    """Make ``target`` hold ``source``'s bytes (a hard link, or a copy); no-op if present."""
    try:
        _link(source, target)  # a hard link appears whole, or not at all
        return
    except FileExistsError:
        return  # the same content, there already
    except OSError:
        pass  # another file system, or links not allowed: copy
    if target.exists():
        return
    target.parent.mkdir(parents=True, exist_ok=True)
    temp = target.with_name(f".{target.name}.{secrets.token_hex(4)}.part")
    try:
        shutil.copyfile(source, temp)
        os.replace(temp, target)
    finally:
        temp.unlink(missing_ok=True)


def _link(source: Path, target: Path) -> None:
    try:
        os.link(source, target)
    except FileNotFoundError:
        if not source.exists():
            raise
        target.parent.mkdir(parents=True, exist_ok=True)
        os.link(source, target)


def place(folder: Path, sha256: str, source: Path) -> Path:
    """Put ``source`` into the blob folder under its digest; answers the blob's path."""
    target = blob_path(folder, sha256)
    link_or_copy(source, target)
    return target


def ingest(folder: Path, source: Path) -> tuple[str, int, Path]:
    """Copy a file into the blob folder, hashing it on the way (one read); answers SHA-256,
    size and the blob's path. Later changes to ``source`` do not reach the blob."""
    with open(source, "rb") as stream:
        data = stream.read(SMALL + 1)
        if len(data) <= SMALL:  # small: hashed in memory, written only if new
            return _ingest_bytes(folder, data)
    folder.mkdir(parents=True, exist_ok=True)
    fd, temp = tempfile.mkstemp(dir=folder, prefix=".ingest-")
    hasher, size = hashlib.sha256(), 0
    try:
        with open(source, "rb") as stream, os.fdopen(fd, "wb") as out:
            while chunk := stream.read(1 << 20):
                hasher.update(chunk)
                out.write(chunk)
                size += len(chunk)
        digest = hasher.hexdigest()
        target = blob_path(folder, digest)
        if not target.exists():
            target.parent.mkdir(parents=True, exist_ok=True)
            os.replace(temp, target)
    finally:
        Path(temp).unlink(missing_ok=True)
    return digest, size, target


def _ingest_bytes(folder: Path, data: bytes) -> tuple[str, int, Path]:
    digest = hashlib.sha256(data).hexdigest()
    parent = f"{folder}/{digest[:2]}"
    target = f"{parent}/{digest}"
    if not os.path.exists(target):
        temp = f"{target}.{secrets.token_hex(4)}.part"
        try:
            _write_new(temp, data, parent)
            os.replace(temp, target)
        finally:
            if os.path.exists(temp):
                os.unlink(temp)
    return digest, len(data), Path(target)


def _write_new(path: str, data: bytes, parent: str) -> None:
    """Write a file, making its folder only when it is missing (one system call saved a file)."""
    try:
        stream = open(path, "wb")  # noqa: SIM115
    except FileNotFoundError:
        os.makedirs(parent, exist_ok=True)
        stream = open(path, "wb")  # noqa: SIM115
    with stream:
        stream.write(data)


def materialize(blob: Path, target: Path) -> None:
    """Put a blob at a download path (hard link or copy), replacing what was there."""
    target.parent.mkdir(parents=True, exist_ok=True)
    if target.is_symlink() or target.is_file():
        if target.exists() and os.path.samefile(blob, target):
            return
        target.unlink()
    link_or_copy(blob, target)
