"""The first reading of many runs, shared with a helper process, is the reading made here."""

from __future__ import annotations

import io
import math
import pickle
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from nbtrack import runlog
from nbtrack.jupyter.compare import cache, loading
from nbtrack.jupyter.compare.runlogs import LogReader
from nbtrack.jupyter.compare.sources import LocalSource


def make_runs(root: Path, count: int, steps: int) -> list[Path]:
    folders = []
    for run in range(count):
        folder = root / f"run-20260101_000000-r{run:07d}"
        folder.mkdir()
        lines = [runlog.encode("run", {"name": f"run-{run}", "project": "p"})]
        lines.append(runlog.encode("config", {"lr": 10.0**-run}))
        for step in range(steps):
            loss = math.exp(-step / 500) + 0.01 * math.sin(step + run)
            row = {"_step": step, "_runtime": step / 100, "_timestamp": 1e9 + step, "loss": loss}
            lines.append(runlog.encode("h", row | ({"spike": 9.0} if step == 77 * run else {})))
        lines.append(runlog.encode("exit", {"state": "finished"}))
        (folder / runlog.LOG_NAME).write_bytes(b"".join(lines))
        folders.append(folder)
    return folders


def readings(folders: list[Path], helper_bytes: int, monkeypatch: pytest.MonkeyPatch) -> Any:
    for folder in folders:
        (folder / cache.NAME).unlink(missing_ok=True)
    monkeypatch.setattr(loading, "HELPER_BYTES", helper_bytes)
    sources = [LocalSource(folder, 200, None, None) for folder in folders]
    readers = [source.reader for source in sources]
    loading.load(sources)
    taken = sum(
        source.reader is not reader for source, reader in zip(sources, readers, strict=True)
    )
    found = [
        (s.data.name, s.data.config, s.data.state, s.live, s.reader.offset, *points(s))
        for s in sources
    ]
    return found, taken


def points(source: LocalSource) -> list[Any]:
    return [(key, stream.points()) for key, stream in source.data.streams.items()]


def test_a_helper_reads_some_logs_and_the_readings_are_the_same(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    folders = make_runs(tmp_path, 6, 20_000)
    alone, none_taken = readings(folders, 1 << 60, monkeypatch)
    shared, taken = readings(folders, 0, monkeypatch)
    assert none_taken == 0 and 1 <= taken <= 5  # both processes read
    assert shared == alone
    assert all((folder / cache.NAME).exists() for folder in folders)  # kept by whichever read


def test_the_helper_answers_a_reader_or_none_for_a_job_it_cannot_read(tmp_path: Path) -> None:
    (folder,) = make_runs(tmp_path, 1, 50)
    jobs = io.BytesIO()
    pickle.dump((folder, 10, None, None), jobs)
    pickle.dump(("not", "a", "job"), jobs)
    jobs.seek(0)
    answers = io.BytesIO()
    loading.serve(jobs, answers)
    answers.seek(0)
    reader, failed = pickle.load(answers), pickle.load(answers)
    assert isinstance(reader, LogReader) and reader.data.streams["loss"].count == 50
    assert failed is None


def test_logs_a_helper_could_not_read_are_read_here(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    folders = make_runs(tmp_path, 4, 2_000)
    alone, _ = readings(folders, 1 << 60, monkeypatch)

    def gone() -> subprocess.Popen[bytes]:  # a helper that exits before answering
        command = [sys.executable, "-c", "pass"]
        return subprocess.Popen(command, stdin=subprocess.PIPE, stdout=subprocess.PIPE)

    monkeypatch.setattr(loading, "_start", gone)
    shared, taken = readings(folders, 0, monkeypatch)
    assert taken == 0 and shared == alone
