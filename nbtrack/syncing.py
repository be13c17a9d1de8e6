"""``nbtrack sync``: upload local runs (offline ones, and online ones an outage left behind).

Idempotent and resumable: each run's progress is stored only after the server acknowledged it,
and the server ignores records it already has, so syncing twice, or after an interruption, leaves
every step on the server exactly once.
"""

from __future__ import annotations

import argparse
import dataclasses
import sys
import time
from collections.abc import Callable, Iterable
from pathlib import Path

from nbtrack import console, credentials, rundir, runstate
from nbtrack.errors import CommError, ServerError, UsageError
from nbtrack.settings import resolve
from nbtrack.upload.backoff import Backoff
from nbtrack.upload.transport import Transport
from nbtrack.upload.uploader import Progress, Skipped, Uploader, UploadLock

SyncProgress = Callable[[str, int, int], None]
RETRIES = 6


@dataclasses.dataclass
class RunSync:
    """What happened to one run directory."""

    path: str
    run_id: str
    sent: int = 0
    total: int = 0
    ok: bool = False
    skipped: bool = False
    error: str | None = None
    url: str | None = None
    complete: bool = False
    left_out: list[Skipped] = dataclasses.field(default_factory=list)  # bad lines, files


@dataclasses.dataclass
class SyncReport:
    results: list[RunSync] = dataclasses.field(default_factory=list)
    deleted: list[str] = dataclasses.field(default_factory=list)  # by clean=True
    synced_before: int = 0  # runs left alone: the server held them already

    @property
    def synced(self) -> int:
        """Runs the server now holds completely."""
        return sum(1 for r in self.results if r.ok and r.complete)

    @property
    def records_sent(self) -> int:
        return sum(r.sent for r in self.results)

    @property
    def failures(self) -> list[tuple[str, str]]:
        return [(r.path, r.error or "failed") for r in self.results if not r.ok and not r.skipped]

    @property
    def ok(self) -> bool:
        return not self.failures


def sync(
    paths: Iterable[str | Path] | None = None,
    *,
    project: str | None = None,
    entity: str | None = None,
    include_synced: bool = False,
    dry_run: bool = False,
    clean: bool = False,
    progress: SyncProgress | None = None,
    base_url: str | None = None,
    api_key: str | None = None,
) -> SyncReport:
    """Upload every run under ``paths`` (default: ``./nbtrack``) that the server lacks."""
    overrides = {"base_url": base_url, "api_key": api_key, "project": project, "entity": entity}
    settings = resolve({k: v for k, v in overrides.items() if v is not None})
    key, owner = credentials.key_and_entity(settings.base_url, settings.api_key)
    default_entity = entity or owner
    transport = Transport(settings.base_url, key, timeout=60)
    report = SyncReport()
    try:
        for path in find_runs(paths, settings.root):
            target = _Target(transport, entity or None, default_entity, project)
            result = target.sync_one(path, include_synced, dry_run, progress)
            if result is not None:
                report.results.append(result)
            else:
                report.synced_before += 1
            if clean and not dry_run and held_by(path, transport.base_url):
                _delete(path, report)
    finally:
        transport.close()
    return report


def held_by(path: Path, base_url: str) -> bool:
    """True when the server at ``base_url`` has every record of the run (synced now or before)."""
    synced_to = Progress.load(path).base_url
    return _fully_uploaded(path) and synced_to in credentials.twins(base_url)


def _delete(path: Path, report: SyncReport) -> None:
    try:
        rundir.remove(path)
    except OSError as exc:
        console.say(f"could not delete {path}: {exc}")
    else:
        report.deleted.append(str(path))


def find_runs(paths: Iterable[str | Path] | None, root: Path) -> list[Path]:
    """Run directories named, or found inside the folders named (default: the run root)."""
    found: list[Path] = []
    for item in [Path(p) for p in paths] if paths is not None else [root]:
        if paths is not None and not item.exists():
            raise UsageError(
                f"{item} does not exist: name a run directory or a folder holding runs "
                "(default: ./nbtrack)."
            )
        if rundir.is_run_dir(item):
            found.append(item)
        elif (item / "nbtrack").is_dir() and not rundir.list_all(item):
            found.extend(rundir.list_all(item / "nbtrack"))
        else:
            found.extend(rundir.list_all(item))
    return list(dict.fromkeys(p.resolve() for p in found))


def pending_runs(root: Path) -> list[Path]:
    """Local runs the server does not hold completely (what the Sync button sends)."""
    return [p for p in rundir.list_all(root) if not _fully_uploaded(p)]


def _fully_uploaded(path: Path) -> bool:
    progress = Progress.load(path)
    size = (path / "run.nbtrack").stat().st_size
    return progress.byte >= size and (progress.finished or progress.crash_reported)


@dataclasses.dataclass
class _Target:
    transport: Transport
    entity: str | None
    default_entity: str | None
    project: str | None

    def sync_one(
        self, path: Path, include_synced: bool, dry_run: bool, progress: SyncProgress | None
    ) -> RunSync | None:
        if _fully_uploaded(path) and not include_synced:
            return None  # decided before reading the run: a big crashed run is not replayed
        state = runstate.quick(path)
        run_id = str(state.info.get("id") or rundir.parse_name(path.name)[2])
        result = RunSync(str(path), run_id)
        try:
            lock = UploadLock(path)
        except BlockingIOError:
            result.skipped, result.error = True, "being uploaded by another process right now"
            return result
        try:
            uploader = self._uploader(path, state, include_synced)
            result.total = uploader.total_records()
            if dry_run:
                result.ok = True
                return result
            self._drive(uploader, state, result, progress)
        finally:
            lock.release()
        return result

    def _uploader(self, path: Path, state: runstate.RunState, fresh: bool) -> Uploader:
        project = self.project or str(state.info.get("project") or "uncategorized")
        entity = self.entity or state.info.get("entity") or self.default_entity
        uploader = Uploader(path, self.transport, entity, project)
        stored = uploader.progress
        same = (stored.base_url, stored.entity, stored.project) == (
            self.transport.base_url,
            uploader.entity or stored.entity,
            project,
        )
        if fresh or not same:
            uploader.progress = Progress()
        return uploader

    def _drive(
        self,
        uploader: Uploader,
        state: runstate.RunState,
        result: RunSync,
        progress: SyncProgress | None,
    ) -> None:
        start = uploader.progress.offset
        backoff = Backoff(base=0.5, cap=8.0)

        def report(sent: int, total: int) -> None:
            result.sent, result.total = sent - start, total
            if progress is not None:
                progress(result.path, sent, total)

        for attempt in range(RETRIES):
            wait: float | None = None  # what the server asked for (Retry-After)
            try:
                uploader.drain(None, report)
                if state.state == "crashed":
                    uploader.report_crash()
                break
            except ServerError as exc:
                result.error, wait = str(exc), exc.retry_after
                if not exc.retryable:
                    break
            except CommError as exc:
                result.error = str(exc)
            if attempt < RETRIES - 1:
                time.sleep(backoff.failed(wait))
        else:
            result.sent, result.left_out = uploader.progress.offset - start, uploader.skipped
            return
        result.sent, result.left_out = uploader.progress.offset - start, uploader.skipped
        result.url = uploader.url
        result.complete = uploader.done()
        result.ok = result.error is None or uploader.progress.byte >= uploader.log_size()
        if result.ok:
            result.error = None


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("paths", nargs="*", help="run directories or folders holding them")
    parser.add_argument("--project", help="upload into this project instead of the run's own")
    parser.add_argument("--entity", help="upload into this entity instead of the run's own")
    parser.add_argument("--include-synced", action="store_true", help="send synced runs again")
    parser.add_argument("--dry-run", action="store_true", help="list what would be sent")
    parser.add_argument("--clean", action="store_true", help="delete runs that are fully synced")
    parser.add_argument("--yes", action="store_true", help="do not ask before --clean deletes")


def run(args: argparse.Namespace) -> int:
    from nbtrack.progressbars import ProgressBars

    if args.clean and not args.dry_run and not args.yes and not _confirm():
        print("Nothing deleted; nothing synced.")
        return 1
    with ProgressBars() as bars:
        report = sync(
            args.paths or None,
            project=args.project,
            entity=args.entity,
            include_synced=args.include_synced,
            dry_run=args.dry_run,
            clean=args.clean,
            progress=bars,
        )
    return _print_report(report, args.dry_run)


def _confirm() -> bool:
    if not sys.stdin.isatty():
        print("--clean deletes local runs: add --yes to confirm.", file=sys.stderr)
        return False
    return input("Delete local runs once fully synced? [y/N] ").strip().lower() in ("y", "yes")


def count(number: int, noun: str) -> str:
    """``1 run``, ``2 runs``, ``0 records``."""
    return f"{number} {noun}{'' if number == 1 else 's'}"


def _print_left_out(result: RunSync, most: int = 10) -> None:
    """The records and files of a run that could not be sent, and where they are."""
    if result.left_out:
        print(f"  skipped {len(result.left_out)} it could not send (the rest was sent):")
        for item in result.left_out[:most]:
            print(f"    {item}")
        if len(result.left_out) > most:
            print(f"    ... and {len(result.left_out) - most} more")


def _print_report(report: SyncReport, dry_run: bool) -> int:
    for result in report.results:
        name = Path(result.path).name
        if dry_run:
            print(f"would sync {name}: {count(result.total, 'record')}")
        elif result.skipped:
            print(f"skipped {name}: {result.error}")
        elif result.ok:
            where = f" -> {result.url}" if result.url else ""
            more = "" if result.complete else " (still running: sync again later)"
            print(f"synced {name}: {count(result.sent, 'record')}{where}{more}")
            _print_left_out(result)
        else:
            print(f"FAILED {name}: {result.error}")
    for path in report.deleted:
        print(f"deleted {path}")
    if not report.results and report.synced_before:
        print(
            f"Nothing to sync: {count(report.synced_before, 'run')} synced already "
            "(--include-synced sends them again, e.g. to another --project or --entity)."
        )
    elif not report.results:
        print("Nothing to sync.")
    elif not dry_run:
        print(
            f"{count(report.synced, 'run')} synced, {count(report.records_sent, 'record')} sent, "
            f"{len(report.failures)} failed."
        )
    if report.deleted:
        print(f"{count(len(report.deleted), 'run')} deleted: the server holds them completely.")
    return 0 if report.ok else 1
