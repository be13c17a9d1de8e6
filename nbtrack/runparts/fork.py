"""``init(fork_from="<run_id>?_step=N")`` and ``init(resume_from="<run_id>?_step=N")``.

Fork (wandb's semantics): a *new* run, in the same project, whose history begins with the source
run's rows up to and including step N; it takes the source's config (``config=`` merges over it)
and the summary as it stood at step N, and its next ``log()`` writes step N+1. The copied rows are
ordinary history records of the new run, so every reader and the uploader need nothing new; the
run's metadata says ``fork_from: {"run_id", "step"}``.

Resume from (wandb's "rewind"): the *same* run goes back to step N and continues at N+1. The run
log is cut before the first row above N, after a copy of the whole log is kept next to it as
``run.nbtrack.rewound-<time>-<random>``; the run's final config and fields are appended again
(config is preserved, as in wandb), and the summary is what the kept rows and explicit summary
values say.
If the server already holds records past the cut, the uploader first asks it to drop them
(``POST .../rewind``), then sends the log on from the cut.

Where the source lives: a run directory under the run root, else (online) the server, read
through the API: run fields, config and the rows up to N, copied into the local log.
"""

from __future__ import annotations

import dataclasses
import os
import re
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from nbtrack import rundir, runlog
from nbtrack.errors import ResumeError, UsageError
from nbtrack.settings import Settings

SPEC = re.compile(r"^(?P<run_id>[^?/\s]+)\?_step=(?P<step>\d+)$")
PAGE_ROWS = 10_000


@dataclasses.dataclass(frozen=True)
class Branch:
    kind: str  # "fork" or "rewind"
    run_id: str
    step: int


def parse(resume_from: Any, fork_from: Any, resume: Any) -> Branch | None:
    """The branch asked for by ``init()``'s arguments, checked."""
    if resume_from is not None and fork_from is not None:
        raise UsageError("Pass either resume_from= or fork_from=, not both.")
    if resume not in (None, False) and (resume_from is not None or fork_from is not None):
        raise UsageError("resume= cannot be combined with resume_from= or fork_from=; drop one.")
    if fork_from is not None:
        return Branch("fork", *_spec("fork_from", fork_from))
    if resume_from is not None:
        return Branch("rewind", *_spec("resume_from", resume_from))
    return None


def _spec(name: str, value: Any) -> tuple[str, int]:
    found = SPEC.match(value) if isinstance(value, str) else None
    if found is None:
        raise UsageError(
            f"{name}={value!r} is not a run moment; use '<run_id>?_step=<N>' with N a whole "
            f"number, e.g. {name}='qvlp96vk?_step=200'."
        )
    return found["run_id"], int(found["step"])


# -- reading the source -------------------------------------------------------------------------
@dataclasses.dataclass
class Seed:
    """What the new run (or the rewound one) starts from."""

    info: dict[str, Any]
    config: dict[str, Any]
    summary: dict[str, Any]  # at step N: history rows up to N and explicit values set before
    explicit: dict[str, Any]  # the explicit (non-history) summary values among those
    next_step: int
    runtime: float
    rows: int


def local_seed(path: Path, step: int) -> tuple[Seed, int, int]:
    """The seed from a local log, and where its first row above ``step`` starts (byte, offset)."""
    seed = Seed({}, {}, {}, {}, 0, 0.0, 0)
    cut: tuple[int, int] | None = None
    last = -1
    for offset, byte, kind, payload in _records(path / runlog.LOG_NAME):
        if kind == "h":
            row_step = int(payload.get("_step", 0))
            last = max(last, row_step)
            if row_step > step:
                cut = cut or (byte, offset)
                continue
        if kind in ("run", "config"):
            (seed.info if kind == "run" else seed.config).update(payload)
        elif cut is None:
            _apply(seed, kind, payload)
    if step > last:
        raise UsageError(
            f"Run {path.name} has no step {step} (its last step is {last}); choose a step "
            "it logged."
        )
    size = (path / runlog.LOG_NAME).stat().st_size
    return seed, *(cut or (size, -1))


def _apply(seed: Seed, kind: str, payload: Any) -> None:
    if kind == "h":
        seed.summary.update(payload)
        seed.next_step = int(payload.get("_step", 0)) + 1
        seed.runtime = float(payload.get("_runtime", seed.runtime))
        seed.rows += 1
    elif kind == "summary":
        seed.summary.update(payload)
        seed.explicit.update(payload)


def _records(log: Path) -> Iterator[tuple[int, int, str, Any]]:
    """``(offset, byte position, kind, payload)`` of every complete record."""
    byte = 0
    with open(log, "rb") as stream:
        for offset, line in enumerate(stream):
            record = runlog.decode_line(line) if line.endswith(b"\n") else None
            if record is not None:
                if offset == 0:
                    runlog.check_header(log, record)
                yield offset, byte, record[0], record[1]
            byte += len(line)


def local_rows(path: Path, step: int) -> Iterator[bytes]:
    """The source's history lines up to ``step``, as written."""
    with open(path / runlog.LOG_NAME, "rb") as stream:
        for line in stream:
            if line.startswith(b'["h",') and line.endswith(b"\n"):
                record = runlog.decode_line(line)
                if record is not None and int(record[1].get("_step", 0)) <= step:
                    yield line


class RemoteSource:
    """The source run on the server (online runs whose source is not on this machine)."""

    def __init__(self, settings: Settings, run_id: str) -> None:
        from nbtrack import online
        from nbtrack.upload.transport import Transport

        key, entity = online.key_and_entity(settings)
        self.transport = Transport(settings.base_url, key, timeout=60)
        if entity is None:
            entity = str(self.transport.call("GET", "/viewer")["entity"])
        self.path = f"/runs/{entity}/{settings.project}/{run_id}"
        self.where = f"{entity}/{settings.project}/{run_id}"

    def seed(self, step: int) -> Seed:
        body = self.transport.call("GET", self.path)
        info = {k: body.get(k) for k in ("name", "tags", "notes", "group", "job_type")}
        seed = Seed(info, dict(body.get("config") or {}), {}, {}, 0, 0.0, 0)
        for row in self.rows(step):
            _apply(seed, "h", row)
        if seed.rows == 0 or seed.next_step <= step:
            last = seed.next_step - 1
            raise UsageError(
                f"Run {self.where} has no step {step} (its last step is {last}); choose a step "
                "it logged."
            )
        return seed

    def rows(self, step: int) -> Iterator[dict[str, Any]]:
        from nbtrack.api.remote import history_rows

        return history_rows(self.transport, self.path, None, step, PAGE_ROWS)


def source_of(settings: Settings, run_id: str, argument: str) -> Path | RemoteSource:
    path = rundir.find(settings.root, run_id)
    if path is not None:
        return path
    if settings.mode != "online":
        raise ResumeError(
            f"{argument}: there is no run {run_id!r} under {settings.root}; check the id and "
            "dir (online, a run only on the server is fetched from it)."
        )
    from nbtrack.errors import ServerError

    source = RemoteSource(settings, run_id)
    try:
        source.transport.call("GET", source.path)
    except ServerError as exc:
        raise ResumeError(
            f"{argument}: run {source.where} is neither under {settings.root} nor on the server "
            f"({exc.server_message}); check the id, project and entity."
        ) from None
    return source


# -- fork ----------------------------------------------------------------------------------------
class Fork:
    """A fork in the making: its seed, and the rows to copy once the new run is started."""

    def __init__(self, settings: Settings, branch: Branch) -> None:
        self.branch = branch
        self.source = source_of(settings, branch.run_id, f"fork_from={_text(branch)!r}")
        if isinstance(self.source, Path):
            self.seed = local_seed(self.source, branch.step)[0]
        else:
            self.seed = self.source.seed(branch.step)
        if settings.run_id == branch.run_id:
            raise UsageError(
                f"fork_from={_text(branch)!r} makes a new run: leave id unset or pick another id "
                "(resume_from= rewinds the same run)."
            )

    def run_arguments(self) -> dict[str, Any]:
        seed = self.seed
        return dict(
            summary=dict(seed.summary),
            next_step=seed.next_step,
            runtime=seed.runtime,
            history_count=seed.rows,
        )

    def copy_into(self, run: Any) -> None:
        """Write the copied rows into the started run's log (and the explicit summary)."""
        lines = (
            local_rows(self.source, self.branch.step)
            if isinstance(self.source, Path)
            else (runlog.encode("h", row) for row in self.source.rows(self.branch.step))
        )
        for line in lines:
            with run._lock:
                run._writer.append(line)
        if not isinstance(self.source, Path):
            self.source.transport.close()
        elif (self.source / "files" / "media").is_dir():
            from nbtrack.media.store import copies

            run._media_files().put(copies(self.source / "files"))
        if self.seed.explicit:
            run._record("summary", self.seed.explicit)
        run.record_metadata(fork_from={"run_id": self.branch.run_id, "step": self.branch.step})


def _text(branch: Branch) -> str:
    return f"{branch.run_id}?_step={branch.step}"


# -- rewind --------------------------------------------------------------------------------------
def rewind(settings: Settings, branch: Branch) -> Path:
    """Make the run's local log end at step N; answer its directory (fetched if only remote)."""
    argument = f"resume_from={_text(branch)!r}"
    source = source_of(settings, branch.run_id, argument)
    if isinstance(source, RemoteSource):
        return _fetch(settings, source, branch)
    log = source / runlog.LOG_NAME
    if runlog.is_locked(log):
        raise ResumeError(
            f"{argument}: run {branch.run_id} is still being written; finish it first."
        )
    seed, byte, offset = local_seed(source, branch.step)
    if offset >= 0:
        import shutil  # only when rewinding: not loaded by ``import nbtrack``

        stamp = f"{time.strftime('%Y%m%d_%H%M%S')}-{os.urandom(3).hex()}"
        shutil.copyfile(log, log.with_name(f"{runlog.LOG_NAME}.rewound-{stamp}"))
        os.truncate(log, byte)
        _after_cut(source, offset)
    _append(log, seed, branch)
    return source


def _append(log: Path, seed: Seed, branch: Branch) -> None:
    with open(log, "ab") as stream:
        stream.write(runlog.encode("run", seed.info))
        stream.write(runlog.encode("config", seed.config))
        rewound = {"step": branch.step, "at": time.time()}
        stream.write(runlog.encode("meta", {"rewound": rewound}))
        if seed.explicit:
            stream.write(runlog.encode("summary", seed.explicit))
        os.fsync(stream.fileno())


def _after_cut(path: Path, offset: int) -> None:
    """The server may hold records past the cut: send from the cut, after dropping them."""
    from nbtrack.upload.uploader import Progress

    progress = Progress.load(path)
    if progress.offset > offset:
        progress.byte = (path / runlog.LOG_NAME).stat().st_size
        progress.offset = offset
        progress.rewind = offset if progress.rewind is None else min(progress.rewind, offset)
        progress.finished = progress.crash_reported = False
        progress.save(path)


def _fetch(settings: Settings, source: RemoteSource, branch: Branch) -> Path:
    """A local run directory for a run only on the server, holding its rows up to N."""
    from nbtrack.upload.uploader import Progress

    seed = source.seed(branch.step)
    started = float(source.transport.call("GET", source.path).get("created_at") or time.time())
    path = rundir.create(settings.root, branch.run_id, False, started)
    log = path / runlog.LOG_NAME
    info = {"id": branch.run_id, "project": settings.project, "created_at": started, **seed.info}
    header = {"format": runlog.FORMAT_VERSION, "run_id": branch.run_id, "created_at": started}
    with open(log, "wb") as stream:
        stream.write(runlog.encode("nbtrack", header))
        stream.write(runlog.encode("run", info))
        for row in source.rows(branch.step):
            stream.write(runlog.encode("h", row))
    _append(log, seed, branch)
    source.transport.close()
    entity = source.where.split("/")[0]
    Progress(
        base_url=source.transport.base_url, entity=entity, project=settings.project, rewind=0
    ).save(path)
    return path
