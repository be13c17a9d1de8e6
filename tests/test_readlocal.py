"""Reading local runs: long runs stream in flat memory; a run still being written is not edited."""

from __future__ import annotations

import tracemalloc

import pytest

import nbtrack


def test_scan_history_streams_a_long_local_run_in_flat_memory() -> None:
    run = nbtrack.init(project="long")
    for _ in range(200_000):
        run.log({"loss": 1.0, "acc": 0.5})
    run.finish()
    view = nbtrack.Api.local().run(run.id)
    tracemalloc.start()
    try:
        count = sum(1 for _ in view.scan_history())
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert count == 200_000
    assert peak < 4 << 20, peak  # a few rows at a time, not 200k of them (~100 MB)


def test_a_live_run_is_neither_updated_nor_deleted_from_outside() -> None:
    run = nbtrack.init(project="live")
    run.log({"a": 1})
    view = nbtrack.Api.local().run(run.id)
    assert view.state == "running"
    view.notes = "changed"
    with pytest.raises(ValueError, match="still being written"):
        view.update()
    with pytest.raises(ValueError, match="still being written"):
        view.delete()
    run.finish()
    view.update()
    assert nbtrack.Api.local().run(run.id).notes == "changed"
    assert nbtrack.Api.local().run(run.id).state == "finished"
