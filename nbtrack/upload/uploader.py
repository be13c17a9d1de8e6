"""Sending a run log to the server, exactly once, resumable from where it stopped.

The uploader reads complete lines of the run log from the last acknowledged byte, turns them into
API calls (run fields, config and summary merges, history batches keyed by the record's offset,
files, the final state) and, only after the server answered, stores its progress in
``upload.json`` next to the log. Whatever happens in between (a crash, an outage, a second
uploader), the server ignores records it already has, so nothing is lost and nothing doubles.

An online run drives it from a background thread; ``nbtrack sync`` drives it to the end.
A flock on ``.upload.lock`` keeps two uploaders off one run directory.
"""

from __future__ import annotations

import dataclasses
import fcntl
import os
import re
import time
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any

import orjson

from nbtrack import rundir, runlog
from nbtrack.errors import CommError, ServerError, UsageError
from nbtrack.upload import directupload, runfiles
from nbtrack.values import MAX_STEP

if TYPE_CHECKING:
    from nbtrack.upload.transport import Transport

PROGRESS_FILE = "upload.json"
LOCK_FILE = ".upload.lock"
CHUNK_BYTES = 8 << 20
BATCH_RECORDS = 10_000
RUN_FIELDS = ("name", "tags", "notes", "group", "job_type", "created_at")
HIDDEN_META = ("git",)
HISTORY_PREFIX = b'["h",{"_step":'
HISTORY_LINE = re.compile(
    rb'\["h",\{"_step":(\d{1,19}),[^\n]*\}\]\n'
)  # what _add_record sends as is

ProgressCallback = Callable[[int, int], None]


@dataclasses.dataclass
class Progress:
    """What the server has acknowledged, persisted in ``upload.json``."""

    byte: int = 0
    offset: int = 0
    base_url: str | None = None
    entity: str | None = None
    project: str | None = None
    crash_reported: bool = False
    finished: bool = False
    rewind: int | None = None  # resume_from cut the log here: the server drops what follows first

    @classmethod
    def load(cls, path: Path) -> Progress:
        data = rundir.read_json(path / PROGRESS_FILE)
        if not isinstance(data, dict):
            return cls()
        known = {f.name for f in dataclasses.fields(cls)}
        return cls(**{k: v for k, v in data.items() if k in known})

    def save(self, path: Path) -> None:
        rundir.write_json(path / PROGRESS_FILE, dataclasses.asdict(self))


@dataclasses.dataclass
class Chunk:
    """Records read from the log, grouped into what the API wants."""

    end_byte: int
    end_offset: int
    fields: dict[str, Any] = dataclasses.field(default_factory=dict)
    summary: dict[str, Any] = dataclasses.field(default_factory=dict)
    unset: list[str] = dataclasses.field(default_factory=list)
    history: list[bytes] = dataclasses.field(default_factory=list)
    files: list[str] = dataclasses.field(default_factory=list)
    alerts: list[dict[str, Any]] = dataclasses.field(default_factory=list)
    system: list[dict[str, Any]] = dataclasses.field(default_factory=list)
    artifacts: list[tuple[str, dict[str, Any]]] = dataclasses.field(default_factory=list)
    exit: dict[str, Any] | None = None
    skipped: list[Skipped] = dataclasses.field(default_factory=list)


@dataclasses.dataclass
class Skipped:
    """A record left out of the upload: where it is in the run log, and why."""

    offset: int | None  # the record's line in the run log (None: a file)
    byte: int | None
    reason: str

    def __str__(self) -> str:
        if self.offset is None:
            return self.reason
        where = f"record {self.offset}" + (f" at byte {self.byte}" if self.byte is not None else "")
        return f"{where}: {self.reason}"


class UploadLock:
    """An exclusive, non-blocking lock on one run directory's upload."""

    def __init__(self, path: Path) -> None:
        self.fd = os.open(path / LOCK_FILE, os.O_RDWR | os.O_CREAT, 0o644)
        try:
            fcntl.flock(self.fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            os.close(self.fd)
            raise
        self.held = True

    def release(self) -> None:
        if self.held:
            self.held = False
            os.close(self.fd)


class Uploader:
    """Moves one run directory's log to ``entity/project`` on the server of ``transport``."""

    def __init__(self, path: Path, transport: Transport, entity: str | None, project: str) -> None:
        self.path = path
        self.transport = transport
        self.entity = entity
        self.project = project
        self.progress = Progress.load(path)
        self.state = "pending"
        self.error: str | None = None
        self.url: str | None = None
        self.skipped: list[Skipped] = []  # records and files left out, for the report
        self._run_id = rundir.parse_name(path.name)[2]

    # -- what is left ------------------------------------------------------------------------------
    def log_size(self) -> int:
        try:
            return (self.path / runlog.LOG_NAME).stat().st_size
        except OSError:
            return 0

    def done(self) -> bool:
        """True when the server has every record (a live run is never done)."""
        return self.progress.byte >= self.log_size() and (
            self.progress.finished or self.progress.crash_reported
        )

    # -- sending -----------------------------------------------------------------------------------
    def step(self) -> int:
        """Send the next chunk of the log; returns how many records it covered (0: none left)."""
        self._ensure_entity()
        if self.progress.rewind is not None:
            body = {"offset": self.progress.rewind}
            self.transport.call("POST", f"{self._run_path()}/rewind", body)
            self.progress.rewind = None
            self._save_progress()
        chunk = self._read_chunk()
        if chunk is None:
            return 0
        self._send(chunk)
        self.skipped += chunk.skipped
        covered = chunk.end_offset - self.progress.offset
        self.progress.byte, self.progress.offset = chunk.end_byte, chunk.end_offset
        self.progress.finished = self.progress.finished or chunk.exit is not None
        self._save_progress()
        return covered

    def drain(self, deadline: float | None = None, report: ProgressCallback | None = None) -> bool:
        """Send until nothing is left (True) or the deadline passes (False)."""
        total = self.total_records() if report is not None else 0
        while deadline is None or time.monotonic() < deadline:
            if self.step() == 0:
                return True
            if report is not None:
                total = max(total, self.progress.offset)  # a live run may have grown meanwhile
                report(self.progress.offset, total)
        return self.progress.byte >= self.log_size()

    def report_crash(self) -> None:
        """Tell the server a run whose process died is ``crashed`` (once)."""
        if not self.progress.crash_reported:
            self._put({"state": "crashed"})
            self.progress.crash_reported = True
            self._save_progress()

    def heartbeat(self) -> None:
        self._ensure_entity()
        self.transport.call("POST", f"{self._run_path()}/heartbeat", {})

    def total_records(self) -> int:
        """Complete records in the log: those acknowledged plus the lines after them."""
        count = self.progress.offset
        with open(self.path / runlog.LOG_NAME, "rb") as stream:
            stream.seek(self.progress.byte)
            while block := stream.read(1 << 20):
                count += block.count(b"\n")
        return count

    # -- internals ---------------------------------------------------------------------------------
    def _ensure_entity(self) -> None:
        if self.entity is None:
            viewer = self.transport.call("GET", "/viewer")
            self.entity = str(viewer["entity"])

    def _run_path(self) -> str:
        return f"/runs/{self.entity}/{self.project}/{self._run_id}"

    def _put(self, fields: dict[str, Any]) -> None:
        answer = self.transport.call("PUT", self._run_path(), fields)
        if isinstance(answer, dict) and answer.get("url"):
            self.url = str(answer["url"])

    def _save_progress(self) -> None:
        self.progress.base_url = self.transport.base_url
        self.progress.entity, self.progress.project = self.entity, self.project
        self.progress.save(self.path)

    def _read_chunk(self) -> Chunk | None:
        with open(self.path / runlog.LOG_NAME, "rb") as stream:
            stream.seek(self.progress.byte)
            data = stream.read(CHUNK_BYTES)
        end = data.rfind(b"\n") + 1
        if end == 0:
            if len(data) == CHUNK_BYTES:
                raise CommError(f"A record in {self.path} is larger than {CHUNK_BYTES} bytes.")
            return None
        chunk = Chunk(self.progress.byte, self.progress.offset)
        position = 0
        more = True
        plain = data.isascii()  # else each line is checked to be UTF-8 before it is sent
        while more and position < end and chunk.end_offset - self.progress.offset < BATCH_RECORDS:
            if plain:
                room = BATCH_RECORDS - (chunk.end_offset - self.progress.offset)
                position = _take_history(chunk, data, position, room)
                if position >= end or chunk.end_offset - self.progress.offset >= BATCH_RECORDS:
                    break
            line_end = data.index(b"\n", position) + 1
            line = data[position:line_end]
            if plain or _is_utf8(line):
                more = _add_record(chunk, chunk.end_offset, line)
            else:
                chunk.skipped.append(Skipped(chunk.end_offset, chunk.end_byte, "not UTF-8 text"))
            chunk.end_offset += 1
            chunk.end_byte += line_end - position
            position = line_end
        return chunk

    def _send(self, chunk: Chunk) -> None:
        """In log order: run fields, history rows, then an explicit summary (which ends a chunk)."""
        if chunk.fields or self.url is None:
            self._put_checked(chunk.fields, chunk.skipped)
        if chunk.history:
            self._send_history(chunk.history, chunk.skipped)
        if chunk.summary:
            self._put_checked({"summary": chunk.summary}, chunk.skipped)
        if chunk.unset:
            self._put({"summary_unset": chunk.unset})
        for name in dict.fromkeys(chunk.files):
            self._send_file(name, chunk.skipped)
        if chunk.alerts:
            self.transport.call("POST", f"{self._run_path()}/alerts", {"alerts": chunk.alerts})
        if chunk.system:
            self._send_system(chunk.system, chunk.skipped)
        for kind, payload in chunk.artifacts:
            self._send_artifact(kind, payload, chunk.skipped)
        if chunk.exit is not None:
            exit_fields = {k: chunk.exit.get(k) for k in ("state", "exit_code", "runtime")}
            self._put_checked(exit_fields, chunk.skipped)

    def _put_checked(self, fields: dict[str, Any], skipped: list[Skipped]) -> None:
        """PUT run fields; if the server refuses them (400), send them one by one, skip the bad."""
        try:
            self._put(fields)
        except ServerError as exc:
            if not _refused(exc) or not fields:
                raise
            for part, name in (p for key, value in fields.items() for p in _parts(key, value)):
                try:
                    self._put(part)
                except ServerError as exc:
                    if not _refused(exc):
                        raise
                    skipped.append(Skipped(None, None, f"{name} not sent: {exc}"))

    def _send_history(self, records: list[bytes], skipped: list[Skipped]) -> None:
        """POST history rows; rows the server refuses (400) are found by halving, and skipped."""
        body = b'{"records":[' + b",".join(records) + b"]}"
        try:
            self.transport.call("POST", f"{self._run_path()}/history", body)
        except ServerError as exc:
            if not _refused(exc):
                raise
            if len(records) == 1:
                offset = int(records[0][10 : records[0].index(b",")])  # {"offset":N,...
                reason = f"the server refused it: {exc}"
                skipped.append(Skipped(offset, self._byte_of(offset), reason))
                return
            half = len(records) // 2
            self._send_history(records[:half], skipped)
            self._send_history(records[half:], skipped)

    def _send_system(self, samples: list[dict[str, Any]], skipped: list[Skipped]) -> None:
        """POST system-metrics samples (nbtrack.system); a batch the server refuses is skipped."""
        try:
            self.transport.call("POST", f"{self._run_path()}/system", {"samples": samples})
        except ServerError as exc:
            if not _refused(exc) and exc.status != 404:  # 404: a server without the stream
                raise
            first, last = samples[0]["offset"], samples[-1]["offset"]
            skipped.append(Skipped(None, None, f"system metrics {first}-{last} not sent: {exc}"))

    def _byte_of(self, offset: int) -> int:
        """Where the record at ``offset`` starts in the log (it is in the chunk being sent)."""
        with open(self.path / runlog.LOG_NAME, "rb") as stream:
            stream.seek(self.progress.byte)
            data = stream.read(CHUNK_BYTES)
        position = 0
        for _ in range(offset - self.progress.offset):
            position = data.index(b"\n", position) + 1
        return self.progress.byte + position

    def _send_file(self, name: str, skipped: list[Skipped]) -> None:
        try:
            content = runfiles.read(self.path, name)
        except FileNotFoundError:
            return  # removed since: nothing to send
        except (OSError, ValueError) as exc:
            skipped.append(Skipped(None, None, f"file {name!r} not sent: {exc}"))
            return
        if not directupload.send_file(self.transport, self._run_path(), name, content):
            path = f"{self._run_path()}/files/{name}"
            self.transport.call("PUT", path, data=content, timeout=60)

    def _send_artifact(self, kind: str, payload: dict[str, Any], skipped: list[Skipped]) -> None:
        """An ``artifact`` or ``use_artifact`` record (nbtrack.artifacts.upload)."""
        from nbtrack.artifacts import upload

        assert self.entity is not None
        try:
            if kind == "artifact":
                upload.send(
                    self.transport, self.entity, self.project, self._run_path(), self.path, payload
                )
            else:
                upload.send_use(
                    self.transport, self.entity, self.project, self._run_path(), payload
                )
        except ServerError as exc:
            if not _refused(exc) and exc.status != 404:
                raise
            skipped.append(Skipped(None, None, f"artifact {payload.get('name')!r} not sent: {exc}"))
        except (OSError, UsageError) as exc:
            skipped.append(Skipped(None, None, f"artifact {payload.get('name')!r} not sent: {exc}"))


def _refused(error: ServerError) -> bool:
    """The server refused what was sent as invalid (sending it again cannot help)."""
    return error.status == 400 and error.code == "invalid"


def _parts(key: str, value: Any) -> list[tuple[dict[str, Any], str]]:
    """A run field as PUT bodies of one key each (config, summary, metadata: one per entry)."""
    if key in ("config", "summary", "metadata") and isinstance(value, dict) and len(value) > 1:
        return [({key: {k: v}}, f"{key} key {k!r}") for k, v in value.items()]
    return [({key: value}, f"run field {key!r}")]


def _add_record(chunk: Chunk, offset: int, line: bytes) -> bool:
    """Add one log line to the chunk; False when the chunk must end after it."""
    if line.startswith(HISTORY_PREFIX) and line.endswith(b"}]\n"):
        step = _step_of(line)
        if step is not None:  # sent as written: the server keeps the summary from history
            chunk.history.append(b'{"offset":%d,"step":%d,"data":%s}' % (offset, step, line[5:-2]))
            return True
    record = runlog.decode_line(line)
    if record is None:
        chunk.skipped.append(Skipped(offset, chunk.end_byte, "not a readable record"))
        return True
    try:
        return _add_decoded(chunk, offset, *record)
    except (TypeError, ValueError, LookupError, AttributeError, orjson.JSONEncodeError):
        chunk.skipped.append(Skipped(offset, chunk.end_byte, f"not a valid {record[0]!r} record"))
        return True


def _take_history(chunk: Chunk, data: bytes, position: int, room: int) -> int:
    """Add the history lines from ``position`` on (at most ``room``) as ``_add_record`` would,
    with one regular-expression match per line; returns where they end (the background
    uploader holds the GIL for less time while ``log()`` runs)."""
    match, history = HISTORY_LINE.match, chunk.history
    offset, start, last = chunk.end_offset, position, chunk.end_offset + room
    while offset < last:
        found = match(data, position)
        if found is None:
            break
        step = int(found[1])
        if step > MAX_STEP:
            break
        line_end = found.end()
        data_text = data[position + 5 : line_end - 2]
        history.append(b'{"offset":%d,"step":%d,"data":%s}' % (offset, step, data_text))
        offset, position = offset + 1, line_end
    chunk.end_offset = offset
    chunk.end_byte += position - start
    return position


def _step_of(line: bytes) -> int | None:
    """The step of a history line as the run writes it (``["h",{"_step":12,...``), cheaply.

    The rest of the line is sent as it is: the server parses it, and a row it refuses is found
    by halving the batch (``Uploader._send_history``) and skipped.
    """
    end = line.find(b",", len(HISTORY_PREFIX))
    digits = line[len(HISTORY_PREFIX) : end]
    step = int(digits) if end > 0 and digits.isdigit() and len(digits) <= 19 else None
    return step if step is not None and step <= MAX_STEP else None


def _is_utf8(line: bytes) -> bool:
    try:
        line.decode()
    except UnicodeDecodeError:
        return False
    return True


def _add_decoded(chunk: Chunk, offset: int, kind: str, payload: Any) -> bool:
    """Add one decoded record; raises TypeError/ValueError for a payload of the wrong shape."""
    data = runlog.dumps(payload)  # e.g. a lone surrogate or a 400-digit number cannot be sent
    if kind == "h":
        step = payload.get("_step", 0)
        if type(step) is not int or not 0 <= step <= MAX_STEP:
            raise ValueError(f"step {step!r}")
        chunk.history.append(b'{"offset":%d,"step":%d,"data":%s}' % (offset, step, data))
    elif kind == "summary":
        chunk.summary.update(payload)
        return False  # later history rows must reach the server after this summary
    elif kind == "unset":
        chunk.unset.extend(str(key) for key in payload)
        return False  # as for a summary: a later row may set the key again
    elif kind == "metric":
        chunk.fields.setdefault("metrics", {})[str(payload["name"])] = payload
    elif kind == "run":
        chunk.fields.update({k: payload[k] for k in RUN_FIELDS if k in payload})
        if "created_at" in payload:  # the run's opening record (a rename is not: keep the state)
            chunk.fields.setdefault("state", "running")
    elif kind == "preempting":
        chunk.fields["state"] = "preempting"
    elif kind == "config":
        chunk.fields.setdefault("config", {}).update(payload)
    elif kind == "meta":
        _add_metadata(chunk, payload)
    elif kind == "file":
        chunk.files.append(str(payload["name"]))
    elif kind in ("artifact", "used") and isinstance(payload, dict):
        chunk.artifacts.append((kind, payload))
    elif kind == "alert" and isinstance(payload, dict):
        chunk.alerts.append({"offset": offset, **payload})
    elif kind == "system" and isinstance(payload, dict):
        chunk.system.append({"offset": offset, "data": payload})
    elif kind == "resume":
        chunk.fields["state"] = "running"
        chunk.exit = None
    elif kind == "exit":
        chunk.exit = dict(payload)
    return True


def _add_metadata(chunk: Chunk, payload: dict[str, Any]) -> None:
    metadata = {k: v for k, v in payload.items() if k not in HIDDEN_META}
    if "git" in payload:
        chunk.fields["git"] = payload["git"]
    if metadata:
        chunk.fields.setdefault("metadata", {}).update(metadata)
