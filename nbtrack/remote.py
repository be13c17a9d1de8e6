"""Reading runs from a server for ``nbtrack.Api()``: the same RunView objects as local reads."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from nbtrack import credentials
from nbtrack.api import RunView
from nbtrack.errors import UsageError
from nbtrack.settings import resolve
from nbtrack.transport import Transport

PAGE_ROWS = 10_000
PAGE_RUNS = 100


class RemoteReader:
    def __init__(self, base_url: str | None, api_key: str | None) -> None:
        settings = resolve({"base_url": base_url} if base_url else None)
        key, owner = credentials.key_and_entity(settings.base_url, api_key or settings.api_key)
        self.transport = Transport(settings.base_url, key, timeout=60)
        self.default_entity = settings.entity or owner

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

    def runs(self, path: str, **filters: Any) -> list[RunView]:
        """Every run of ``"entity/project"`` (or ``"project"``), newest first."""
        entity, project = self._split(path, 2)
        views: list[RunView] = []
        offset = 0
        while True:
            params = {"limit": PAGE_RUNS, "offset": offset, "sort": "-created_at", **filters}
            page = self.transport.call("GET", f"/projects/{entity}/{project}/runs", params=params)
            views.extend(self._view(run) for run in page["runs"])
            offset += len(page["runs"])
            if not page["runs"] or offset >= int(page.get("total", 0)):
                return views

    def run(self, path: str) -> RunView:
        entity, project, run_id = self._split(path, 3)
        return self._view(self.transport.call("GET", f"/runs/{entity}/{project}/{run_id}"))

    def _view(self, run: dict[str, Any]) -> RunView:
        metadata = dict(run.get("metadata") or {})
        if run.get("git") is not None:
            metadata["git"] = run["git"]
        path = f"/runs/{run['entity']}/{run['project']}/{run['id']}/history"
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
            _rows=lambda keys, lo, hi: self._rows(path, keys, lo, hi),
        )

    def _rows(
        self, path: str, keys: list[str] | None, min_step: int | None, max_step: int | None
    ) -> Iterator[dict[str, Any]]:
        """Rows page by page, so a run of a million steps streams in bounded memory."""
        cursor = min_step
        while True:
            params: dict[str, Any] = {"limit": PAGE_ROWS}
            if cursor is not None:
                params["min_step"] = cursor
            if max_step is not None:
                params["max_step"] = max_step
            if keys:
                params["keys"] = ",".join(keys)
            page = self.transport.call("GET", path, params=params)
            yield from page["rows"]
            cursor = page.get("next_min_step")
            if cursor is None:
                return
