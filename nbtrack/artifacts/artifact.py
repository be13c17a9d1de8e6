"""``Artifact``: a versioned set of files (a dataset, a model), built locally, logged by a run.

A new artifact is a draft: ``add_file``, ``add_dir``, ``add_reference``, ``new_file`` and ``add``
build its manifest (files are hashed as they are added, never moved). ``run.log_artifact`` logs
it; ``run.use_artifact`` and ``Api().artifact`` answer logged ones, whose files ``download()``
fetches (from the local cache first). See README "Artifacts".
"""

from __future__ import annotations

import contextlib
import os
import shutil
import tempfile
import weakref
from collections.abc import Iterator
from pathlib import Path
from typing import IO, TYPE_CHECKING, Any

from nbtrack.artifacts import cache, names, references, storage
from nbtrack.artifacts.manifest import Manifest, ManifestEntry, check_path, sha256_of
from nbtrack.errors import UsageError

if TYPE_CHECKING:
    from nbtrack.artifacts.source import Source


class ArtifactNotLoggedError(UsageError):
    """An attribute that only a logged artifact has (``version``, ``logged_by``...)."""

    def __init__(self, name: str, attribute: str) -> None:
        super().__init__(
            f"Artifact {name!r} is not logged yet, so it has no {attribute}: log it with "
            "run.log_artifact(artifact) (and call artifact.wait() online), or get a logged one "
            "with run.use_artifact('name:latest')."
        )


class Artifact:
    """``Artifact(name, type, description=None, metadata=None)``, as in wandb."""

    def __init__(
        self,
        name: str,
        type: str,
        description: str | None = None,
        metadata: dict[str, Any] | None = None,
        incremental: bool = False,
        use_as: str | None = None,
    ) -> None:
        self._name = names.check_name(name)
        self.type = names.check_type(type)
        self.description = description
        self.metadata: dict[str, Any] = dict(metadata or {})
        self.manifest = Manifest()
        self.aliases: list[str] = []
        self._source: Source | None = None
        self._temp: Path | None = None
        self._pending: Any = None  # waits for the upload of a logged draft (online)
        self._blobs = cache.blobs()

    # -- identity ---------------------------------------------------------------------------------
    @property
    def name(self) -> str:
        """``name`` for a draft, ``name:v3`` once logged."""
        version = self._source.version if self._source else None
        return f"{self._name}:{version}" if version else self._name

    @property
    def source_name(self) -> str:
        return self.name

    @property
    def collection_name(self) -> str:
        return self._name

    @property
    def version(self) -> str:
        source = self._logged("version")
        if source.version is None:
            raise ArtifactNotLoggedError(self._name, "version until its run is synced")
        return source.version

    @property
    def qualified_name(self) -> str:
        source = self._logged("qualified name")
        return f"{source.entity}/{source.project}/{self.name}"

    @property
    def entity(self) -> str | None:
        return self._logged("entity").entity

    @property
    def project(self) -> str:
        return self._logged("project").project

    @property
    def digest(self) -> str:
        return self.manifest.digest()

    @property
    def size(self) -> int:
        return self.manifest.size

    @property
    def state(self) -> str:
        if self._source is None:
            return "PENDING"
        return "COMMITTED" if self._source.version else "PENDING"

    @property
    def created_at(self) -> float | None:
        return self._source.created_at if self._source else None

    def is_draft(self) -> bool:
        return self._source is None

    def _logged(self, attribute: str) -> Source:
        self.wait() if self._pending is not None else None
        if self._source is None:
            raise ArtifactNotLoggedError(self._name, attribute)
        return self._source

    # -- building a draft -------------------------------------------------------------------------
    def _draft(self, action: str) -> None:
        if self._source is not None:
            raise UsageError(
                f"Artifact {self.name!r} is logged, so it cannot {action}; build a new "
                f"Artifact({self._name!r}, {self.type!r}) to log a new version."
            )

    def add_file(
        self,
        local_path: str | os.PathLike[str],
        name: str | None = None,
        is_tmp: bool | None = False,
        skip_cache: bool | None = False,
        policy: str | None = "mutable",
        overwrite: bool = False,
    ) -> ManifestEntry:
        """Add one file, under ``name`` (default: its file name); answers its entry."""
        self._draft("gain files")
        path = Path(local_path)
        if path.is_dir():
            raise UsageError(f"{str(path)!r} is a folder; add it with artifact.add_dir().")
        if not path.is_file():
            raise UsageError(f"Cannot add {str(path)!r} to the artifact: no such file.")
        target = check_path(name if name is not None else path.name)
        return self._add(path, target, policy, overwrite)

    def _add(self, path: Path, target: str, policy: str | None, overwrite: bool) -> ManifestEntry:
        if policy == "immutable":  # the file will not change: hard-linked, never copied
            digest, size = sha256_of(path)
            local = path.resolve()
        else:  # wandb's "mutable": a copy is taken now, later edits do not reach the artifact
            digest, size, local = storage.ingest(self._blobs, path)
        known = self.manifest.entries.get(target)
        if known is not None and not overwrite and known.digest != digest:
            raise UsageError(
                f"The artifact already has a file named {target!r}; pass another name= "
                "or overwrite=True."
            )
        entry = ManifestEntry(target, digest, size, local_path=str(local))
        self.manifest.entries[target] = entry
        return entry

    def add_dir(
        self,
        local_path: str | os.PathLike[str],
        name: str | None = None,
        skip_cache: bool | None = False,
        policy: str | None = "mutable",
        merge: bool = False,
    ) -> None:
        """Add every file under a folder (under ``name/`` if given); symlinks must stay inside."""
        self._draft("gain files")
        root = Path(local_path)
        if not root.is_dir():
            raise UsageError(f"Cannot add folder {str(root)!r} to the artifact: no such folder.")
        prefix = f"{check_path(name)}/" if name else ""
        for path, relative in _walk(root.resolve(), ""):
            self._add(Path(path), check_path(prefix + relative), policy, merge)

    def add_reference(
        self,
        uri: Any,
        name: str | None = None,
        checksum: bool = True,
        max_objects: int | None = None,
    ) -> list[ManifestEntry]:
        """Add a file that stays where it is: ``file://``, ``s3://``, ``http(s)://``."""
        self._draft("gain references")
        found = references.entries(str(uri), name, checksum)
        if max_objects is not None and len(found) > max_objects:
            raise UsageError(
                f"Reference {uri!r} has {len(found)} objects, more than max_objects={max_objects}."
            )
        for entry in found:
            self.manifest.add(entry)
        return found

    @contextlib.contextmanager
    def new_file(
        self, name: str, mode: str = "x", encoding: str | None = None
    ) -> Iterator[IO[Any]]:
        """Write a new file into the artifact: ``with artifact.new_file("a.txt") as f: ...``."""
        self._draft("gain files")
        target = check_path(name)
        if target in self.manifest.entries:
            raise UsageError(f"The artifact already has a file named {target!r}.")
        path = self._temp_dir() / target
        path.parent.mkdir(parents=True, exist_ok=True)
        text = "b" not in mode
        with open(path, mode, encoding=(encoding or "utf-8") if text else None) as stream:
            yield stream
        self.add_file(path, target, policy="immutable")

    def add(self, obj: Any, name: str, overwrite: bool = False) -> ManifestEntry:
        """Add a media object (``Table``, ``Image``, ...) as ``<name>.<type>.json`` + its files."""
        from nbtrack.artifacts import mediaentries

        self._draft("gain objects")
        return mediaentries.add(self, obj, check_path(name), overwrite)

    def get(self, name: str) -> Any:
        """A media object added with ``add(obj, name)``, read back (e.g. a Table)."""
        from nbtrack.artifacts import mediaentries

        return mediaentries.get(self, name)

    def remove(self, item: str | os.PathLike[str] | ManifestEntry) -> None:
        """Take a file (or every file under a folder name) out of a draft."""
        self._draft("lose files")
        key = item.path if isinstance(item, ManifestEntry) else str(item)
        matched = [p for p in self.manifest.entries if p == key or p.startswith(key + "/")]
        if not matched:
            raise UsageError(f"The artifact has no file or folder {key!r} to remove.")
        for path in matched:
            del self.manifest.entries[path]

    def _temp_dir(self) -> Path:
        if self._temp is None:  # removed with the artifact (logged files are in the run by then)
            self._temp = Path(tempfile.mkdtemp(prefix="nbtrack-artifact-"))
            weakref.finalize(self, shutil.rmtree, self._temp, True)
        return self._temp

    # -- reading a logged artifact ----------------------------------------------------------------
    def get_entry(self, name: str) -> ManifestEntry:
        entry = self.manifest.entries.get(name)
        if entry is None:
            raise KeyError(f"Artifact {self.name!r} has no file {name!r}.")
        return entry

    def get_path(self, name: str) -> ManifestEntry:
        return self.get_entry(name)

    def download(
        self,
        root: str | os.PathLike[str] | None = None,
        allow_missing_references: bool = False,
        skip_cache: bool | None = None,
        path_prefix: str | None = None,
    ) -> str:
        """Fetch every file into ``root`` (default ``./artifacts/<name>:<version>``)."""
        source = self._logged("files to download")
        return str(source.download(self, root, path_prefix, allow_missing_references))

    def file(self, root: str | os.PathLike[str] | None = None) -> str:
        """The one file of a single-file artifact, downloaded; answers its path."""
        if len(self.manifest.entries) != 1:
            raise UsageError(
                f"artifact.file() needs an artifact with exactly one file; {self.name!r} has "
                f"{len(self.manifest.entries)}: use artifact.download() instead."
            )
        entry = next(iter(self.manifest.entries.values()))
        return entry.download(Path(root) if root is not None else None)

    def files(self) -> list[ManifestEntry]:
        return list(self.manifest.entries.values())

    def wait(self, timeout: float | None = None) -> Artifact:
        """Block until a logged artifact is uploaded and has its version (online runs)."""
        if self._pending is not None:
            self._pending(timeout)
        return self

    def logged_by(self) -> Any:
        return self._logged("producing run").logged_by()

    def used_by(self) -> list[Any]:
        return self._logged("consuming runs").used_by()

    def save(self) -> None:
        """Store changed aliases, description and metadata of a logged artifact."""
        self._logged("server copy to update").save(self)

    def __repr__(self) -> str:
        return f"<Artifact {self.name} ({self.type}, {len(self.manifest.entries)} files)>"


def _walk(root: Path, under: str) -> Iterator[tuple[str, str]]:
    """``(path, relative name)`` of the files under ``root``, sorted; a symlink pointing outside
    ``root`` is refused by name (one that stays inside is followed if it is a file)."""
    folder = root / under if under else root
    with os.scandir(folder) as found:
        items = sorted(found, key=lambda e: e.name)
    for item in items:
        relative = f"{under}/{item.name}" if under else item.name
        if item.is_symlink():
            _check_inside(root, Path(item.path))
            if item.is_file():
                yield item.path, relative
        elif item.is_dir():
            yield from _walk(root, relative)
        elif item.is_file():
            yield item.path, relative


def _check_inside(root: Path, link: Path) -> None:
    target = link.resolve()
    if target != root and root not in target.parents:
        raise UsageError(
            f"{str(link)!r} is a symbolic link to {str(target)!r}, outside the folder being "
            "added; copy the file in, or add it with add_file() or add_reference()."
        )
