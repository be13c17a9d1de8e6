"""``Api.local()``'s artifacts: the versions the run directories on disk logged and used.

Every ``artifact`` record of a run under the root is a logged version and every ``used`` record
is lineage; the run that first logged a content is its producer (a run logging it again makes
no new version and is not listed, as on a server). Versions of a name are numbered ``v0, v1,
...`` in the order runs logged distinct contents (runs oldest first, records in log order), as
a server numbers the versions of a project that only this machine logs to. ``latest`` is the
newest version; any other alias belongs to the version last logged with it. Files come from
the local cache, else from the logging run's folder (``artifacts/blobs``).
"""

from __future__ import annotations

import dataclasses
from pathlib import Path
from typing import Any

from nbtrack import rundir, runlog, runstate
from nbtrack.artifacts import names
from nbtrack.artifacts.artifact import Artifact
from nbtrack.artifacts.runartifacts import folder_of
from nbtrack.artifacts.source import artifact_of
from nbtrack.errors import UsageError


@dataclasses.dataclass(eq=False)
class Version:
    """One version as the run directories know it."""

    info: dict[str, Any]
    manifest_path: Path
    run_dir: Path
    users: list[Path] = dataclasses.field(default_factory=list)


class LocalArtifacts:
    """Every artifact version logged by the runs under ``root``, read once."""

    def __init__(self, root: Path) -> None:
        self.root = root
        self.versions: dict[tuple[str, str], list[Version]] = {}
        self.logged: dict[Path, list[Version]] = {}
        self.used: dict[Path, list[Version]] = {}
        runs = rundir.list_all(root)
        uses = [(path, item) for path in runs for item in self._read(path)]
        for path, payload in uses:
            self._note_use(path, payload)

    def _read(self, path: Path) -> list[dict[str, Any]]:
        """Log the run's artifact records; answers its ``used`` records for later."""
        run = runstate.quick(path).info
        uses = []
        for _, kind, payload in runlog.read(path / runlog.LOG_NAME):
            if kind == "artifact" and isinstance(payload, dict):
                self._note_logged(path, run, payload)
            elif kind == "used" and isinstance(payload, dict):
                uses.append(payload)
        return uses

    def _note_logged(self, path: Path, run: Any, payload: dict[str, Any]) -> None:
        project = str(payload.get("project") or run.get("project", ""))
        chain = self.versions.setdefault((project, str(payload["name"])), [])
        found = next((v for v in chain if v.info["digest"] == payload["digest"]), None)
        if found is None:
            info = {**payload, "project": project, "entity": run.get("entity")}
            info |= {"version": f"v{len(chain)}", "logged_by": str(path), "aliases": []}
            found = Version(info, path / str(payload["manifest"]), path)
            chain.append(found)
            self.logged.setdefault(path.resolve(), []).append(found)
        for alias in payload.get("aliases") or []:
            if alias != names.LATEST:
                for version in chain:
                    version.info["aliases"] = [a for a in version.info["aliases"] if a != alias]
                found.info["aliases"].append(alias)

    def _note_use(self, path: Path, payload: dict[str, Any]) -> None:
        chain = self.versions.get((str(payload.get("project")), str(payload.get("name"))), [])
        for version in chain:
            if version.info["digest"] == payload.get("digest"):
                version.users.append(path)
                self.used.setdefault(path.resolve(), []).append(version)

    def chain(self, project: str | None, name: str) -> list[Version]:
        matching = [c for (p, n), c in self.versions.items() if n == name and project in (None, p)]
        if len(matching) > 1:
            raise UsageError(
                f"Artifact {name!r} exists in several projects here; name one: 'project/{name}'."
            )
        return matching[0] if matching else []

    def find(self, text: str) -> Version:
        """``[entity/][project/]name:alias``, ``:latest`` when no alias is given."""
        path = names.parse(text if ":" in text else f"{text}:latest")
        chain = self.chain(path.project, path.name)
        for version in reversed(chain):
            if path.alias in (version.info["version"], *version.info["aliases"]):
                return version
        if chain and path.alias == names.LATEST:
            return chain[-1]
        raise UsageError(
            f"No artifact {text!r} in the runs under {self.root}; see "
            "Api.local().artifacts(type, name) for the versions there."
        )

    def artifact(self, version: Version) -> Artifact:
        """The version as an Artifact whose files come from the cache or the run folder."""
        chain = self.versions[(version.info["project"], version.info["name"])]
        info = dict(version.info)
        if version is chain[-1]:
            info["aliases"] = [*info["aliases"], names.LATEST]
        manifest = rundir.read_json(version.manifest_path)
        if not isinstance(manifest, dict):
            raise UsageError(f"The manifest {version.manifest_path} is missing or damaged.")
        artifact = artifact_of(info, manifest, None)
        assert artifact._source is not None
        artifact._source.blob_dirs = [folder_of(version.run_dir) / "blobs"]
        artifact._source.local = (self, version)
        return artifact

    def logged_by(self, version: Version) -> Any:
        from nbtrack.api.local import LocalApi

        return LocalApi(self.root).run(version.run_dir)

    def used_by(self, version: Version) -> list[Any]:
        from nbtrack.api.local import LocalApi

        api = LocalApi(self.root)
        return [api.run(path) for path in dict.fromkeys(version.users)]
