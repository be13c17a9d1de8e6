"""``nbtrack import wandb --from-server ENTITY/PROJECT``: the runs of a project on a wandb server,
read through wandb's public API (``wandb.Api()``; the server and key come from
``WANDB_BASE_URL`` / ``WANDB_API_KEY`` or ``wandb login``), each an ordinary local run.

What maps where, as for a run folder (:mod:`nbtrack.importers.wandb`): id, name, project, entity,
tags, notes, group, job type, start time, state, commit; config (without ``_wandb``); every history
row (``scan_history``, page by page) with nested values as dotted keys, images and histograms as
nbtrack media (other media reported); system metrics (as the server samples them); summary values
beside the history's last values; the run's files. A run still running imports as ``crashed``.
The fingerprint names the server, the run and its last heartbeat: importing again creates nothing
new until the run changes there.
"""

from __future__ import annotations

import datetime
import os
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from nbtrack.errors import UsageError
from nbtrack.importers import fingerprint
from nbtrack.importers.driver import Options, SourceRun, run_all
from nbtrack.importers.report import ImportReport
from nbtrack.importers.wandb.media import MediaMapper
from nbtrack.importers.wandb.run import flat
from nbtrack.importers.writer import RunWriter

STATES = {"finished": "finished", "failed": "failed", "crashed": "crashed", "killed": "killed"}
SYSTEM_SAMPLES = 10_000
SKIPPED = ("_wandb", "_runtime", "_step", "_timestamp")


def public_api() -> Any:
    """``wandb.Api()``, or a clear error naming the extra (or the login) it needs."""
    try:
        import wandb
    except ImportError as exc:
        raise UsageError(
            "Importing from a wandb server needs the wandb package (its public API): "
            f"pip install 'nbtrack[import-wandb]' ({exc})"
        ) from None
    try:
        return wandb.Api(timeout=60)
    except wandb.errors.AuthenticationError as exc:
        raise UsageError(
            f"{exc}; set WANDB_API_KEY (and WANDB_BASE_URL for your own server) or run wandb login."
        ) from None


def project_path(path: str) -> tuple[str, str]:
    entity, _, project = path.partition("/")
    if not entity or not project or "/" in project:
        raise UsageError(
            f"--from-server takes ENTITY/PROJECT, got {path!r}: "
            "pass the wandb entity (user or team) and project, e.g. my-team/mnist."
        )
    return entity, project


def from_server(path: str, **options: Any) -> ImportReport:
    entity, project = project_path(path)
    api = public_api()
    base = os.environ.get("WANDB_BASE_URL") or str(api.settings["base_url"])
    runs = api.runs(f"{entity}/{project}", per_page=50)
    sources = (_source(base, entity, project, run) for run in runs)
    return run_all("wandb", sources, Options(**options))


def _source(base: str, entity: str, project: str, run: Any) -> SourceRun:
    info: dict[str, Any] = {"id": run.id, "name": run.name, "project": project, "entity": entity}
    info.update(tags=list(run.tags or []), notes=run.notes, group=run.group, job_type=run.job_type)
    created = _time(run.created_at)
    if created is not None:
        info["created_at"] = created
    info = {k: v for k, v in info.items() if v is not None}
    heartbeat = run._attrs.get("heartbeatAt")
    stamp = fingerprint.of_parts("wandb-server", base, entity, project, run.id, heartbeat)
    label = f"{entity}/{project}/{run.id}"
    return SourceRun(label, stamp, info, lambda writer: ServerRun(run, writer).read())


def _time(text: Any) -> float | None:
    """wandb's ``createdAt`` (ISO 8601, UTC with or without ``Z``) as a Unix time."""
    if not isinstance(text, str):
        return None
    moment = datetime.datetime.fromisoformat(text.replace("Z", "+00:00"))
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=datetime.timezone.utc)
    return moment.timestamp()


class ServerRun:
    """Reads one run from the server into a :class:`RunWriter`."""

    def __init__(self, run: Any, writer: RunWriter) -> None:
        self.run, self.writer = run, writer
        self.start = float(writer.info["created_at"])

    def read(self) -> str:
        with tempfile.TemporaryDirectory(prefix="nbtrack-wandb-") as folder:
            files = Path(folder) / "files"
            self._download(files)
            media = MediaMapper(files, self.writer)
            self.writer.add_config({k: v for k, v in self.run.config.items() if k != "_wandb"})
            if self.run.commit:
                self.writer.add_meta(git={"repository": True, "commit": self.run.commit})
            for row in self._rows(media):
                self.writer.add_row(row)
            self._system()
            self._summary(media)
            media.copy_files()
        state = STATES.get(self.run.state, "crashed")
        if self.run.state not in STATES:
            self.writer.problems.append(f"the run is {self.run.state} on the server")
        return state

    def _download(self, files: Path) -> None:
        for file in self.run.files():
            try:
                file.download(root=str(files), replace=True).close()  # it hands back the file open
            except Exception as exc:  # one file lost is reported, the run still imports
                self.writer.problems.append(f"file {file.name}: {exc}")

    def _rows(self, media: MediaMapper) -> Iterator[dict[str, Any]]:
        for raw in self.run.scan_history(page_size=1000):
            row: dict[str, Any] = {}
            nested: dict[str, dict[str, Any]] = {}
            # A row read from Parquet has a null for each key the run did not log at that step.
            for key, value in raw.items():
                if isinstance(value, dict):
                    nested[key] = {k: v for k, v in flat(value).items() if v is not None}
                elif value is not None:
                    row[key] = value
            media.rewrite(row, nested)
            row.setdefault("_step", self.writer.next_step)
            row.setdefault("_timestamp", self.start + row.get("_runtime", 0.0))
            row.setdefault("_runtime", row["_timestamp"] - self.start)
            yield row

    def _system(self) -> None:
        for sample in self.run.history(stream="system", pandas=False, samples=SYSTEM_SAMPLES):
            if "_timestamp" in sample:
                sample.setdefault("_runtime", sample["_timestamp"] - self.start)
                self.writer.add_system(sample)

    def _summary(self, media: MediaMapper) -> None:
        explicit = {}
        for key, value in flat(_plain(self.run.summary)).items():
            if key.startswith(SKIPPED) or media.is_media(key, value):
                continue
            if isinstance(value, dict) and "_type" in value:
                continue  # media in the summary: the history holds it
            if self.writer.summary.get(key) != value:
                explicit[key] = value
        self.writer.add_summary(explicit)


def _plain(value: Any) -> Any:
    """A summary value as plain JSON: wandb hands nested ones back as its own mappings."""
    if hasattr(value, "items"):
        return {str(k): _plain(v) for k, v in value.items()}
    return value
