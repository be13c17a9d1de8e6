"""The artifact cache on this machine: ``~/.cache/nbtrack/artifacts`` (or under NBTRACK_CACHE_DIR).

``blobs/`` holds file contents by SHA-256 (shared by every artifact and run); ``index/`` holds
what a path resolved to, ``index/<entity>/<project>/<name>/<alias>.json`` (entity ``_`` when
unknown): the version's description and manifest. Artifacts logged here and artifacts fetched
from a server are both recorded, so ``use_artifact`` works offline for what this machine has seen.
"""

from __future__ import annotations

import json
import os
import tempfile
from pathlib import Path
from typing import Any

ENV_CACHE = "NBTRACK_CACHE_DIR"
NO_ENTITY = "_"


def root() -> Path:
    base = os.environ.get(ENV_CACHE)
    folder = Path(base).expanduser() if base else Path.home() / ".cache" / "nbtrack"
    return folder / "artifacts"


def blobs() -> Path:
    return root() / "blobs"


def _index_file(entity: str | None, project: str, name: str, alias: str) -> Path:
    return root() / "index" / (entity or NO_ENTITY) / project / name / f"{alias}.json"


def remember(entity: str | None, project: str, name: str, aliases: list[str], info: Any) -> None:
    """Record what ``name:alias`` resolves to, for each alias (and without the entity too)."""
    data = json.dumps(info).encode()
    for who in {entity, None}:
        for alias in aliases:
            _write(_index_file(who, project, name, alias), data)


def recall(entity: str | None, project: str, name: str, alias: str) -> Any:
    """What ``name:alias`` last resolved to here, or None."""
    for who in (entity, None) if entity else (None,):
        try:
            return json.loads(_index_file(who, project, name, alias).read_bytes())
        except (FileNotFoundError, ValueError):
            continue
    return None


def _write(path: Path, data: bytes) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, temp = tempfile.mkstemp(dir=path.parent, prefix=".", suffix=".part")
    with os.fdopen(fd, "wb") as out:
        out.write(data)
    os.replace(temp, path)
