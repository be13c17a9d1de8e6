"""Reading runs back: ``nbtrack.Api()`` from a server, ``nbtrack.Api.local()`` from run directories.

Both follow wandb's public API (``runs(path, filters, order, per_page)``, ``run(path)``,
``project()``, ``projects()``) and return the same :class:`RunView` objects, so code that reads a
run does not care where it was stored.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from nbtrack.api.files import File
from nbtrack.api.local import LocalApi
from nbtrack.api.paging import Runs
from nbtrack.api.project import Project
from nbtrack.api.run import RunView

__all__ = ["Api", "File", "LocalApi", "Project", "RunView", "Runs"]


class Api:
    """Read runs from a tracking server; ``Api.local()`` reads the run directories on disk.

    ``base_url`` and ``api_key`` default to the settings and the key stored by ``nbtrack login``;
    ``overrides`` takes wandb's ``{"base_url": ..., "entity": ...}``.
    """

    def __init__(
        self,
        base_url: str | None = None,
        api_key: str | None = None,
        overrides: dict[str, Any] | None = None,
        timeout: float | None = None,
    ) -> None:
        from nbtrack.api.remote import RemoteReader

        overrides = dict(overrides or {})
        self._reader = RemoteReader(base_url or overrides.get("base_url"), api_key, timeout)
        if overrides.get("entity"):
            self._reader.default_entity = str(overrides["entity"])
        if overrides.get("project"):
            self._reader.default_project = str(overrides["project"])

    @staticmethod
    def local(dir: str | Path | None = None) -> LocalApi:
        return LocalApi(dir)

    def runs(
        self,
        path: str | None = None,
        filters: dict[str, Any] | None = None,
        order: str = "+created_at",
        per_page: int = 50,
    ) -> Runs:
        """The runs of ``"entity/project"`` (``"project"``; None: the project setting or
        ``overrides["project"]``) that match wandb-style ``filters``
        (e.g. ``{"config.lr": {"$gt": 0.01}}``), in ``order`` (``"-created_at"``: newest first)."""
        return self._reader.runs(path, filters, order, per_page)

    def run(self, path: str) -> RunView:
        """``"entity/project/id"`` (or ``"project/id"`` for your own entity)."""
        return self._reader.run(path)

    def project(self, name: str, entity: str | None = None) -> Project:
        return self._reader.project(name, entity)

    def projects(self, entity: str | None = None) -> list[Project]:
        return self._reader.projects(entity)

    def artifact(self, name: str, type: str | None = None) -> Any:
        """``"entity/project/name:alias"`` (or ``"project/name:v3"``): a logged artifact."""
        from nbtrack.artifacts import reading

        return reading.artifact(self._reader, name, type)

    def artifacts(self, type_name: str | None, name: str, per_page: int = 50) -> list[Any]:
        """The versions of ``"[entity/]project/name"`` (of ``type_name``), newest first."""
        from nbtrack.artifacts import reading

        return reading.artifact_versions(self._reader, type_name, name)

    def artifact_versions(self, type_name: str | None, name: str, per_page: int = 50) -> list[Any]:
        """wandb's older name of :meth:`artifacts`."""
        return self.artifacts(type_name, name, per_page)
