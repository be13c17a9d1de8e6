"""Run logs read a block at a time give the points a line-by-line reading gives."""

from __future__ import annotations

import gc
import math
from pathlib import Path
from typing import Any

import orjson
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from nbtrack import runlog, series
from nbtrack.jupyter.compare import runlogs
from nbtrack.jupyter.compare.runlogs import LogReader, RunData

VALUES = st.one_of(
    st.floats(allow_nan=True, allow_infinity=True),
    st.integers(-(2**63), 2**63 - 1),
    st.booleans(),
    st.none(),
    st.text(max_size=3),
    st.just({"_type": "image-file", "path": "x.png"}),
)
ROWS = st.lists(st.dictionaries(st.sampled_from(["loss", "acc", "_hidden"]), VALUES), max_size=60)


def write(folder: Path, rows: list[dict[str, Any]], extra_every: int = 7) -> None:
    lines = [runlog.encode("nbtrack", {"format": 1, "run_id": "abc"})]
    for index, metrics in enumerate(rows):
        row = {"_step": index * 3, "_runtime": index / 10, "_timestamp": 1e9 + index, **metrics}
        lines.append(runlog.encode("h", row))
        if index % extra_every == 0:
            lines.append(runlog.encode("config", {"at": index}))
            lines.append(b"not json\n")
    lines.append(runlog.encode("exit", {"state": "finished"}))
    (folder / runlog.LOG_NAME).write_bytes(b"".join(lines))


def expected(rows: list[dict[str, Any]], key: str, samples: int) -> list[Any]:
    """What ``series.downsample`` answers over each row's value, with the row's x values."""
    steps = [index * 3 for index in range(len(rows))]
    chosen = series.downsample(steps, [row.get(key) for row in rows], samples)
    return [
        (step, value, ((step // 3) / 10, 1e9 + step // 3, None))
        for step, value in zip(*chosen, strict=True)
    ]


@settings(max_examples=60, deadline=None)
@given(rows=ROWS, chunk=st.integers(40, 400), samples=st.integers(2, 20))
def test_any_log_read_in_blocks_gives_the_shared_downsample(
    tmp_path_factory: pytest.TempPathFactory, rows: list[dict[str, Any]], chunk: int, samples: int
) -> None:
    folder = tmp_path_factory.mktemp("run")
    write(folder, rows)
    data = RunData(run_id="abc")
    reader = LogReader(folder, data, samples)
    old, runlogs.CHUNK = runlogs.CHUNK, chunk
    try:
        reader.read()
    finally:
        runlogs.CHUNK = old
    assert data.state == "finished" and data.config.get("at", 0) == max(0, (len(rows) - 1) // 7 * 7)
    for key in ("loss", "acc"):
        want = expected(rows, key, samples)
        got = data.streams[key].points() if key in data.streams else []
        assert got == want


def test_a_row_holding_nan_keeps_its_other_metrics(tmp_path: Path) -> None:
    write(tmp_path, [{"loss": 1.0, "acc": 0.5}, {"loss": math.nan, "acc": 0.75}, {"acc": 1.0}])
    data = RunData(run_id="abc")
    LogReader(tmp_path, data, 1000).read()
    assert [p[1] for p in data.streams["acc"].points()] == [0.5, 0.75, 1.0]
    assert [p[1] for p in data.streams["loss"].points()] == [1.0]


def test_lines_holding_two_records_are_not_read(tmp_path: Path) -> None:
    two = orjson.dumps(["h", {"_step": 5, "loss": 2.0}]) + b"," + runlog.encode("h", {"_step": 6})
    body = runlog.encode("h", {"_step": 1, "loss": 1.0}) + two
    (tmp_path / runlog.LOG_NAME).write_bytes(body)
    data = RunData(run_id="abc")
    LogReader(tmp_path, data, 1000).read()
    assert [p[:2] for p in data.streams["loss"].points()] == [(1, 1.0)]


def test_a_block_sets_off_no_collection_and_the_collector_is_left_as_it_was(tmp_path: Path) -> None:
    write(tmp_path, [{"loss": i / 7, "acc": 1.0} for i in range(20_000)], extra_every=5000)
    collections: list[int] = []

    def seen(phase: str, info: dict[str, int]) -> None:
        if phase == "start":
            collections.append(info["generation"])

    gc.callbacks.append(seen)
    try:
        LogReader(tmp_path, RunData(run_id="abc"), 1000).read()
        blocks = -(-(tmp_path / runlog.LOG_NAME).stat().st_size // runlogs.CHUNK)
        assert gc.isenabled() and len(collections) <= blocks and 2 not in collections
        gc.disable()
        LogReader(tmp_path, RunData(run_id="abc"), 1000).read()
        assert not gc.isenabled()
    finally:
        gc.enable()
        gc.callbacks.remove(seen)
