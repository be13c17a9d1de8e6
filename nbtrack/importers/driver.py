"""The import loop shared by every source: skip what was imported before, list it (``dry_run``),
write each run with a :class:`~nbtrack.importers.writer.RunWriter`, keep going past a broken
source, and upload the new runs when asked (``online``)."""

from __future__ import annotations

import dataclasses
import time
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Any

from nbtrack import names, rundir
from nbtrack.importers import fingerprint
from nbtrack.importers.progress import Progress
from nbtrack.importers.report import ImportReport, RunImport
from nbtrack.importers.writer import RunWriter


@dataclasses.dataclass
class Options:
    """What every importer takes besides its source."""

    dir: str | Path | None = None  # holds ./nbtrack (the NBTRACK_DIR setting by default)
    project: str | None = None  # import into this project instead of the source's
    new_ids: bool = False  # fresh run ids even when the source's ids are free
    dry_run: bool = False
    online: bool = False  # upload the new runs at once (as ``nbtrack sync`` would)
    progress: bool = True

    @property
    def root(self) -> Path:
        from nbtrack.settings import resolve

        base = resolve({"dir": str(self.dir)} if self.dir is not None else {}).root
        return Path(base)


@dataclasses.dataclass
class SourceRun:
    """One run to import: ``write(writer)`` fills it and answers its final state."""

    label: str
    fingerprint: str
    info: dict[str, Any]  # id, name, project, entity, tags, notes, group, job_type, created_at
    write: Callable[[RunWriter], str]


def run_all(kind: str, sources: Iterable[SourceRun], options: Options) -> ImportReport:
    report = ImportReport(kind)
    root = options.root
    done = fingerprint.imported(root)
    progress = Progress(options.progress and not options.dry_run)
    for source in sources:
        if source.fingerprint in done:
            report.runs.append(RunImport(source.label, "skipped", done[source.fingerprint]))
        elif options.dry_run:
            info = source.info
            name = info.get("name")  # None: one is made when it is imported
            report.runs.append(RunImport(source.label, "planned", info.get("id"), name))
        else:
            report.runs.append(_one(kind, source, root, options, progress))
            done[source.fingerprint] = str(report.runs[-1].run_id)
    if options.online and not options.dry_run:
        _upload(report, options)
    return report


def _one(kind: str, source: SourceRun, root: Path, options: Options, progress: Progress) -> Any:
    info = {**source.info, "id": _free_id(root, source.info.get("id"), options.new_ids)}
    if options.project:
        info["project"] = options.project
    info.setdefault("project", "uncategorized")
    info.setdefault("name", names.generate_name(info["project"]))
    mark = {"source": kind, "from": source.label, "fingerprint": source.fingerprint}
    writer = RunWriter(root, info, {**mark, "at": time.time()})
    writer.on_rows = progress.rows
    progress.start(f"{kind} {info['name']}")
    _write(source, writer)
    progress.stop(writer.rows)
    status = "partial" if writer.problems else "imported"
    found = RunImport(source.label, status, info["id"], info["name"], str(writer.path), writer.rows)
    found.problems = writer.problems
    return found


def _write(source: SourceRun, writer: RunWriter) -> None:
    try:
        state = source.write(writer)
    except Exception as exc:  # a broken source: keep what was read, say what was not
        writer.problems.append(f"stopped reading: {type(exc).__name__}: {exc}")
        state = "crashed"
    writer.close(state)


def _free_id(root: Path, wanted: Any, new_ids: bool) -> str:
    """The source's id when it is a valid, unused run id here; a new one otherwise."""
    from nbtrack.settings import RUN_ID_PATTERN

    ok = isinstance(wanted, str) and RUN_ID_PATTERN.match(wanted) is not None
    if ok and not new_ids and rundir.find(root, wanted) is None:
        return str(wanted)
    return names.generate_id()


def _upload(report: ImportReport, options: Options) -> None:
    from nbtrack.syncing import sync

    paths = [run.path for run in report.runs if run.path]
    if paths:
        result = sync(paths)
        for path, error in result.failures:
            report.problems.append(f"upload of {path} failed: {error}")
