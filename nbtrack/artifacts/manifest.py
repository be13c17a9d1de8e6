"""The manifest: an artifact's entries (path -> content digest, size, reference) and its digest.

An entry's ``digest`` is the SHA-256 (hex) of the file's bytes, or for a reference the checksum
taken from its origin (the file's SHA-256, an ETag) or, with ``checksum=False``, the URI itself.
The artifact's digest is the SHA-256 of the line ``nbtrack-artifact-manifest-v1`` and one line
``path:digest`` per entry, sorted by path: the same content gives the same digest (and so the
same version), whatever the order files were added in.
"""

from __future__ import annotations

import dataclasses
import hashlib
import unicodedata
from pathlib import Path
from typing import Any

from nbtrack.errors import UsageError

HEADER = b"nbtrack-artifact-manifest-v1\n"
SHA256_HEX = frozenset("0123456789abcdef")


@dataclasses.dataclass
class ManifestEntry:
    """One file of an artifact (wandb's ``ArtifactManifestEntry``)."""

    path: str
    digest: str
    size: int | None = None
    ref: str | None = None
    local_path: str | None = None  # where the bytes are on this machine, if they are
    _fetch: Any = dataclasses.field(default=None, repr=False, compare=False)

    @property
    def name(self) -> str:
        return self.path

    def download(self, root: str | Path | None = None) -> str:
        """Fetch this file (into the artifact's download root); answers its local path."""
        if self._fetch is None:
            raise UsageError(
                f"Entry {self.path!r} belongs to an artifact that is not logged or used yet; "
                "log it (run.log_artifact) or get it with run.use_artifact() first."
            )
        return str(self._fetch(self, root))

    def to_json(self) -> dict[str, Any]:
        found: dict[str, Any] = {"digest": self.digest, "size": self.size}
        if self.ref is not None:
            found["ref"] = self.ref
        return found


class Manifest:
    """Entries by path; ``digest`` names the content as a whole."""

    def __init__(self) -> None:
        self.entries: dict[str, ManifestEntry] = {}

    def add(self, entry: ManifestEntry) -> None:
        self.entries[check_path(entry.path)] = entry

    def digest(self) -> str:
        hasher = hashlib.sha256(HEADER)
        for path in sorted(self.entries):
            hasher.update(f"{path}:{self.entries[path].digest}\n".encode())
        return hasher.hexdigest()

    @property
    def size(self) -> int:
        return sum(e.size or 0 for e in self.entries.values())

    def to_json(self) -> dict[str, Any]:
        entries = {p: self.entries[p].to_json() for p in sorted(self.entries)}
        return {"version": 1, "digest": self.digest(), "entries": entries}

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> Manifest:
        manifest = cls()
        for path, item in data.get("entries", {}).items():
            ref = item.get("ref")
            manifest.add(ManifestEntry(path, str(item["digest"]), item.get("size"), ref))
        return manifest

    def stored(self) -> list[ManifestEntry]:
        """Entries whose bytes live in the artifact (not references)."""
        return [e for e in self.entries.values() if e.ref is None]


def check_path(path: object) -> str:
    """A file's name inside an artifact: a relative path of plain names."""
    bad = (
        not isinstance(path, str)
        or not path
        or len(path) > 1024
        or path.startswith("/")
        or "\\" in path
        or any(unicodedata.category(c) in ("Cc", "Zl", "Zp") for c in path)
        or any(p in ("", ".", "..") for p in path.split("/"))
    )
    if bad:
        raise UsageError(
            f"Artifact file name {path!r} is not allowed: use a relative path of plain names "
            "separated by '/', without '..', '.', empty parts, backslashes or control characters."
        )
    assert isinstance(path, str)
    return path


def is_sha256(value: object) -> bool:
    return isinstance(value, str) and len(value) == 64 and set(value) <= SHA256_HEX


def sha256_of(path: Path) -> tuple[str, int]:
    """The SHA-256 (hex) and size of a file, read in chunks."""
    hasher = hashlib.sha256()
    buffer = bytearray(1 << 20)
    view = memoryview(buffer)
    size = 0
    with open(path, "rb", buffering=0) as stream:
        while count := stream.readinto(buffer):
            hasher.update(view[:count])
            size += count
    return hasher.hexdigest(), size
