"""Where a logged artifact's files come from: the local cache, then the server (if any).

A :class:`Source` is what a logged or used artifact knows about itself (entity, project, version,
aliases, producer) and how to fetch its files: blobs found in the cache are copied from there;
others are streamed from the server into the cache (checked against their SHA-256) first.
"""

from __future__ import annotations

import dataclasses
import os
import shutil
import tempfile
from pathlib import Path
from typing import TYPE_CHECKING, Any
from urllib.parse import quote

from nbtrack.artifacts import cache, references, storage
from nbtrack.artifacts.manifest import Manifest, ManifestEntry, sha256_of
from nbtrack.errors import UsageError

if TYPE_CHECKING:
    from nbtrack.artifacts.artifact import Artifact
    from nbtrack.upload.transport import Transport

ENV_ARTIFACT_DIR = "NBTRACK_ARTIFACT_DIR"


@dataclasses.dataclass
class Source:
    entity: str | None
    project: str
    name: str
    version: str | None = None
    transport: Transport | None = None
    info: dict[str, Any] = dataclasses.field(default_factory=dict)
    blob_dirs: list[Path] = dataclasses.field(default_factory=list)  # tried after the cache
    local: Any = None  # (LocalArtifacts, Version) for Api.local()'s artifacts

    @property
    def created_at(self) -> float | None:
        value = self.info.get("created_at")
        return float(value) if value is not None else None

    def api_path(self) -> str:
        return f"/artifacts/{self.entity}/{self.project}/{self.name}/{self.version}"

    def default_root(self) -> Path:
        base = Path(os.environ.get(ENV_ARTIFACT_DIR, "./artifacts"))
        label = self.version or str(self.info.get("digest", "local"))[:12]
        return base / f"{self.name}:{label}"

    def download(
        self, artifact: Artifact, root: Any, prefix: str | None, allow_missing: bool
    ) -> Path:
        folder = Path(root) if root is not None else self.default_root()
        for entry in artifact.manifest.entries.values():
            if prefix is None or entry.path.startswith(prefix):
                self.fetch(entry, folder, allow_missing)
        return folder

    def fetch(self, entry: ManifestEntry, folder: Path, allow_missing: bool = False) -> Path:
        target = folder / entry.path
        if entry.ref is not None:
            try:
                references.fetch(entry, target)
            except (OSError, UsageError):
                if not allow_missing:
                    raise
            return target
        blob = self.blob(entry)
        if not _same(target, entry):
            target.parent.mkdir(parents=True, exist_ok=True)
            target.unlink(missing_ok=True)
            shutil.copyfile(blob, target)
        return target

    def blob(self, entry: ManifestEntry) -> Path:
        """The cached blob of an entry, streamed from the server first if need be."""
        path = storage.blob_path(cache.blobs(), entry.digest)
        if path.is_file():
            return path
        for folder in self.blob_dirs:
            if (found := storage.blob_path(folder, entry.digest)).is_file():
                return found
        if self.transport is None or self.version is None:
            raise UsageError(
                f"File {entry.path!r} of artifact {self.name!r} is not in the local cache "
                f"({cache.blobs()}), and fetching it needs the server: run online, or sync "
                "and use the artifact from a machine that can reach the server."
            )
        self._stream(entry, path)
        return path

    def _stream(self, entry: ManifestEntry, path: Path) -> None:
        assert self.transport is not None
        url = f"{self.transport.base_url}/api/v1{self.api_path()}/files/{quote(entry.path)}"
        path.parent.mkdir(parents=True, exist_ok=True)
        fd, temp = tempfile.mkstemp(dir=path.parent, prefix=".", suffix=".part")
        try:
            with (
                os.fdopen(fd, "wb") as out,
                self.transport.session.get(url, stream=True, timeout=(2.0, 120.0)) as response,
            ):
                if response.status_code >= 400:
                    from nbtrack.upload.transport import _error

                    raise _error(response)
                for chunk in response.iter_content(1 << 20):
                    out.write(chunk)
            if sha256_of(Path(temp))[0] != entry.digest:
                raise UsageError(f"File {entry.path!r} arrived damaged (SHA-256 differs); retry.")
            os.replace(temp, path)
        finally:
            Path(temp).unlink(missing_ok=True)

    def logged_by(self) -> Any:
        if self.local is not None:
            return self.local[0].logged_by(self.local[1])
        producer = self.info.get("logged_by")
        if not producer:
            return None
        return _api(self).run(str(producer))

    def used_by(self) -> list[Any]:
        if self.local is not None:
            return list(self.local[0].used_by(self.local[1]))
        if self.transport is None:
            raise UsageError("used_by() asks the server; this artifact was not resolved by one.")
        found = self.transport.call("GET", f"{self.api_path()}/runs")
        api = _api(self)
        return [api.run(path) for path in found["used_by"]]

    def save(self, artifact: Artifact) -> None:
        if self.transport is None or self.version is None:
            raise UsageError("Saving an artifact's aliases needs the server: run online or sync.")
        body = {
            "aliases": list(artifact.aliases),
            "description": artifact.description,
            "metadata": artifact.metadata,
        }
        answer = self.transport.call("PATCH", self.api_path(), body)
        self.info.update(answer)
        artifact.aliases = [a for a in answer["aliases"]]


def _same(target: Path, entry: ManifestEntry) -> bool:
    try:
        if target.stat().st_size != entry.size:
            return False
    except FileNotFoundError:
        return False
    return sha256_of(target)[0] == entry.digest


def _api(source: Source) -> Any:
    from nbtrack.api import Api

    assert source.transport is not None
    return Api(base_url=source.transport.base_url, api_key=source.transport.api_key)


def artifact_of(
    info: dict[str, Any], manifest: dict[str, Any], transport: Transport | None
) -> Artifact:
    """A logged artifact from the server's (or the cache's) description and manifest."""
    from nbtrack.artifacts.artifact import Artifact

    artifact = Artifact(info["name"], info["type"], info.get("description"), info.get("metadata"))
    artifact.manifest = Manifest.from_json(manifest)
    source = Source(
        info.get("entity"), info["project"], info["name"], info.get("version"), transport, info
    )
    artifact._source = source
    artifact.aliases = [a for a in info.get("aliases", []) if a != info.get("version")]
    for entry in artifact.manifest.entries.values():
        entry._fetch = _fetcher(source, artifact)
    return artifact


def _fetcher(source: Source, artifact: Artifact) -> Any:
    def fetch(entry: ManifestEntry, root: Any) -> Path:
        folder = Path(root) if root is not None else source.default_root()
        return source.fetch(entry, folder)

    return fetch
