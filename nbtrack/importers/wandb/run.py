"""A ``.wandb`` log replayed into a run: config, history rows, summary, system metrics, metadata,
exit state and files (what maps where: :mod:`nbtrack.importers.wandb`)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import orjson

from nbtrack import runlog
from nbtrack.importers.wandb import half
from nbtrack.importers.wandb.logfile import LogReader
from nbtrack.importers.wandb.media import MediaMapper
from nbtrack.importers.wandb.replay import Replay
from nbtrack.importers.wandb.rows import Block
from nbtrack.importers.wandb.summary import item_key
from nbtrack.importers.writer import RunWriter

STATES = {0: "finished", 255: "killed"}


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


class WandbRun(Replay):
    """Replays one ``.wandb`` log into a :class:`RunWriter`; a long log's second half is read
    by a helper process meanwhile (:mod:`nbtrack.importers.wandb.half`)."""

    def __init__(self, pb: Any, log: Path, writer: RunWriter) -> None:
        super().__init__(pb)
        self.log, self.writer = log, writer
        self.state = "crashed"
        self.start = float(writer.info["created_at"])
        self.media = MediaMapper(log.parent / "files", writer)
        self.last: dict[str, str] = {}  # the last JSON text of each key of the fast rows
        self.keys: dict[tuple[str, ...], list[str]] = {}  # a row's keys -> their JSON prefixes

    def read(self) -> str:
        reader = LogReader(self.log)
        middle = half.middle(self.log)
        with half.Half(self.log, middle, self.writer.path.parent) as helper:  # beside the run
            self.replay(reader.batches(0, helper.middle))
            if helper.middle is not None:
                self._second_half(helper, helper.middle)
        self.summaries.flush()
        self._finish()
        self.writer.problems += self.problems + self.summaries.problems + reader.problems
        return self.state

    def _second_half(self, helper: half.Half, middle: int) -> None:
        """What the helper read, in order; all of it read here if the helper failed."""
        segments = helper.segments()
        if segments is None:
            reader = LogReader(self.log)
            self.replay(reader.batches(middle))
            self.problems += reader.problems
            return
        for kind, *found in segments:
            if kind == "block":
                self.on_block(found[0])
            elif kind == "rows":
                self.on_rows(found[0])
            elif kind == "record" and (record := self.parse(found[0])) is not None:
                self.dispatch(record.WhichOneof("record_type"), record)
            elif kind == "end":
                self.summaries.after(found[0], found[1])
                self.problems += found[2]

    @property
    def next_step(self) -> int:
        return self.writer.next_step

    def on_block(self, block: Block) -> None:
        if block.first < self.writer.next_step:  # read apart from the rows before it
            self._settle_summary()
            for line in block.text.splitlines():
                if (decoded := runlog.decode_line(line)) is not None:
                    self.writer.add_row(decoded[1])
            return
        self.writer.add_block(block.text, block.rows, block.step, block.runtime)
        self.last.update(block.last)

    def on_rows(self, payloads: list[bytes]) -> None:
        for data in payloads:
            if (history := self.parse(data, "HistoryRecord")) is not None:
                self._row(history)

    def on_record(self, kind: str, record: Any) -> None:
        if (handler := getattr(self, f"_on_{kind}", None)) is not None:
            handler(record)

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
        changes = self._decoded("config", {item_key(i): i.value_json for i in items})
        changes.pop("_wandb", None)
        self.writer.add_config(changes)

    def _decoded(self, where: str, texts: dict[str, str]) -> dict[str, Any]:
        """``texts`` decoded; one that is not JSON is left out and reported."""
        found: dict[str, Any] = {}
        for key, text in texts.items():
            try:
                found[key] = value(text)
            except ValueError:
                self._bad(where, key, text, "not JSON")
        return found

    def _on_history(self, record: Any) -> None:
        self._row(record.history)

    def _row(self, history: Any) -> None:
        """The common row (plain keys, no media): its JSON copied as wandb wrote it, once it
        reads back as one line of JSON; anything else is decoded and checked value by value."""
        texts: dict[str, str] = {}
        for item in history.item:
            keys, text = item.nested_key, item.value_json
            if len(keys) != 1 or text[:1] == "{":
                if keys or text[:1] == "{":
                    return self._nested_row(history)
                keys = [item.key]
            texts[keys[0]] = text
        try:
            step = int(texts["_step"]) if "_step" in texts else history.step.num
            runtime = self._times(texts)
        except ValueError:
            return self._nested_row(history)
        names = tuple(texts)
        prefixes = self.keys.get(names) or self.quoted(names)
        body = ",".join([p + v for p, v in zip(prefixes, texts.values(), strict=True)])
        line = f'["h",{{{body}}}]\n'.encode()
        if b"\r" in line or line.count(b"\n") > 1 or runlog.decode_line(line) is None:
            return self._nested_row(history)
        if step < self.writer.next_step:
            self.writer.dropped += 1
            return None
        self.writer.add_line(step, runtime, line)
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
            try:
                got = value(item.value_json)
            except ValueError:
                self._bad("a history row", ".".join(keys), item.value_json, "not JSON")
                continue
            if len(keys) == 1 and not isinstance(got, dict):
                row[keys[0]] = got
            elif len(keys) == 1:
                nested.setdefault(keys[0], {}).update(flat(got))
            else:
                nested.setdefault(keys[0], {})[".".join(keys[1:])] = got
        self.media.rewrite(row, nested)
        for key, kind in (("_step", int), ("_runtime", (int, float)), ("_timestamp", (int, float))):
            if key in row and (not isinstance(row[key], kind) or isinstance(row[key], bool)):
                why = "not a number" if key != "_step" else "not a step"
                self._bad("a history row", key, row.pop(key), why)
        row.setdefault("_step", history.step.num)
        row.setdefault("_timestamp", self.start + row.get("_runtime", 0.0))
        row.setdefault("_runtime", row["_timestamp"] - self.start)
        self.writer.add_row(row)

    def _bad(self, where: str, key: str, found: Any, why: str) -> None:
        """A value the run cannot keep: reported, the rest kept."""
        self.problems.append(f"{where}: {key} = {repr(found)[:60]} left out ({why})")

    def _settle_summary(self) -> None:
        """Fold the fast rows' last values into the writer's summary."""
        self.writer.summary.update(self._decoded("a history row", self.last))
        self.last.clear()

    def _on_stats(self, record: Any) -> None:
        at = record.stats.timestamp.seconds + record.stats.timestamp.nanos / 1e9
        texts = {f"system.{item.key}": item.value_json for item in record.stats.item}
        sample = {"_runtime": at - self.start, "_timestamp": at, **self._decoded("stats", texts)}
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
        texts = self.summaries.summary.items()
        kept = {
            k: t
            for k, t in texts
            if not k.startswith(("_wandb", "_runtime", "_step", "_timestamp"))
        }
        explicit = {}
        for key, got in self._decoded("summary", kept).items():
            if isinstance(got, dict) or self.writer.summary.get(key) != got:
                explicit[key] = got
        explicit = {k: v for k, v in explicit.items() if not self.media.is_media(k, v)}
        self.writer.add_summary(explicit)
        self.media.copy_files()
