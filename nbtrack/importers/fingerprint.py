"""Idempotent imports: each imported run keeps its source's fingerprint in its metadata
(``metadata["imported"]["fingerprint"]``); a source whose fingerprint a run already holds is
skipped."""

from __future__ import annotations

import hashlib
from pathlib import Path
from typing import Any

from nbtrack import rundir

CHUNK = 1 << 20


def of_parts(kind: str, *parts: Any) -> str:
    """A fingerprint of a source named by ``parts`` (ids, sizes, digests)."""
    text = "\0".join([kind, *map(str, parts)])
    return hashlib.sha256(text.encode()).hexdigest()[:32]


def of_files(kind: str, files: list[Path]) -> str:
    """A fingerprint of the content of ``files`` (read in chunks: flat memory)."""
    digest = hashlib.sha256(kind.encode())
    for path in sorted(files):
        digest.update(path.name.encode() + b"\0")
        with open(path, "rb") as stream:
            while chunk := stream.read(CHUNK):
                digest.update(chunk)
    return digest.hexdigest()[:32]


def imported(root: Path) -> dict[str, str]:
    """``{fingerprint: run id}`` of every imported run under ``root``."""
    found: dict[str, str] = {}
    for path in rundir.list_all(root):
        meta = rundir.read_json(path / "metadata.json")
        mark = meta.get("imported") if isinstance(meta, dict) else None
        if isinstance(mark, dict) and isinstance(mark.get("fingerprint"), str):
            found[mark["fingerprint"]] = rundir.parse_name(path.name)[2]
    return found
