"""``run.update()`` for a local run: the changes appended to its log and its JSON files rewritten.

The log only merges config and summary, so a key removed here could come back on replay or be
kept by a server the run syncs to: removing keys is refused with a message instead.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from nbtrack import rundir, runlog, runstate
from nbtrack.api.run import RunView
from nbtrack.errors import RunLogError, UsageError


def update(path: Path, view: RunView) -> None:
    before = runstate.quick(path)
    _refuse_removed("config", before.config, view.config)
    _refuse_removed("summary", before.summary, view.summary)
    fields = {
        "name": view.name,
        "notes": view.notes,
        "tags": list(view.tags),
        "group": view.group,
        "job_type": view.job_type,
    }
    records = [("run", fields), ("config", view.config), ("summary", view.summary)]
    if before.exit is not None:  # the run stays ended for readers and uploads alike
        records.append(("exit", before.exit))
    _append(path, records)
    info = rundir.read_json(path / "run.json")
    if isinstance(info, dict):
        rundir.write_json(path / "run.json", info | fields)
    rundir.write_json(path / "config.json", view.config)
    rundir.write_json(path / "summary.json", view.summary)


def _refuse_removed(what: str, before: dict[str, Any], after: dict[str, Any]) -> None:
    gone = sorted(set(before) - set(after))
    if gone:
        raise UsageError(
            f"run.update() cannot remove {what} keys of a local run ({', '.join(gone)}): "
            "set them to None instead."
        )


def _append(path: Path, records: list[tuple[str, Any]]) -> None:
    lines = [runlog.encode(kind, payload) for kind, payload in records]
    try:
        writer = runlog.Writer(path / runlog.LOG_NAME)
    except RunLogError:
        raise UsageError(
            f"Run {path.name} is still being written by its process; change it there "
            "(run.name, run.config, run.summary) or after it finished."
        ) from None
    try:
        for line in lines:
            writer.append(line)
    finally:
        writer.close()
