"""Request bodies of the artifact routes, validated strictly (a 400 names the field)."""

from __future__ import annotations

import hashlib
from typing import Annotated, Any

from pydantic import AfterValidator, Field, model_validator

from nbtrack.server.files.store import safe_name
from nbtrack.server.payloads import Body, JsonObject, ShortText, Text, clean_text
from nbtrack.server.problems import ApiError

MANIFEST_HEADER = b"nbtrack-artifact-manifest-v1\n"
NAME_PATTERN = r"^[A-Za-z0-9_.-]{1,128}$"


def no_dots(value: str) -> str:
    if ".." in value:
        raise ValueError("must not contain '..'")
    return value


def entry_path(value: str) -> str:
    try:
        return safe_name(value)
    except ApiError as exc:
        raise ValueError(exc.message) from None


Name = Annotated[str, Field(pattern=NAME_PATTERN), AfterValidator(no_dots)]
Sha256 = Annotated[str, Field(pattern=r"^[0-9a-f]{64}$")]
Digest = Annotated[str, AfterValidator(clean_text), Field(min_length=1, max_length=2048)]


class Entry(Body):
    digest: Digest
    size: Annotated[int, Field(ge=0, le=2**62)] | None = None
    ref: Annotated[str, AfterValidator(clean_text), Field(max_length=4096)] | None = None

    @model_validator(mode="after")
    def stored_by_sha256(self) -> Entry:
        if self.ref is None and (len(self.digest) != 64 or self.size is None):
            raise ValueError("a stored file needs its SHA-256 as digest and its size")
        return self


class ArtifactCommit(Body):
    """A version to record: the manifest's entries, named by their digest."""

    name: Name
    type: Name
    description: Text | None = None
    metadata: JsonObject | None = None
    aliases: Annotated[list[Name], Field(max_length=100)] = Field(default_factory=list)
    digest: Sha256
    entries: Annotated[dict[str, Entry], Field(max_length=1_000_000)]

    @model_validator(mode="after")
    def digest_matches(self) -> ArtifactCommit:
        for path in self.entries:
            entry_path(path)
        hasher = hashlib.sha256(MANIFEST_HEADER)
        for path in sorted(self.entries):
            hasher.update(f"{path}:{self.entries[path].digest}\n".encode())
        if hasher.hexdigest() != self.digest:
            raise ValueError("digest is not the digest of these entries")
        return self

    def stored(self) -> dict[str, Any]:
        return {p: e.model_dump() for p, e in self.entries.items()}


class ArtifactUse(Body):
    """A run used ``entity/project/name`` at ``version`` (or, logged offline, at ``digest``)."""

    entity: ShortText
    project: ShortText
    name: Name
    version: Annotated[str, Field(pattern=r"^v[0-9]{1,18}$")] | None = None
    digest: Sha256 | None = None


class BlobQuery(Body):
    sha256: Annotated[list[Sha256], Field(max_length=10_000)]


class ArtifactEdit(Body):
    """Change a version's aliases (``latest`` stays where it is), description or metadata."""

    aliases: Annotated[list[Name], Field(max_length=100)] | None = None
    description: Text | None = None
    metadata: JsonObject | None = None
