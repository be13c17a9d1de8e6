"""Media objects in artifacts: ``artifact.add(table, "preds")`` and ``artifact.get("preds")``.

``add`` writes the object's files (``media/<sha256>.<ext>``, as in a run) and its reference as
``<name>.<kind>.json`` (``preds.table.json``, wandb's naming); ``get`` reads the reference back
as the same value the Api gives for a logged one (a Table answers ``get_dataframe()``).
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path
from typing import IO, TYPE_CHECKING, Any

from nbtrack.artifacts.manifest import ManifestEntry
from nbtrack.errors import UsageError

if TYPE_CHECKING:
    from nbtrack.artifacts.artifact import Artifact


def add(artifact: Artifact, obj: Any, name: str, overwrite: bool) -> ManifestEntry:
    from nbtrack.media.base import Media

    if not isinstance(obj, Media):
        raise UsageError(
            f"artifact.add() takes a media object (nbtrack.Table, nbtrack.Image, ...), not "
            f"{type(obj).__name__}; add files with add_file() or new_file()."
        )
    prepared = obj.prepare(name)
    folder = artifact._temp_dir()
    for job in prepared.files:
        path = folder / job.name
        if not path.exists():
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_bytes(job.content())
        artifact.add_file(path, job.name, policy="immutable", overwrite=True)
    kind = str(prepared.reference["_type"]).removesuffix("-file")
    target = f"{name}.{kind}.json"
    path = folder / target
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(prepared.reference))
    return artifact.add_file(path, target, policy="immutable", overwrite=overwrite)


class _EntryFile:
    """An artifact entry shaped as the Api's run file, for the media readers."""

    def __init__(self, entry: ManifestEntry) -> None:
        self.name = entry.path
        self._entry = entry

    def download(
        self, root: str | Path = ".", replace: bool = False, exist_ok: bool = False
    ) -> IO[Any]:
        target = Path(root) / self.name
        target.parent.mkdir(parents=True, exist_ok=True)
        source = self._entry.local_path or self._entry.download()
        shutil.copyfile(source, target)
        return open(target, "rb")


def get(artifact: Artifact, name: str) -> Any:
    from nbtrack.media.readback import RunFiles, wrap

    found = [
        p for p in artifact.manifest.entries if p.startswith(f"{name}.") and p.endswith(".json")
    ]
    if not found:
        raise KeyError(f"Artifact {artifact.name!r} has no object {name!r} (added with add()).")
    entry = artifact.manifest.entries[found[0]]
    source = entry.local_path or entry.download()
    reference = json.loads(Path(source).read_text())
    files = RunFiles(lambda: [_EntryFile(e) for e in artifact.manifest.entries.values()])
    return wrap(reference, files)
