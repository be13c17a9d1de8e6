"""A project as ``api.project()`` and ``api.projects()`` give it."""

from __future__ import annotations

import dataclasses


@dataclasses.dataclass(frozen=True)
class Project:
    entity: str | None
    name: str
    visibility: str | None = None
    created_at: float | None = None
    run_count: int | None = None
    url: str | None = None

    @property
    def path(self) -> list[str]:
        """``[entity, name]``, as wandb's ``Project.path``."""
        return [self.entity or "", self.name]
