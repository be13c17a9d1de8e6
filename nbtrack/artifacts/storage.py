"""Content-addressed blob folders on this machine: a run's ``artifacts/blobs`` and the cache.

A blob is a file named by the SHA-256 of its bytes (``blobs/ab/abcd...``). Files are hard-linked
in when the file system allows it, else copied (never moved: the user's files stay where they
are); a blob is written under a temporary name and renamed, so a present blob is complete.
"""

from __future__ import annotations

import hashlib
import os
import shutil
import tempfile
from pathlib import Path


def blob_path(folder: Path, sha256: str) -> Path:
    return folder / sha256[:2] / sha256


def link_or_copy(source: Path, target: Path) -> None:
    """Make ``target`` hold ``source``'s bytes (a hard link, or a copy); no-op if present."""
    if target.exists():
        return
    target.parent.mkdir(parents=True, exist_ok=True)
    temp = Path(tempfile.mkdtemp(dir=target.parent, prefix=".link-")) / target.name
    try:
        try:
            os.link(source, temp)
        except OSError:
            shutil.copyfile(source, temp)
        os.replace(temp, target)
    finally:
        shutil.rmtree(temp.parent, ignore_errors=True)


def place(folder: Path, sha256: str, source: Path) -> Path:
    """Put ``source`` into the blob folder under its digest; answers the blob's path."""
    target = blob_path(folder, sha256)
    link_or_copy(source, target)
    return target


def ingest(folder: Path, source: Path) -> tuple[str, int, Path]:
    """Copy a file into the blob folder, hashing it on the way (one read); answers SHA-256,
    size and the blob's path. Later changes to ``source`` do not reach the blob."""
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


def materialize(blob: Path, target: Path) -> None:
    """Put a blob at a download path (hard link or copy), replacing what was there."""
    target.parent.mkdir(parents=True, exist_ok=True)
    if target.is_symlink() or target.is_file():
        if target.exists() and os.path.samefile(blob, target):
            return
        target.unlink()
    link_or_copy(blob, target)
