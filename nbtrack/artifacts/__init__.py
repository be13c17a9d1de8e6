"""Artifacts: versioned datasets and models (wandb's ``Artifact``, ``log_artifact``...).

One concept per module: ``names`` (names, aliases, paths), ``manifest`` (entries and the digest),
``artifact`` (the ``Artifact`` class), ``references`` (``file://``, ``s3://``, ``http(s)://``),
``mediaentries`` (``add(table, name)``), ``storage`` (content-addressed blob folders), ``cache``
(``~/.cache/nbtrack/artifacts``), ``source`` (fetching a logged artifact's files),
``runartifacts`` (what a run does), ``upload`` (sending an ``artifact`` record), ``reading``
(the Api's artifact calls).
"""

from __future__ import annotations

from nbtrack.artifacts.artifact import Artifact, ArtifactNotLoggedError
from nbtrack.artifacts.manifest import Manifest, ManifestEntry

__all__ = ["Artifact", "ArtifactNotLoggedError", "Manifest", "ManifestEntry"]
