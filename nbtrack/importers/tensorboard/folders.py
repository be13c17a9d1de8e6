"""The run folders under a LOGDIR (those holding event files), each a source run."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from nbtrack.importers import fingerprint
from nbtrack.importers.driver import SourceRun
from nbtrack.importers.tensorboard import tfrecord
from nbtrack.importers.tensorboard.run import EventsRun


def run_folders(logdir: Path) -> list[Path]:
    """Every folder under ``logdir`` (itself included) that holds event files."""
    found = {path.parent for path in logdir.rglob("*tfevents*") if path.is_file()}
    return sorted(found)


def event_files(folder: Path) -> list[Path]:
    return sorted(p for p in folder.iterdir() if "tfevents" in p.name and p.is_file())


def source(event_pb2: Any, logdir: Path, folder: Path, project: str) -> SourceRun:
    files = event_files(folder)
    name = folder.relative_to(logdir).as_posix()
    name = logdir.resolve().name if name == "." else name
    stamp = fingerprint.of_files("tensorboard", files)
    info: dict[str, Any] = {"name": name, "project": project}
    created = _first_wall_time(event_pb2, files)
    if created is not None:
        info["created_at"] = created
    label = str(folder)
    return SourceRun(label, stamp, info, lambda w: EventsRun(event_pb2, files, w).read())


def _first_wall_time(event_pb2: Any, files: list[Path]) -> float | None:
    for path in files:
        for data in tfrecord.records(path, []):
            event = event_pb2.Event()
            event.ParseFromString(data)
            return float(event.wall_time)
    return None
