"""compare() keeps an ended run's reading beside its log and uses it while the log is unchanged."""

from __future__ import annotations

from pathlib import Path

import pytest

import nbtrack
from nbtrack.jupyter.compare import cache
from nbtrack.jupyter.compare.runlogs import LogReader, RunData


def make_runs(count: int, steps: int) -> list[nbtrack.Run]:
    runs = []
    for index in range(count):
        run = nbtrack.init(project="cached", config={"index": index}, reinit="create_new")
        for step in range(steps):
            run.log({"loss": (step * 7919 % 101) / (index + 1)})
        run.finish()
        runs.append(run)
    return runs


def test_a_second_compare_reads_the_cache_and_draws_the_same(
    isolated: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    runs = make_runs(2, 5000)
    first = nbtrack.compare(runs)
    assert all((Path(run.dir) / cache.NAME).is_file() for run in runs)

    def no_reading(*args: object) -> bool:
        raise AssertionError("the log was read again")

    monkeypatch.setattr(LogReader, "read", no_reading)
    second = nbtrack.compare(runs)
    assert second.series == first.series and second.runs == first.runs
    assert second.diff == first.diff


def test_a_resumed_run_is_read_again(isolated: Path) -> None:
    (run,) = make_runs(1, 100)
    before = nbtrack.compare([run]).series["loss"][run.id]
    again = nbtrack.init(project="cached", id=run.id, resume="must")
    again.log({"loss": 1234.5})
    again.finish()
    after = nbtrack.compare([run]).series["loss"][run.id]
    assert after["x"] == [*before["x"], 100.0] and after["y"][-1] == 1234.5


def test_no_cache_for_a_run_still_going(isolated: Path) -> None:
    run = nbtrack.init(project="cached")
    run.log({"loss": 1.0})
    nbtrack.compare([run])
    assert not (Path(run.dir) / cache.NAME).exists()
    run.finish()


def test_a_cache_of_every_metric_serves_a_few_of_them(
    isolated: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    run = nbtrack.init(project="cached")
    for step in range(300):
        run.log({"loss": 1 / (step + 1), "acc": step / 300})
    run.finish()
    nbtrack.compare([run])  # every metric read, and kept
    fresh = LogReader.read

    def no_reading(*args: object) -> bool:
        raise AssertionError("the log was read again")

    monkeypatch.setattr(LogReader, "read", no_reading)
    few = nbtrack.compare([run], metrics=["loss"])
    assert few.panels == ["loss"] and "acc" not in few.x_options
    monkeypatch.setattr(LogReader, "read", fresh)
    (Path(run.dir) / cache.NAME).unlink()
    assert few.series == nbtrack.compare([run], metrics=["loss"]).series


def test_a_cache_of_a_few_metrics_serves_no_others(isolated: Path) -> None:
    run = nbtrack.init(project="cached")
    run.log({"loss": 1.0, "acc": 0.5})
    run.finish()
    nbtrack.compare([run], metrics=["loss"])
    kept = LogReader(Path(run.dir), RunData(run_id=run.id), 1000, None, frozenset({"loss"}))
    assert cache.load(kept) and list(kept.data.streams) == ["loss"]
    for keys in (None, frozenset({"acc"}), frozenset({"loss", "acc"})):
        reader = LogReader(Path(run.dir), RunData(run_id=run.id), 1000, None, keys)
        assert not cache.load(reader)
    other_x = LogReader(Path(run.dir), RunData(run_id=run.id), 1000, "acc", frozenset({"loss"}))
    assert not cache.load(other_x)
