"""Run logs decoded by msgspec (only the keys asked for) give the points a JSON reading gives."""

from __future__ import annotations

import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from nbtrack import runlog
from nbtrack.jupyter.compare import runlogs, typed
from nbtrack.jupyter.compare.runlogs import LogReader, RunData

VALUES = st.one_of(
    st.floats(allow_nan=False, allow_infinity=False),
    st.floats(allow_nan=True, allow_infinity=True),
    st.integers(-(2**63), 2**63 - 1),
    st.booleans(),
    st.none(),
    st.text(max_size=3),
    st.just({"_type": "image-file", "path": "x.png"}),
)
KEYS = st.sampled_from(["loss", "acc", "epoch", "_hidden", "val/loss", 'q"uote', "é"])
ROWS = st.lists(
    st.one_of(
        st.dictionaries(KEYS, VALUES, max_size=4),
        st.fixed_dictionaries({"loss": st.floats(-10, 10), "acc": st.floats(0, 1)}),
    ),
    max_size=80,
)
STEPS = st.lists(st.integers(0, 5), min_size=80, max_size=80)  # gaps, repeats: steps that fall


def write(folder: Path, rows: list[dict[str, Any]], gaps: list[int]) -> None:
    lines = [runlog.encode("nbtrack", {"format": 1, "run_id": "abc"})]
    step = 0
    for index, metrics in enumerate(rows):
        step += gaps[index] - 1
        row = {"_step": step, "_runtime": index / 10, "_timestamp": 1e9 + index, **metrics}
        lines.append(runlog.encode("h", row))
        if index % 11 == 5:
            lines.append(runlog.encode("config", {"at": index}))
        if index % 13 == 7:
            lines.append(runlog.encode("summary", {"loss": 0.5}))
            lines.append(runlog.encode("metric", {"name": "loss", "step_metric": "epoch"}))
    lines.append(runlog.encode("exit", {"state": "finished"}))
    (folder / runlog.LOG_NAME).write_bytes(b"".join(lines))


@contextmanager
def decoded() -> Iterator[list[bool]]:
    """Record, per block, whether msgspec decoded it (True) or it was read as JSON."""
    seen: list[bool] = []
    original = typed.Decoding.decode

    def decode(self: typed.Decoding, block: bytes) -> list[Any] | None:
        records = original(self, block)
        seen.append(records is not None)
        return records

    typed.Decoding.decode = decode  # type: ignore[method-assign]
    try:
        yield seen
    finally:
        typed.Decoding.decode = original  # type: ignore[method-assign]


def reading(folder: Path, chunk: int, typed_path: bool, **options: Any) -> RunData:
    data = RunData(run_id="abc")
    reader = LogReader(folder, data, options.pop("samples", 7), **options)
    old_chunk, old_decoding = runlogs.CHUNK, typed.decoding
    runlogs.CHUNK = chunk
    if not typed_path:
        typed.decoding = lambda keys, closed: None  # type: ignore[assignment]
    try:
        reader.read()
    finally:
        runlogs.CHUNK, typed.decoding = old_chunk, old_decoding
    return data


def points(data: RunData) -> dict[str, Any]:
    return {key: stream.points() for key, stream in data.streams.items()}


@settings(max_examples=80, deadline=None)
@given(
    rows=ROWS,
    gaps=STEPS,
    chunk=st.integers(60, 3000),
    x_key=st.sampled_from([None, "epoch", "acc"]),
    keys=st.sampled_from([None, frozenset({"loss"}), frozenset({"acc", "é"})]),
)
def test_any_log_decoded_gives_the_points_json_gives(
    tmp_path_factory: pytest.TempPathFactory,
    rows: list[dict[str, Any]],
    gaps: list[int],
    chunk: int,
    x_key: str | None,
    keys: frozenset[str] | None,
) -> None:
    folder = tmp_path_factory.mktemp("run")
    write(folder, rows, gaps)
    options = {"x_key": x_key, "keys": keys}
    want = reading(folder, chunk, False, **options)
    got = reading(folder, chunk, True, **options)
    assert points(got) == points(want)
    assert (got.config, got.metrics, got.state) == (want.config, want.metrics, want.state)


def test_plain_rows_are_decoded_and_a_new_key_is_learned(tmp_path: Path) -> None:
    rows: list[dict[str, Any]] = [{"loss": i / 3, "acc": 1 - i / 900} for i in range(600)]
    rows[400]["val_loss"] = 0.25  # a key the first rows did not hold
    write(tmp_path, rows, [2] * 600)
    with decoded() as seen:
        got = reading(tmp_path, 4096, True, samples=50)
    want = reading(tmp_path, 4096, False, samples=50)
    assert points(got) == points(want) and "val_loss" in got.streams
    assert seen.count(False) == 1 and seen.count(True) >= 5  # only the new key's block as JSON


def test_without_msgspec_every_block_is_read_as_json(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    rows: list[dict[str, Any]] = [{"loss": i / 3} for i in range(300)]
    write(tmp_path, rows, [2] * 300)
    want = reading(tmp_path, 4096, False, samples=50)
    monkeypatch.setitem(sys.modules, "msgspec", None)  # import msgspec raises ImportError
    typed.decoding.cache_clear()
    try:
        assert typed.decoding(typed.keys_of({"loss"}, None), True) is None
        assert points(reading(tmp_path, 4096, True, samples=50)) == points(want)
    finally:
        typed.decoding.cache_clear()
