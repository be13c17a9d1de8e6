"""Where a run folder's ``.wandb`` log is, and the run it holds (read from its first records)."""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path
from typing import Any

from nbtrack.importers import fingerprint
from nbtrack.importers.driver import SourceRun
from nbtrack.importers.wandb.logfile import LogReader
from nbtrack.importers.wandb.run import WandbRun

PREFIXES = ("run-", "offline-run-")


def find_logs(paths: Iterable[str | Path], problems: list[str]) -> list[Path]:
    """The ``.wandb`` file of every run folder under ``paths``, each once."""
    found: dict[Path, None] = {}
    for raw in paths:
        path = Path(raw).expanduser()
        logs = _logs_in(path)
        if not logs:
            problems.append(f"{path}: no wandb run (run-*/offline-run-* folder or .wandb file)")
        for log in logs:
            found.setdefault(log.resolve(), None)
    return list(found)


def _logs_in(path: Path) -> list[Path]:
    if path.is_file():
        return [path] if path.suffix == ".wandb" else []
    if not path.is_dir():
        return []
    own = sorted(path.glob("*.wandb"))
    if own:
        return own[:1]
    runs = [p for p in sorted(path.iterdir()) if p.name.startswith(PREFIXES) and p.is_dir()]
    return [log for run in runs for log in sorted(run.glob("*.wandb"))[:1]]


def source(pb: Any, log: Path) -> SourceRun:
    info = _peek(pb, log)
    stamp = fingerprint.of_files("wandb", [log])
    label = str(log.parent)
    return SourceRun(label, stamp, info, lambda writer: WandbRun(pb, log, writer).read())


def _peek(pb: Any, log: Path) -> dict[str, Any]:
    """The run's fields from its first ``run`` record (the start of the file)."""
    for data in LogReader(log).records():
        record = pb.Record()
        record.ParseFromString(data)
        if record.WhichOneof("record_type") == "run":
            return run_info(record.run)
    return {"id": log.stem.removeprefix("run-")}


def run_info(run: Any) -> dict[str, Any]:
    info: dict[str, Any] = {"id": run.run_id, "project": run.project or None}
    info.update(name=run.display_name or None, entity=run.entity or None)
    info.update(tags=list(run.tags), notes=run.notes or None, group=run.run_group or None)
    info.update(job_type=run.job_type or None)
    if run.HasField("start_time"):
        info["created_at"] = run.start_time.seconds + run.start_time.nanos / 1e9
    return {k: v for k, v in info.items() if v is not None}
