"""``nbtrack import wandb PATH...``: wandb run folders (``wandb/run-*``, ``wandb/offline-run-*``)
read from their ``.wandb`` transaction logs, online or offline, finished or crashed.

What maps where: config (without wandb's ``_wandb``), every history row with its ``_step``,
``_runtime`` and ``_timestamp``, the summary (values set explicitly, beside the last values the
history gives), system metrics (wandb's ``stats`` records become nbtrack ``system`` samples, each
key prefixed ``system.``), tags, notes, group, job type, name, id, project, entity, start time,
exit state (a log without an exit record imports as ``crashed``), the environment and git state
into metadata, the run's ``files/`` (``diff.patch``, ``requirements.txt``, media, ...), and
images and histograms in history as nbtrack media references. Other media types are left out of
the history and reported.

The records are wandb's protobuf messages, so this needs the ``wandb`` package
(``pip install 'nbtrack[import-wandb]'``); it is imported only here.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from pathlib import Path
from typing import Any

import orjson

from nbtrack.importers import fingerprint, wandbproto
from nbtrack.importers.driver import Options, SourceRun, run_all
from nbtrack.importers.report import ImportReport
from nbtrack.importers.wandbfile import LogReader
from nbtrack.importers.wandbmedia import MediaMapper
from nbtrack.importers.wandbrows import HEAD, SUMMARY_HEAD, HistoryBlocks, Kinds
from nbtrack.importers.wandbsummary import folder, item_key
from nbtrack.importers.writer import RunWriter

PREFIXES = ("run-", "offline-run-")
STATES = {0: "finished", 255: "killed"}
BATCH = 4096  # plain history records turned into lines together
QUIET = {"summary", "telemetry", "header", "footer", "output", "output_raw", "metric"}


def from_wandb(paths: Iterable[str | Path], **options: Any) -> ImportReport:
    """Import wandb run folders (or folders holding them, such as ``./wandb``)."""
    pb = wandbproto.records()
    report_problems: list[str] = []
    sources = [_source(pb, log) for log in find_logs(paths, report_problems)]
    report = run_all("wandb", sources, Options(**options))
    report.problems += report_problems
    return report


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


def _source(pb: Any, log: Path) -> SourceRun:
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


def value(text: str) -> Any:
    try:
        return orjson.loads(text)
    except orjson.JSONDecodeError:
        return json.loads(text)  # NaN and Infinity


def flat(value: dict[str, Any], prefix: str = "") -> dict[str, Any]:
    """``{"a": {"b": 1}}`` -> ``{"a.b": 1}``, media (a dict with ``_type``) kept whole."""
    out: dict[str, Any] = {}
    for key, inner in value.items():
        if isinstance(inner, dict) and "_type" not in inner:
            out.update(flat(inner, f"{prefix}{key}."))
        else:
            out[f"{prefix}{key}"] = inner
    return out


class WandbRun:
    """Replays one ``.wandb`` log into a :class:`RunWriter`."""

    def __init__(self, pb: Any, log: Path, writer: RunWriter) -> None:
        self.pb, self.log, self.writer = pb, log, writer
        self.summary: dict[str, str] = {}  # the summary records' (key -> JSON), at the end
        self.state = "crashed"
        self.start = float(writer.info["created_at"])
        self.media = MediaMapper(log.parent / "files", writer)
        self.last: dict[str, str] = {}  # the last JSON text of each key of the fast rows
        self.keys: dict[tuple[str, ...], list[str]] = {}  # a row's keys -> their JSON prefixes
        self.blocks, self.kinds = HistoryBlocks(pb), Kinds(pb)
        self.summaries = folder(pb, log.stat().st_size)  # the summary records, folded

    def read(self) -> str:
        reader = LogReader(self.log)
        held: list[bytes] = []  # history payloads not written yet
        for records in reader.batches():
            held = self._plain(records, held) if records else held
            if len(held) >= BATCH:
                self._history(held)
                held = []
        self._history(held)
        self.summary, problems = self.summaries.result()
        self.writer.problems += problems + reader.problems
        self._finish()
        return self.state

    def _plain(self, records: list[bytes], held: list[bytes]) -> list[bytes]:
        """History and summary records only (what ``run.log()`` writes): the history ones
        added to ``held``, the summary ones folded (they write nothing, so their place among
        the rows does not matter). Records of other kinds among them are read in order."""
        kinds = self.kinds.split(records)
        if kinds is None:
            return self._mixed(records, held)
        held += kinds[0]
        self.summaries.add(kinds[1])
        return held

    def _mixed(self, records: list[bytes], held: list[bytes]) -> list[bytes]:
        """Records of several kinds: the history and summary ones between the others as above,
        the others read (after the rows held when they write to the run)."""
        plain: list[bytes] = []
        for data in records:
            if HEAD.match(data) or SUMMARY_HEAD.match(data):
                plain.append(data)
                continue
            if plain and (kinds := self.kinds.split(plain)) is not None:
                held += kinds[0]
                self.summaries.add(kinds[1])
            elif plain:  # not what they seemed: each read in turn
                self._history(held)
                held = []
                self._each(plain)
            plain = []
            if (record := self._parse(data)) is not None:
                kind = record.WhichOneof("record_type")
                if kind not in QUIET:
                    self._history(held)
                    held = []
                self._dispatch(kind, record)
        return self._plain(plain, held) if plain else held

    def _each(self, records: list[bytes]) -> None:
        for data in records:
            if (record := self._parse(data)) is not None:
                self._dispatch(record.WhichOneof("record_type"), record)

    def _parse(self, data: bytes, kind: str = "Record") -> Any:
        try:
            return getattr(self.pb, kind).FromString(data)
        except Exception as exc:  # a record wandb itself could not read
            self.writer.problems.append(f"unreadable record: {exc}")
            return None

    def _dispatch(self, kind: str | None, record: Any) -> None:
        if (handler := getattr(self, f"_on_{kind}", None)) is not None:
            handler(record)

    def _history(self, held: list[bytes]) -> None:
        """History payloads: as one block of lines, or one by one when that fails."""
        if not held:
            return
        block = self.blocks.lines(held, self.writer.next_step)
        if block is not None:
            self.writer.add_block(block.text, block.rows, block.step, block.runtime)
            self.last.update(block.last)
            return
        for data in held:
            if (history := self._parse(data, "HistoryRecord")) is not None:
                self._row(history)

    def _on_run(self, record: Any) -> None:
        self._config(record.run.config.update)
        self._git(record.run.git)

    def _git(self, git: Any) -> None:
        if git.remote_url or git.commit:
            state = {"repository": True, "remote": git.remote_url, "commit": git.commit}
            self.writer.add_meta(git=state)

    def _on_config(self, record: Any) -> None:
        self._config(record.config.update)

    def _config(self, items: Any) -> None:
        changes = {item_key(i): value(i.value_json) for i in items}
        changes.pop("_wandb", None)
        self.writer.add_config(changes)

    def _on_history(self, record: Any) -> None:
        self._row(record.history)

    def _row(self, history: Any) -> None:
        """The common row (plain keys, no media): its JSON copied as wandb wrote it."""
        texts: dict[str, str] = {}
        for item in history.item:
            keys, text = item.nested_key, item.value_json
            if len(keys) != 1 or text[:1] == "{":
                if keys or text[:1] == "{":
                    return self._nested_row(history)
                keys = [item.key]
            texts[keys[0]] = text
        step = int(texts["_step"]) if "_step" in texts else history.step.num
        if step < self.writer.next_step:
            self.writer.dropped += 1
            return None
        runtime = self._times(texts)
        names = tuple(texts)
        prefixes = self.keys.get(names) or self.quoted(names)
        body = ",".join([p + v for p, v in zip(prefixes, texts.values(), strict=True)])
        self.writer.add_line(step, runtime, f'["h",{{{body}}}]\n'.encode())
        self.last.update(texts)
        return None

    def _times(self, texts: dict[str, str]) -> float:
        """The row's ``_runtime``, with ``_runtime``/``_timestamp`` added when wandb lacks one."""
        if "_runtime" in texts and "_timestamp" in texts:
            return float(texts["_runtime"])
        if "_timestamp" in texts:
            runtime = float(texts["_timestamp"]) - self.start
            texts["_runtime"] = repr(runtime)
            return runtime
        runtime = float(texts.get("_runtime", self.writer.runtime))
        texts["_timestamp"] = repr(self.start + runtime)
        texts.setdefault("_runtime", repr(runtime))
        return runtime

    def quoted(self, names: tuple[str, ...]) -> list[str]:
        """``'"key":'`` for each key of a row; cached per set of keys (rows repeat them)."""
        if len(self.keys) > 4096:
            self.keys.clear()
        prefixes = self.keys[names] = [orjson.dumps(k).decode() + ":" for k in names]
        return prefixes

    def _nested_row(self, history: Any) -> None:
        """A row with nested keys or media: decoded, rewritten, encoded again."""
        self._settle_summary()
        row: dict[str, Any] = {}
        nested: dict[str, dict[str, Any]] = {}
        for item in history.item:
            keys = list(item.nested_key) or [item.key]
            got = value(item.value_json)
            if len(keys) == 1 and not isinstance(got, dict):
                row[keys[0]] = got
            elif len(keys) == 1:
                nested.setdefault(keys[0], {}).update(flat(got))
            else:
                nested.setdefault(keys[0], {})[".".join(keys[1:])] = got
        self.media.rewrite(row, nested)
        row.setdefault("_step", history.step.num)
        row.setdefault("_timestamp", self.start + row.get("_runtime", 0.0))
        row.setdefault("_runtime", row["_timestamp"] - self.start)
        self.writer.add_row(row)

    def _settle_summary(self) -> None:
        """Fold the fast rows' last values into the writer's summary."""
        if self.last:
            self.writer.summary.update({k: value(v) for k, v in self.last.items()})
            self.last.clear()

    def _on_summary(self, record: Any) -> None:
        self.summaries.add([record.summary.SerializeToString()])  # folded in file order

    def _on_stats(self, record: Any) -> None:
        at = record.stats.timestamp.seconds + record.stats.timestamp.nanos / 1e9
        sample: dict[str, Any] = {"_runtime": at - self.start, "_timestamp": at}
        for item in record.stats.item:
            sample[f"system.{item.key}"] = value(item.value_json)
        self.writer.add_system(sample)

    def _on_environment(self, record: Any) -> None:
        env = record.environment
        fields = {"os": env.os, "python": env.python, "program": env.program, "host": env.host}
        fields.update(args=list(env.args), executable=env.executable, cwd=env.root)
        fields.update(user=env.username)
        kept = {k: v for k, v in fields.items() if v}
        if kept:
            self.writer.add_meta(**kept)
        self._git(env.git)

    def _on_exit(self, record: Any) -> None:
        code = record.exit.exit_code
        self.state = STATES.get(code, "failed")
        self.writer.runtime = max(self.writer.runtime, float(record.exit.runtime))

    def _finish(self) -> None:
        self._settle_summary()
        explicit = {}
        for key, text in self.summary.items():
            if key.startswith(("_wandb", "_runtime", "_step", "_timestamp")):
                continue
            got = value(text)
            if isinstance(got, dict) or self.writer.summary.get(key) != got:
                explicit[key] = got
        explicit = {k: v for k, v in explicit.items() if not self.media.is_media(k, v)}
        self.writer.add_summary(explicit)
        self.media.copy_files()
