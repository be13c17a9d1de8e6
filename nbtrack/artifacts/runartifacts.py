"""What a run does with artifacts: log one (into the run folder and the run log), use one.

``log_artifact`` hard-links (or copies) the files into ``<run dir>/artifacts/blobs/`` by SHA-256,
writes the manifest to ``artifacts/manifests/<digest>.json`` and appends an ``artifact`` record;
the uploader (online) or ``nbtrack sync`` sends them. ``use_artifact`` resolves a path with the
server (online) or the local cache (offline) and appends a ``use_artifact`` record (lineage).
"""

from __future__ import annotations

import json
import os
import re
import time
from pathlib import Path
from typing import TYPE_CHECKING, Any

from nbtrack.artifacts import cache, names, storage
from nbtrack.artifacts.artifact import Artifact
from nbtrack.artifacts.source import Source, artifact_of
from nbtrack.errors import CommError, ServerError, UsageError

if TYPE_CHECKING:
    from nbtrack._run import Run
    from nbtrack.upload.transport import Transport

FOLDER = "artifacts"
WAIT_SECONDS = 600.0


def folder_of(run_dir: Path) -> Path:
    return run_dir / FOLDER


def log_artifact(run: Run, item: Any, name: str | None, type: str | None, aliases: Any) -> Artifact:
    artifact = _as_artifact(run, item, name, type or "unspecified")
    if not artifact.is_draft():
        raise UsageError(f"Artifact {artifact.name!r} is logged already; build a new Artifact.")
    chosen = [
        names.LATEST,
        *names.user_aliases(aliases if aliases is not None else artifact.aliases),
    ]
    chosen = list(dict.fromkeys(chosen))
    manifest = _stage(run, artifact)
    payload = _payload(artifact, chosen, manifest)
    run._record("artifact", payload)
    info = {**payload, "entity": run.entity, "project": run.project, "version": None}
    cache.remember(
        run.entity, run.project, artifact.collection_name, chosen, {**info, "manifest": manifest}
    )
    _attach(run, artifact, info)
    return artifact


def _as_artifact(run: Run, item: Any, name: str | None, kind: str) -> Artifact:
    if isinstance(item, Artifact):
        return item
    if not isinstance(item, str | os.PathLike):
        raise UsageError(f"log_artifact() takes an Artifact or a path, not {type(item).__name__}.")
    path = Path(item)
    artifact = Artifact(name or default_name(run, path), kind)
    if path.is_dir():
        artifact.add_dir(path)
    else:
        artifact.add_file(path)
    return artifact


def default_name(run: Run, path: Path) -> str:
    """wandb's ``run-<id>-<file name>``, with characters names cannot hold made ``_``."""
    return re.sub(r"[^A-Za-z0-9_.-]", "_", f"run-{run.id}-{path.name}").replace("..", "_")[:128]


def _stage(run: Run, artifact: Artifact) -> dict[str, Any]:
    folder = folder_of(run._folder)
    sources = {e.digest: str(e.local_path) for e in artifact.manifest.stored()}
    for digest, local_path in sources.items():
        _place(folder / "blobs", digest, local_path)
    manifest = artifact.manifest.to_json()
    target = folder / "manifests" / f"{manifest['digest']}.json"
    if not target.exists():
        target.parent.mkdir(parents=True, exist_ok=True)
        temp = target.with_suffix(".part")
        temp.write_text(json.dumps(manifest))
        os.replace(temp, target)
    return manifest


def _place(blobs: Path, digest: str, local_path: str) -> None:
    """One file into the run's blobs, and into the cache unless it came from there."""
    blob = storage.place(blobs, digest, Path(local_path))
    cached = storage.blob_path(cache.blobs(), digest)
    if str(cached) != local_path:
        storage.link_or_copy(blob, cached)


def _payload(artifact: Artifact, aliases: list[str], manifest: dict[str, Any]) -> dict[str, Any]:
    return {
        "name": artifact.collection_name,
        "type": artifact.type,
        "description": artifact.description,
        "metadata": artifact.metadata,
        "aliases": aliases,
        "digest": manifest["digest"],
        "size": artifact.size,
        "files": len(manifest["entries"]),
        "manifest": f"{FOLDER}/manifests/{manifest['digest']}.json",
    }


def _attach(run: Run, artifact: Artifact, info: dict[str, Any]) -> None:
    transport = _transport(run)
    source = Source(run.entity, run.project, artifact.collection_name, None, transport, info)
    artifact._source = source
    artifact.aliases = [a for a in info["aliases"]]
    for entry in artifact.manifest.entries.values():
        entry._fetch = lambda e, root, s=source: s.fetch(
            e, Path(root) if root else s.default_root()
        )
    if transport is not None:
        artifact._pending = lambda timeout: _wait(run, artifact, source, timeout)
        assert run._upload is not None
        run._upload.worker.poke()  # upload now rather than at the next tick


def _wait(run: Run, artifact: Artifact, source: Source, timeout: float | None) -> None:
    answer_file = folder_of(run._folder) / "logged" / f"{artifact.digest}.json"
    deadline = time.monotonic() + (timeout if timeout is not None else WAIT_SECONDS)
    while not answer_file.exists():
        if time.monotonic() > deadline:
            raise CommError(
                f"Artifact {artifact.collection_name!r} was not uploaded within the time given; "
                "it is safe in the run folder and uploads when the server answers."
            )
        time.sleep(0.02)
    answer = json.loads(answer_file.read_text())
    source.entity, source.version = answer["entity"], answer["version"]
    source.info.update(answer)
    artifact.aliases = [a for a in answer["aliases"]]
    artifact._pending = None


def _transport(run: Run) -> Transport | None:
    upload = run._upload
    return upload.uploader.transport if upload is not None else None


def use_artifact(run: Run, item: Any, type: str | None = None, aliases: Any = None) -> Artifact:
    if isinstance(item, Artifact):
        artifact = item.wait()
        if artifact.is_draft():
            raise UsageError("use_artifact() takes a logged artifact or a path like 'name:latest'.")
    else:
        artifact = resolve(names.parse(item), run.entity, run.project, _transport(run))
    if type is not None and artifact.type != type:
        raise UsageError(f"Artifact {artifact.name!r} is of type {artifact.type!r}, not {type!r}.")
    source = artifact._source
    assert source is not None
    run._record("used", _use_payload(source, artifact))
    return artifact


def _use_payload(source: Source, artifact: Artifact) -> dict[str, Any]:
    return {
        "entity": source.entity,
        "project": source.project,
        "name": source.name,
        "version": source.version,
        "digest": artifact.digest,
    }


def resolve(
    path: names.ArtifactPath, entity: str | None, project: str, transport: Transport | None
) -> Artifact:
    """An artifact as the server (online) or the local cache (offline, server down) knows it."""
    entity, project = path.entity or entity, path.project or project
    missing: UsageError | None = None
    if transport is not None:
        try:
            return fetch(transport, entity, project, path.name, path.alias)
        except UsageError as exc:  # not on the server (yet: logged here, upload pending?)
            missing = exc
        except CommError as exc:
            if isinstance(exc, ServerError):
                raise
    found = cache.recall(entity, project, path.name, path.alias)
    if found is None and missing is not None:
        raise missing
    if found is None:
        raise UsageError(
            f"Artifact {path.name}:{path.alias} of project {project!r} is not in the local cache "
            f"({cache.root()}); using it needs the server: run online (or use an artifact this "
            "machine logged or used before)."
        )
    return artifact_of(found, found["manifest"], transport)


def fetch(
    transport: Transport, entity: str | None, project: str, name: str, alias: str
) -> Artifact:
    """Ask the server for ``entity/project/name:alias`` (entity None: the key's owner)."""
    if entity is None:
        entity = str(transport.call("GET", "/viewer")["entity"])
    base = f"/artifacts/{entity}/{project}/{name}/{alias}"
    try:
        info = transport.call("GET", base)
        manifest = transport.call("GET", f"{base}/manifest")
    except ServerError as exc:
        if exc.status == 404:
            raise UsageError(
                f"Artifact {entity}/{project}/{name}:{alias} not found: {exc.server_message}"
            ) from None
        raise
    artifact = artifact_of(info, manifest, transport)
    keys = [*info["aliases"], info["version"]]
    cache.remember(entity, project, name, keys, {**info, "manifest": manifest})
    return artifact


def log_model(run: Run, path: Any, name: str | None, aliases: Any) -> Artifact:
    artifact = _as_artifact(run, path, name, "model")
    return log_artifact(run, artifact, None, None, aliases)


def use_model(run: Run, name: str) -> str:
    artifact = use_artifact(run, name)
    if artifact.type != "model":
        raise UsageError(
            f"use_model() takes a model artifact; {artifact.name!r} is of type "
            f"{artifact.type!r}: use run.use_artifact() for it."
        )
    return artifact.download()
