"""The Api's artifact calls: ``Api().artifact("e/p/name:alias")``, ``artifacts(type, name)``
(wandb: the versions of one collection, newest first; ``artifact_versions`` is its old name),
and a run's ``logged_artifacts()`` / ``used_artifacts()``."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from nbtrack.artifacts import names, runartifacts
from nbtrack.artifacts.artifact import Artifact
from nbtrack.artifacts.source import artifact_of
from nbtrack.errors import UsageError

if TYPE_CHECKING:
    from nbtrack.api.remote import RemoteReader


def _where(reader: RemoteReader, path: names.ArtifactPath) -> tuple[str, str]:
    project = path.project or reader.default_project
    if project is None:
        raise UsageError(
            f"Artifact path {str(path)!r} names no project: use 'project/name:alias' or "
            "'entity/project/name:alias'."
        )
    return path.entity or reader._entity(), project


def artifact(reader: RemoteReader, name: str, type: str | None = None) -> Artifact:
    path = names.parse(name)
    entity, project = _where(reader, path)
    found = runartifacts.fetch(reader.transport, entity, project, path.name, path.alias)
    if type is not None and found.type != type:
        raise UsageError(f"Artifact {name!r} is of type {found.type!r}, not {type!r}.")
    return found


def artifact_versions(reader: RemoteReader, type_name: str | None, name: str) -> list[Artifact]:
    """Every version of ``[entity/]project/name``, newest first (manifests fetched lazily)."""
    path = names.parse(name if ":" in name else f"{name}:latest")
    entity, project = _where(reader, path)
    found = reader.transport.call("GET", f"/artifacts/{entity}/{project}/{path.name}/versions")
    versions = [v for v in found["versions"] if type_name is None or v["type"] == type_name]
    return [_lazy(reader, v) for v in versions]


def _lazy(reader: RemoteReader, info: dict[str, Any]) -> Artifact:
    base = f"/artifacts/{info['entity']}/{info['project']}/{info['name']}/{info['version']}"
    manifest = reader.transport.call("GET", f"{base}/manifest")
    return artifact_of(info, manifest, reader.transport)


def of_run(store: Any, which: str) -> list[Artifact]:
    """The versions a run logged (``which="logged"``) or used (``"used"``)."""
    local = getattr(store, "artifacts", None)
    if local is not None:  # Api.local(): the run directories on disk
        mine: list[Artifact] = local(which)
        return mine
    transport = getattr(store, "transport", None)
    if transport is None:
        raise UsageError(f"{which}_artifacts() asks the server; read the run with nbtrack.Api().")
    found = transport.call("GET", f"{store.path}/artifacts")[which]
    return [
        artifact_of(info, transport.call("GET", _base(info) + "/manifest"), transport)
        for info in found
    ]


def _base(info: dict[str, Any]) -> str:
    return f"/artifacts/{info['entity']}/{info['project']}/{info['name']}/{info['version']}"
