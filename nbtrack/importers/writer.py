"""Imported runs are ordinary local runs: written with the run log's own writer and encoding
(:mod:`nbtrack.runlog`) into a run folder made by :mod:`nbtrack.rundir`, as ``init()`` and
``log()`` do, but keeping the source's steps, times, ids and states."""

from __future__ import annotations

import hashlib
import os
import platform
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from nbtrack import rundir, runlog
from nbtrack.runconfig import string_keys

HOLD = 4096  # history lines written together


class RunWriter:
    """Writes one imported run; ``close()`` ends it (or leaves it ``crashed``)."""

    def __init__(self, root: Path, info: dict[str, Any], fingerprint: dict[str, Any]) -> None:
        created = float(info.get("created_at") or time.time())
        self.info = {"mode": "offline", "host": platform.node(), "pid": os.getpid(), **info}
        self.info["created_at"] = created
        self.path = rundir.create(root, str(info["id"]), True, created)
        self.log = runlog.Writer(self.path / runlog.LOG_NAME)
        self.fingerprint = fingerprint
        self.config: dict[str, Any] = {}
        self.summary: dict[str, Any] = {}
        self.metadata: dict[str, Any] = {}
        self.problems: list[str] = []
        self.rows = 0
        self.dropped = 0
        self.held: list[bytes] = []
        self.held_rows = 0  # lines in ``held`` (a block holds many)
        self.next_step = 0
        self.runtime = 0.0
        self.on_rows: Callable[[int], None] | None = None
        self._append("nbtrack", {"format": 1, "run_id": info["id"], "created_at": created})
        self._append("run", self.info)

    def _append(self, kind: str, payload: Any) -> None:
        self._flush()
        self.log.append(runlog.encode(kind, payload))

    def _flush(self) -> None:
        """Write the history lines held back, with one ``write`` (imports go fast that way)."""
        if self.held:
            lines, self.held = self.held, []
            self.log.append(b"".join(lines))
            self.log.offset += self.held_rows - 1  # one record per line, as the log counts them
            self.held_rows = 0

    def add_config(self, values: dict[str, Any]) -> None:
        if values:
            values = string_keys(values)
            self.config.update(values)
            self._append("config", values)

    def add_meta(self, **fields: Any) -> None:
        self.metadata.update(fields)
        self._append("meta", fields)

    def set_info(self, **fields: Any) -> None:
        self.info.update(fields)
        self._append("run", fields)

    def add_summary(self, values: dict[str, Any]) -> None:
        if values:
            self.summary.update(values)
            self._append("summary", values)

    def add_row(self, row: dict[str, Any]) -> None:
        """One history row; it must hold ``_step``, ``_runtime`` and ``_timestamp``."""
        if row["_step"] < self.next_step:
            self.dropped += 1  # steps only go up, as in log()
            return
        self.summary.update(row)
        self.add_line(row["_step"], row["_runtime"], b'["h",' + runlog.dumps(row) + b"]\n")

    def add_line(self, step: int, runtime: float, line: bytes) -> None:
        """One history row already encoded (the caller keeps the summary up to date)."""
        self.held.append(line)
        self.held_rows += 1
        if self.held_rows >= HOLD:
            self._flush()
        self.next_step = step + 1
        self.runtime = runtime
        self.rows += 1
        if self.on_rows is not None and not self.rows & 0x3FFF:
            self.on_rows(self.rows)

    def add_block(self, text: bytes, rows: int, step: int, runtime: float) -> None:
        """``rows`` history lines already encoded, the last at ``step`` (the caller keeps the
        summary up to date)."""
        self.held.append(text)
        self.held_rows += rows
        if self.held_rows >= HOLD:
            self._flush()
        self.next_step = step + 1
        self.runtime = runtime
        self.rows += rows
        if self.on_rows is not None:
            self.on_rows(self.rows)

    def add_system(self, sample: dict[str, Any]) -> None:
        """One system-metrics sample (``_runtime``, ``_timestamp``, ``system.*``)."""
        self._append("system", sample)

    def add_file(self, name: str, data: bytes) -> str:
        """Store ``data`` as ``files/<name>``; returns its SHA-256."""
        self._target(name).write_bytes(data)
        digest = hashlib.sha256(data).hexdigest()
        self._append("file", {"name": name, "size": len(data), "sha256": digest})
        return digest

    def copy_file(self, name: str, source: Path) -> None:
        """Copy a file (in chunks) to ``files/<name>``."""
        target = self._target(name)
        digest = hashlib.sha256()
        with open(source, "rb") as read, open(target, "wb") as write:
            while chunk := read.read(1 << 20):
                digest.update(chunk)
                write.write(chunk)
        size = target.stat().st_size
        self._append("file", {"name": name, "size": size, "sha256": digest.hexdigest()})

    def _target(self, name: str) -> Path:
        target = (self.path / "files" / name).resolve()
        if not target.is_relative_to((self.path / "files").resolve()):
            raise ValueError(f"File name {name!r} leaves the run's files folder.")
        target.parent.mkdir(parents=True, exist_ok=True)
        return target

    def add_media(self, data: bytes, ext: str, kind: str, **fields: Any) -> dict[str, Any]:
        """Store a media file by content (``files/media/<sha256>.<ext>``); returns its reference."""
        digest = hashlib.sha256(data).hexdigest()
        name = f"media/{digest}.{ext}"
        if not (self.path / "files" / name).exists():
            self.add_file(name, data)
        ref = {"_type": kind, "path": name, "sha256": digest, "size": len(data), "format": ext}
        return {**ref, **fields}

    def close(self, state: str, runtime: float | None = None, at: float | None = None) -> None:
        """End the run as ``state`` (finished, failed, killed) or leave it ``crashed``."""
        runtime = self.runtime if runtime is None else runtime
        if self.dropped:
            self.problems.append(f"{self.dropped} rows at steps already passed were dropped")
        self.add_meta(imported={**self.fingerprint, "problems": self.problems[:100]})
        exit_record = None
        if state != "crashed":
            exit_code = 0 if state == "finished" else 1
            exit_record = {"state": state, "exit_code": exit_code, "runtime": runtime}
            exit_record.update(at=at or self.info["created_at"] + runtime, reason="imported")
            self._append("exit", exit_record)
        self._flush()
        self.log.close()
        self._write_files(state, runtime, exit_record)

    def _write_files(self, state: str, runtime: float, exit_record: Any) -> None:
        write = rundir.write_json
        write(self.path / "summary.json", self.summary)
        write(self.path / "config.json", self.config)
        write(self.path / "metadata.json", self.metadata)
        info = {**self.info, "state": state, "url": None, "dir": str(self.path)}
        info.update(next_step=self.next_step, runtime=runtime, records=self.log.offset)
        info.update(history_count=self.rows)
        if exit_record is not None:
            info["exit"] = exit_record
        write(self.path / "run.json", info)
