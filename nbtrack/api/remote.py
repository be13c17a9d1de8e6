"""Reading runs from a server for ``nbtrack.Api()``: the same RunView objects as local reads.

Filters and orders are checked here first (a ValueError names what is wrong before anything is
sent), then evaluated by the server in SQL; a filter the server refuses is a ValueError too.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import quote

from nbtrack import credentials
from nbtrack.api import filters as run_filters
from nbtrack.api import runorder
from nbtrack.api.files import File
from nbtrack.api.paging import Runs
from nbtrack.api.project import Project
from nbtrack.api.run import RunView
from nbtrack.errors import ServerError, UsageError
from nbtrack.settings import resolve
from nbtrack.upload.transport import Transport


class RemoteReader:
    def __init__(
        self, base_url: str | None, api_key: str | None, timeout: float | None = None
    ) -> None:
        settings = resolve({"base_url": base_url} if base_url else None)
        key, owner = credentials.key_and_entity(settings.base_url, api_key or settings.api_key)
        self.transport = Transport(settings.base_url, key, timeout=timeout or 60)
        self.default_entity = settings.entity or owner
        self.default_project = settings.project

    def _entity(self) -> str:
        if self.default_entity is None:
            self.default_entity = str(self.transport.call("GET", "/viewer")["entity"])
        return self.default_entity

    def _split(self, path: str, parts_wanted: int) -> list[str]:
        parts = [p for p in path.strip("/").split("/") if p]
        if "runs" in parts and len(parts) == 4:
            parts.remove("runs")  # accept "entity/project/runs/id" as the web page shows it
        if len(parts) == parts_wanted - 1:
            parts.insert(0, self._entity())
        if len(parts) != parts_wanted:
            shape = "entity/project" if parts_wanted == 2 else "entity/project/id"
            raise UsageError(f"{path!r} is not a run path; use {shape!r}.")
        return parts

    def runs(self, path: str | None, filters: Any, order: Any, per_page: int) -> Runs:
        """The runs of ``"entity/project"`` (or ``"project"``; None: the project setting)."""
        run_filters.parse(filters)
        runorder.parse(order)
        entity, project = self._split(path or self.default_project, 2)
        params: dict[str, Any] = {"order": order or "+created_at"}
        if filters:
            params["filters"] = json.dumps(filters, allow_nan=False, default=_plain)

        def fetch(offset: int, limit: int) -> tuple[list[RunView], int]:
            page = self._call(
                f"/projects/{entity}/{project}/runs",
                params | {"limit": limit, "offset": offset},
            )
            return [self._view(run) for run in page["runs"]], int(page["total"])

        return Runs(fetch, per_page)

    def _call(self, path: str, params: dict[str, Any]) -> Any:
        try:
            return self.transport.call("GET", path, params=params)
        except ServerError as exc:
            if exc.status == 400:
                raise ValueError(exc.server_message) from None
            raise

    def run(self, path: str) -> RunView:
        entity, project, run_id = self._split(path, 3)
        return self._view(self.transport.call("GET", f"/runs/{entity}/{project}/{run_id}"))

    def projects(self, entity: str | None) -> list[Project]:
        entity = entity or self._entity()
        found = self.transport.call("GET", f"/entities/{entity}/projects")
        return [self._project(p) for p in found]

    def project(self, name: str, entity: str | None) -> Project:
        entity, name = self._split(name if entity is None else f"{entity}/{name}", 2)
        return self._project(self.transport.call("GET", f"/projects/{entity}/{name}"))

    def _project(self, body: dict[str, Any]) -> Project:
        url = f"{self.transport.base_url}/{body['entity']}/{body['name']}"
        return Project(
            body["entity"],
            body["name"],
            body.get("visibility"),
            body.get("created_at"),
            body.get("run_count"),
            url,
        )

    def _view(self, run: dict[str, Any]) -> RunView:
        metadata = dict(run.get("metadata") or {})
        if run.get("git") is not None:
            metadata["git"] = run["git"]
        return RunView(
            id=run["id"],
            name=run.get("name") or run["id"],
            project=run["project"],
            entity=run["entity"],
            state=run.get("state") or "running",
            config=run.get("config") or {},
            summary=run.get("summary") or {},
            metadata=metadata,
            tags=list(run.get("tags") or []),
            notes=run.get("notes"),
            group=run.get("group"),
            job_type=run.get("job_type"),
            created_at=run.get("created_at"),
            url=run.get("url"),
            dir=None,
            _store=RemoteStore(
                self.transport, f"/runs/{run['entity']}/{run['project']}/{run['id']}"
            ),
        )


class RemoteStore:
    """A run on the server, at ``/runs/{entity}/{project}/{id}``."""

    def __init__(self, transport: Transport, path: str) -> None:
        self.transport, self.path = transport, path

    def rows(
        self, view: RunView, min_step: int | None, max_step: int | None, page_size: int
    ) -> Iterator[dict[str, Any]]:
        """Rows page by page, so a run of a million steps streams in bounded memory."""
        limit = min(page_size, 100_000)
        return history_rows(self.transport, self.path, min_step, max_step, limit)

    def sample(self, view: RunView, samples: int, keys: list[str] | None) -> list[dict[str, Any]]:
        params: dict[str, Any] = {"samples": samples}
        if keys:
            params["keys"] = ",".join(keys)
        rows: list[dict[str, Any]] = self.transport.call(
            "GET", f"{self.path}/history/sampled", params=params
        )["rows"]
        return rows

    def system(self, view: RunView, samples: int) -> list[dict[str, Any]]:
        answer = self.transport.call("GET", f"{self.path}/system", params={"samples": samples})
        rows: list[dict[str, Any]] = answer["rows"]
        return rows

    def update(self, view: RunView) -> None:
        body = {
            "name": view.name,
            "notes": view.notes,
            "tags": list(view.tags),
            "group": view.group,
            "job_type": view.job_type,
            "config": view.config,
            "summary": view.summary,
        }
        fresh = self.transport.call("PATCH", self.path, body)
        view.config, view.summary = fresh["config"], fresh["summary"]

    def delete(self, view: RunView) -> None:
        self.transport.call("DELETE", self.path)

    def files(self, view: RunView) -> list[File]:
        found = self.transport.call("GET", f"{self.path}/files")
        return [
            File(f["name"], f["size"], f.get("updated_at"), self._fetcher(f["name"])) for f in found
        ]

    def _fetcher(self, name: str) -> Any:
        def fetch(target: Path) -> None:
            path = f"{self.path}/files/{quote(name)}"
            target.write_bytes(self.transport.call("GET", path, raw=True))

        return fetch


def _plain(value: Any) -> Any:
    raise ValueError(f"filters hold a value JSON cannot carry: {value!r}.")


def history_rows(
    transport: Transport, path: str, min_step: int | None, max_step: int | None, limit: int
) -> Iterator[dict[str, Any]]:
    """The history rows of the run at ``path``, ``limit`` a page, following ``next_min_step``."""
    cursor = min_step
    while True:
        params: dict[str, Any] = {"limit": limit}
        if cursor is not None:
            params["min_step"] = cursor
        if max_step is not None:
            params["max_step"] = max_step
        page = transport.call("GET", f"{path}/history", params=params)
        yield from page["rows"]
        cursor = page.get("next_min_step")
        if cursor is None:
            return
