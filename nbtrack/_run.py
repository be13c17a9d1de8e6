"""``Run``: one tracked experiment, writing everything to its run log as it happens."""

from __future__ import annotations

import threading
import time
import warnings
from collections.abc import Callable
from pathlib import Path
from types import TracebackType
from typing import TYPE_CHECKING, Any

import orjson

from nbtrack import console, gitstate, registry, rundir, runlog, values
from nbtrack.compat.runcompat import RunLinks
from nbtrack.errors import RunFinished
from nbtrack.runconfig import Config, string_keys
from nbtrack.runparts import arrays
from nbtrack.runparts.summary import Summary
from nbtrack.settings import Settings
from nbtrack.worker import Worker

if TYPE_CHECKING:
    from nbtrack.media.store import MediaStore
    from nbtrack.runparts.metrics import Metric, Metrics
    from nbtrack.system.sampler import Sampler
    from nbtrack.upload.background import BackgroundUpload

MAX_CODE_BYTES = 1 << 20
MAX_STEP = values.MAX_STEP
_NUMPY = orjson.OPT_SERIALIZE_NUMPY
_SCALARS = frozenset({float, int, str, bool, type(None)})


class StepWarning(UserWarning):
    """A log() call whose step was lower than the run's current step."""


class Run(RunLinks):
    """A run: ``run.log({...})``, ``run.config``, ``run.summary``, ``run.finish()``.

    Create runs with :func:`nbtrack.init`, not directly.
    """

    def __init__(
        self,
        settings: Settings,
        path: Path,
        info: dict[str, Any],
        metadata: dict[str, Any],
        *,
        config: dict[str, Any] | None = None,
        summary: dict[str, Any] | None = None,
        next_step: int = 0,
        runtime: float = 0.0,
        history_count: int = 0,
        writer: runlog.Writer | None = None,
        metrics: Metrics | None = None,
        resumed: bool = False,
    ) -> None:
        self.settings = settings
        self.id: str = info["id"]
        self.project: str = info["project"]
        self.entity: str | None = info.get("entity")
        self.mode: str = settings.mode
        self.url: str | None = None
        self.dir = str(path)
        self._folder = path
        self.resumed = resumed
        self.state = "running"
        self.exit_code: int | None = None
        self.finish_reason: str | None = None
        self.metadata = metadata
        self._info = info
        self._lock = threading.Lock()
        self._finish_lock = threading.Lock()
        self._closed = False
        self._pending: dict[str, Any] = {}
        self._step = next_step
        self._start = time.time()
        self._runtime_before = runtime
        self._last_row: dict[str, Any] = {}
        self._rows = history_count
        self._summary_dirty = True
        self._finish_callbacks: list[Callable[[Run], None]] = []
        self._before_finish_callbacks: list[Callable[[Run], None]] = []
        self._writer = writer or runlog.Writer(path / runlog.LOG_NAME)
        allow_changes = settings.allow_val_change
        if allow_changes is None:
            from nbtrack.environment import in_ipython

            allow_changes = in_ipython()
        self._config = Config(config, self._record_config, allow_changes)
        self._summary = Summary(summary, self._record_summary, self._record_unset)
        self._metrics = metrics
        self._arrays = arrays.Converter()
        self._worker = Worker(self.id, self._tick)
        self._git_thread: threading.Thread | None = None
        self._upload: BackgroundUpload | None = None
        self._media: MediaStore | None = None
        self._sampler: Sampler | None = None

    # -- properties users read and set ------------------------------------------------------------
    @property
    def name(self) -> str:
        return str(self._info["name"])

    @name.setter
    def name(self, value: str) -> None:
        if not isinstance(value, str) or not value.strip():
            raise ValueError(f"A run name must be a non-empty string, not {value!r}.")
        self._update_info(name=value)

    @property
    def tags(self) -> tuple[str, ...]:
        return tuple(self._info.get("tags") or ())

    @tags.setter
    def tags(self, value: Any) -> None:
        from nbtrack.settings import parse_tags

        self._update_info(tags=list(parse_tags(value)))

    @property
    def notes(self) -> str | None:
        return self._info.get("notes")

    @notes.setter
    def notes(self, value: str | None) -> None:
        self._update_info(notes=value)

    @property
    def group(self) -> str | None:
        return self._info.get("group")

    @property
    def job_type(self) -> str | None:
        return self._info.get("job_type")

    @property
    def config(self) -> Config:
        return self._config

    @property
    def summary(self) -> Summary:
        return self._summary

    @summary.setter
    def summary(self, value: Any) -> None:
        self._summary.update(value)

    @property
    def step(self) -> int:
        """The step the next committed ``log()`` call writes."""
        return self._step

    @property
    def start_time(self) -> float:
        return self._start

    @property
    def runtime(self) -> float:
        return self._runtime_before + time.time() - self._start

    @property
    def latest(self) -> dict[str, Any]:
        """The last committed history row."""
        return self._last_row

    @property
    def offline(self) -> bool:
        return self.mode == "offline"

    @property
    def finished(self) -> bool:
        return self._closed

    # -- logging ----------------------------------------------------------------------------------
    def log(self, data: Any, step: int | None = None, commit: bool | None = None) -> None:
        """Log one step of metrics: ``run.log({"loss": 0.1, "acc": 0.9})``.

        Each committed call is one step. ``commit=False`` adds to the current step instead; with an
        explicit ``step`` the data is committed when a later call moves to a higher step (or with
        ``commit=True``). A ``step`` lower than the current one is dropped with a warning.
        """
        if self._closed:
            raise RunFinished(self.id, "log more data")
        if type(data) is not dict:
            data = values.as_dict(data)
        jobs = None
        for value in data.values():
            if type(value) is not float and type(value) not in _SCALARS:
                data, jobs = self._shape(data)
                break
        with self._lock:
            if step is None and commit is not False and not self._pending:
                self._commit(data)
            else:
                self._log_slow(data, step, commit)
        if jobs:
            self._media_files().put(jobs)

    def _shape(self, data: dict[str, Any]) -> tuple[dict[str, Any], list[Any]]:
        """Rows with more than plain scalars: nested dicts flattened, media made references."""
        for value in data.values():
            if isinstance(value, dict):
                data = values.flatten(data)
                break
        from nbtrack.media import rows

        return rows.convert(data)

    def _media_files(self) -> MediaStore:
        if self._media is None:
            from nbtrack.media.store import MediaStore

            folder = self._folder / "files" if self.dir else None
            with self._lock:
                if self._media is None:
                    self._media = MediaStore(folder, self._record, self.id)
        return self._media

    def _log_slow(self, data: dict[str, Any], step: int | None, commit: bool | None) -> None:
        if step is not None:
            if isinstance(step, bool) or not isinstance(step, int):
                raise TypeError(f"step must be an int, not {type(step).__name__} ({step!r}).")
            if step > MAX_STEP:
                raise values.step_error(step)
            if step < self._step:
                warnings.warn(
                    f"nbtrack: log() with step={step} is lower than the run's current step "
                    f"{self._step}; the data was dropped. Steps only go up.",
                    StepWarning,
                    stacklevel=3,
                )
                return
            if step > self._step:
                if self._pending:
                    self._commit({})
                self._step = step
        values.check_reserved(data)
        self._pending.update(data)
        if commit or (commit is None and step is None):
            self._commit({})

    def _commit(self, data: dict[str, Any]) -> None:
        """Write one history row (the pending data plus ``data``) and advance the step."""
        if self._step > MAX_STEP:
            raise values.step_error(self._step)
        now = time.time()
        row = {"_step": self._step, "_runtime": now - self._start + self._runtime_before}
        row["_timestamp"] = now
        if self._pending:
            pending, self._pending = self._pending, {}
            data = {**pending, **data}
        if "_step" in data or "_runtime" in data or "_timestamp" in data:
            values.check_reserved(data)
        row.update(data)
        metrics = self._metrics
        if metrics is not None:
            metrics.before_write(row)
        converter = self._arrays
        try:
            line = b'["h",' + orjson.dumps(row, default=converter, option=_NUMPY) + b"]\n"
        except (TypeError, orjson.JSONEncodeError) as exc:
            raise values.explain(arrays.converted(data) or data, exc) from None
        if b"null" in line or converter.used or line.find(b"[", 5) > 0:
            row, line = self._plain_row(row, line)
        if len(line) > values.MAX_ROW_BYTES:
            values.check_size(line, data)
        self._writer.append(line)
        self._summary._data.update(row)
        if metrics is not None:
            metrics.summarize(row, self._summary._data)
        self._last_row = row
        self._summary_dirty = True
        self._rows += 1
        self._step += 1

    def _plain_row(self, row: dict[str, Any], line: bytes) -> tuple[dict[str, Any], bytes]:
        """Rows with NaN, arrays or tensors: values made plain
        (see :mod:`nbtrack.runparts.arrays`)."""
        self._arrays.used = False
        plain = arrays.converted({k: v for k, v in row.items() if arrays.library(v)})
        if plain is None and b"null" not in line:
            return row, line
        row = {**row, **plain} if plain else row
        return row, runlog.encode("h", row)

    # -- records other than history ---------------------------------------------------------------
    def _record(self, kind: str, payload: Any) -> None:
        if self._closed:
            raise RunFinished(self.id, f"change its {kind}")
        try:
            line = runlog.encode(kind, payload)
        except (TypeError, orjson.JSONEncodeError) as exc:
            raise values.explain(payload, exc, kind) from None
        values.check_size(line, payload, kind)
        with self._lock:
            self._writer.append(line)

    def _record_config(self, changes: dict[str, Any]) -> None:
        self._record("config", string_keys(changes))
        self._write_json("config.json", string_keys({**self._config._data, **changes}))

    def _record_summary(self, changes: dict[str, Any]) -> None:
        self._record("summary", changes)
        self._summary_dirty = True

    def _record_unset(self, keys: list[str]) -> None:
        self._record("unset", keys)
        self._summary_dirty = True

    def define_metric(
        self,
        name: str,
        step_metric: str | Metric | None = None,
        step_sync: bool | None = None,
        hidden: bool | None = None,
        summary: str | None = None,
        goal: str | None = None,
        overwrite: bool | None = None,
    ) -> Metric:
        """wandb's ``define_metric``: x-axis, summary aggregation, visibility (see
        :mod:`nbtrack.runparts.metrics`). Answers this call's definition, as wandb does; the run
        records it merged with earlier ones."""
        from nbtrack.runparts import metrics

        metric = metrics.define(name, step_metric, step_sync, hidden, summary, goal, overwrite)
        if self._closed:
            raise RunFinished(self.id, "define metrics")
        with self._lock:
            if self._metrics is None:
                self._metrics = metrics.Metrics()
            merged = self._metrics.define(metric, overwrite)
        self._record("metric", merged.record())
        return metric

    def mark_preempting(self) -> None:
        """Record that the run is about to be preempted: ``preempting`` until it ends."""
        self._record("preempting", {"at": time.time()})
        self.state = "preempting"
        self._write_run_json()

    def _update_info(self, **fields: Any) -> None:
        self._record("run", fields)
        self._info.update(fields)
        self._write_run_json()

    def record_metadata(self, **fields: Any) -> None:
        """Merge fields into the run's metadata (the Jupyter layer adds the notebook here)."""
        self._record("meta", fields)
        self.metadata.update(fields)
        self._write_json("metadata.json", self.metadata)

    def save_file(self, name: str, content: bytes | str) -> Path:
        """Store a file under the run's ``files/`` folder (e.g. ``diff.patch``)."""
        target = (self._folder / "files" / name).resolve()
        if not target.is_relative_to((self._folder / "files").resolve()):
            raise ValueError(f"File name {name!r} leaves the run's files folder; use a plain name.")
        target.parent.mkdir(parents=True, exist_ok=True)
        data = content.encode() if isinstance(content, str) else content
        target.write_bytes(data)
        self._record("file", {"name": name, "size": len(data)})
        return target

    # -- lifecycle --------------------------------------------------------------------------------
    def start(self, header: dict[str, Any]) -> None:
        """Write the opening records and start the background work (called by init)."""
        if self._writer.offset == 0:
            self._record("nbtrack", header)
        self._record("run", self._info)
        if self._config._data:
            self._record("config", string_keys(self._config._data))
        self._record("meta", self.metadata)
        self._write_files()
        self._worker.start()
        from nbtrack import system

        self._sampler = system.start(self)
        if self._upload is not None:
            self._upload.start()
        if not self.settings.disable_git or self.settings.save_code:
            self._git_thread = threading.Thread(
                target=self._capture_code, name=f"nbtrack-git-{self.id}", daemon=True
            )
            self._git_thread.start()

    def _capture_code(self) -> None:
        """Background: the git state, and a copy of the script (unless save_code=False)."""
        if not self.settings.disable_git:
            self._capture_git()
        program = self.metadata.get("program")
        if self.settings.save_code and program and not self._closed:
            try:
                path = Path(program)
                if path.is_file() and path.stat().st_size <= MAX_CODE_BYTES:
                    self.save_file(f"code/{path.name}", path.read_bytes())
            except (OSError, RunFinished):
                pass

    def _capture_git(self) -> None:
        start = Path(self.metadata.get("program") or self.metadata.get("cwd") or ".")
        try:
            folder = start.parent if start.is_file() else start
            program = self.metadata.get("program")
            state, diff = gitstate.capture(folder, program, self.settings.root)
            if diff and not self._closed:
                self.save_file("diff.patch", diff)
            if not self._closed:
                self.record_metadata(git=state)
        except RunFinished:
            pass
        except Exception as exc:  # git trouble must never break a run
            if not self._closed:
                self.record_metadata(git={"error": f"{type(exc).__name__}: {exc}"})

    def save(self, glob_str: Any = None, base_path: Any = None, policy: str = "live") -> Any:
        """``run.save("*.ckpt", policy="now"|"live"|"end")`` copies files into ``files/`` (see
        :mod:`nbtrack.runparts.savefiles`); ``run.save()`` makes everything logged so far durable
        and refreshes the run's files (and its name)."""
        if glob_str is not None:
            from nbtrack.runparts import savefiles

            return savefiles.save(self, glob_str, base_path, policy)
        if self._closed:
            return None
        with self._lock:
            self._writer.sync()
        self._write_files()
        return None

    def log_code(
        self,
        root: Any = ".",
        name: str | None = None,
        include_fn: Any = None,
        exclude_fn: Any = None,
    ) -> Any:
        """Copy the code under ``root`` into ``files/code/``
        (see :mod:`nbtrack.runparts.savefiles`)."""
        from nbtrack.runparts import savefiles

        return savefiles.log_code(self, root, name, include_fn, exclude_fn)

    def alert(self, title: str, text: str, level: Any = None, wait_duration: Any = None) -> None:
        """Record an alert (see :mod:`nbtrack.runparts.alerts`); one per title per
        ``wait_duration``."""
        from nbtrack.runparts import alerts

        alerts.send(self, title, text, level, wait_duration)

    def watch(
        self,
        models: Any,
        criterion: Any = None,
        log: str | None = "gradients",
        log_freq: int = 1000,
        idx: int | None = None,
        log_graph: bool = False,
    ) -> Any:
        """Histograms of torch models' gradients/parameters (:mod:`nbtrack.integration.watch`)."""
        from nbtrack.integration import watch

        return watch.watch(self, models, criterion, log, log_freq, idx, log_graph)

    def unwatch(self, models: Any = None) -> None:
        """Remove ``watch()``'s hooks from the models (all of them when None)."""
        from nbtrack.integration import watch

        watch.unwatch(self, models)

    def log_artifact(
        self,
        artifact_or_path: Any,
        name: str | None = None,
        type: str | None = None,
        aliases: Any = None,
        tags: Any = None,
    ) -> Any:
        """Log an ``Artifact`` (or a file or folder) as a new version (nbtrack.artifacts)."""
        from nbtrack.artifacts import runartifacts

        return runartifacts.log_artifact(self, artifact_or_path, name, type, aliases)

    def use_artifact(
        self,
        artifact_or_name: Any,
        type: str | None = None,
        aliases: Any = None,
        use_as: Any = None,
    ) -> Any:
        """Mark an artifact (``"name:latest"``, ``"entity/project/name:v3"``) as an input."""
        from nbtrack.artifacts import runartifacts

        return runartifacts.use_artifact(self, artifact_or_name, type, aliases)

    def log_model(self, path: Any, name: str | None = None, aliases: Any = None) -> Any:
        """Log a model file or folder as a ``model`` artifact."""
        from nbtrack.artifacts import runartifacts

        return runartifacts.log_model(self, path, name, aliases)

    def use_model(self, name: str) -> str:
        """Use a ``model`` artifact and download it; answers the local path."""
        from nbtrack.artifacts import runartifacts

        return runartifacts.use_model(self, name)

    def finish(
        self, exit_code: int = 0, quiet: bool | None = None, reason: str | None = None
    ) -> None:
        """End the run: ``finished`` for exit code 0, else ``failed``; later calls do nothing.

        ``quiet=True`` keeps even the line about records left for ``nbtrack sync`` unsaid.
        """
        self._end(exit_code, "finished" if exit_code == 0 else "failed", reason, bool(quiet))

    def mark_killed(self) -> None:
        """End the run as ``killed`` (KeyboardInterrupt)."""
        self._end(130, "killed", "interrupted")

    def _end(self, exit_code: int, state: str, reason: str | None, quiet: bool = False) -> None:
        with self._finish_lock:
            if self._closed:
                return
            self._call(self._before_finish_callbacks)
            self._close(exit_code, state, reason, quiet or self.settings.silent)
        self._call(self._finish_callbacks)

    def _call(self, callbacks: list[Callable[[Run], None]]) -> None:
        for callback in list(callbacks):
            try:
                callback(self)
            except Exception as exc:
                console.say(f"a callback of run {self.id} failed: {exc!r}")

    def _close(self, exit_code: int, state: str, reason: str | None, quiet: bool) -> None:
        if getattr(self, "_watches", None):
            self.unwatch()
        with self._lock:
            if self._pending:
                self._commit({})
        if self._git_thread is not None:
            self._git_thread.join(gitstate.GIT_TIMEOUT + 5)
        if self._media is not None:
            self._media.wait()  # every media file written and recorded before the exit record
        self._worker.stop()
        if self._sampler is not None:
            self._sampler.stop()
        if self._metrics is not None:
            self._record_final_summary(self._metrics)
        exit_record = {"state": state, "exit_code": exit_code, "runtime": self.runtime}
        exit_record.update(at=time.time(), reason=reason)
        self._record("exit", exit_record)
        self.state, self.exit_code, self.finish_reason = state, exit_code, reason
        self._closed = True
        self._write_files(exit_record)
        self._writer.close()
        registry.remove(self)
        if self._upload is not None:
            self._flush_upload(quiet)

    def _record_final_summary(self, metrics: Metrics) -> None:
        """The aggregated summaries once more, for readers that replay only explicit summaries."""
        with self._lock:
            chosen, dropped = metrics.final(self._summary._data)
        if chosen:
            self._record("summary", chosen)
        if dropped:
            self._record("unset", dropped)

    def _flush_upload(self, quiet: bool) -> None:
        assert self._upload is not None
        left = self._upload.finish(self.settings.finish_timeout)
        if self._upload.uploader.url:
            self.url = self._upload.uploader.url
        if skipped := self._upload.uploader.skipped:
            console.say(
                f"{len(skipped)} records of run {self.name} ({self.id}) could not be uploaded "
                f"and were skipped (the rest was sent): {'; '.join(map(str, skipped[:5]))}",
                quiet,
            )
        if left:
            reason = self._upload.uploader.error or "the server did not answer in time"
            console.say(
                f"{left} records of run {self.name} ({self.id}) are not uploaded yet ({reason}); "
                "they are safe on disk and `nbtrack sync` (or the notebook's "
                "'Sync offline runs' button) will send them.",
                quiet,
            )

    def attach_upload(self, upload: BackgroundUpload, url: str | None) -> None:
        """Online runs: send the log to the server from a background thread."""
        self._upload = upload
        self.url = url

    def upload_status(self) -> dict[str, Any]:
        """``{"state", "uploaded", "total", "error"}``: how much of the log the server has.

        ``state`` is ``offline``, ``pending``, ``syncing``, ``synced`` or ``error``.
        """
        total = self._writer.offset
        if self._upload is None:
            from nbtrack.upload.uploader import Progress

            progress = Progress.load(self._folder) if self.dir else Progress()
            uploaded = progress.offset
            state = "synced" if uploaded and uploaded >= total else "offline"
            if state == "synced" and progress.base_url and self.url is None:  # synced later on
                where = f"{progress.base_url}/{progress.entity}/{progress.project}"
                self.url = f"{where}/runs/{self.id}"
            return {"state": state, "uploaded": uploaded, "total": total, "error": None}
        uploader = self._upload.uploader
        state = uploader.state
        if state == "synced" and uploader.progress.offset < total:
            state = "pending"
        if uploader.url and self.url is None:
            self.url = uploader.url
        uploaded = uploader.progress.offset
        return {"state": state, "uploaded": uploaded, "total": total, "error": uploader.error}

    def on_finish(self, callback: Callable[[Run], None]) -> None:
        """Call ``callback(run)`` once the run has ended."""
        self._finish_callbacks.append(callback)

    def before_finish(self, callback: Callable[[Run], None]) -> None:
        """Call ``callback(run)`` as the run ends, while it can still record files and metadata."""
        self._before_finish_callbacks.append(callback)

    def __enter__(self) -> Run:
        return self

    def __exit__(
        self,
        kind: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        if kind is not None and issubclass(kind, KeyboardInterrupt):
            self.mark_killed()
        else:
            self.finish(exit_code=0 if kind is None else 1)

    # -- background work --------------------------------------------------------------------------
    def _tick(self) -> None:
        with self._lock:
            if self._closed:
                return
            self._writer.sync()
            dirty, self._summary_dirty = self._summary_dirty, False
            summary = self._summary.snapshot() if dirty else None
        if summary is not None:
            self._write_json("summary.json", summary)

    def _write_files(self, exit_record: dict[str, Any] | None = None) -> None:
        with self._lock:
            self._summary_dirty = False
            summary = self._summary.snapshot()
        self._write_json("summary.json", summary)
        self._write_json("config.json", string_keys(self._config._data))
        self._write_json("metadata.json", self.metadata)
        self._write_run_json(exit_record)

    def _write_run_json(self, exit_record: dict[str, Any] | None = None) -> None:
        info = {**self._info, "state": self.state, "url": self.url, "dir": self.dir}
        info.update(next_step=self._step, runtime=self.runtime, records=self._writer.offset)
        info["history_count"] = self._rows
        if exit_record is not None:
            info["exit"] = exit_record
        self._write_json("run.json", info)

    def _write_json(self, name: str, data: Any) -> None:
        rundir.write_json(self._folder / name, data)

    def _repr_mimebundle_(self, include: Any = None, exclude: Any = None) -> dict[str, Any] | None:
        """The run as a widget in Jupyter, with a text/HTML fallback everywhere else."""
        from nbtrack.jupyter.display import mimebundle

        return mimebundle(self, include, exclude)

    def __repr__(self) -> str:
        return f"<nbtrack.Run {self.project}/{self.id} name={self.name!r} state={self.state}>"
