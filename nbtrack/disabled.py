"""``mode="disabled"``: a run with the full API that writes nothing and sends nothing."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from nbtrack import names
from nbtrack._run import Run
from nbtrack.settings import Settings


class NullWriter:
    """Counts records instead of writing them."""

    def __init__(self) -> None:
        self.offset = 0

    def append(self, line: bytes) -> int:
        self.offset += 1
        return self.offset - 1

    def sync(self) -> None:
        pass

    def close(self) -> None:
        pass


class DisabledRun(Run):
    """Accepts every call (log, config, summary, finish) and keeps only what is in memory."""

    @classmethod
    def create(cls, settings: Settings, config: dict[str, Any]) -> DisabledRun:
        run_id = settings.run_id or names.generate_id()
        info: dict[str, Any] = {"id": run_id, "name": settings.name or f"disabled-{run_id}"}
        info.update(project=settings.project, entity=settings.entity, tags=list(settings.tags))
        run = cls(settings, Path(), info, {}, config=config, writer=NullWriter())  # type: ignore[arg-type]
        run.dir = ""
        return run

    def start(self, header: dict[str, Any]) -> None:
        pass

    def _write_json(self, name: str, data: Any) -> None:
        pass

    def save_file(self, name: str, content: bytes | str) -> Path:
        return Path()

    def save(self, glob_str: Any = None, base_path: Any = None, policy: str = "live") -> Any:
        return [] if glob_str is not None else None

    def log_code(
        self,
        root: Any = ".",
        name: str | None = None,
        include_fn: Any = None,
        exclude_fn: Any = None,
    ) -> Any:
        return None
