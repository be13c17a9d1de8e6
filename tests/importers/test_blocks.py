"""Long histories go through the batch readers (many rows at a time): what they write reads back
exactly as the record-by-record readers' rows, and late values still join their rows."""

from __future__ import annotations

import json
import math
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

import nbtrack
from nbtrack import importers
from nbtrack.importers.tensorboard import steporder
from nbtrack.importers.tensorboard.rows import ScalarBlocks
from nbtrack.importers.wandb import half, logfile, proto, summary
from nbtrack.importers.wandb.rows import HistoryBlocks

STEPS = 6000

TENSORBOARD = f"""
import sys
from torch.utils.tensorboard import SummaryWriter
writer = SummaryWriter(sys.argv[1] + "/long")
for i in range({STEPS}):
    writer.add_scalar("loss", 1.0 / (i + 1), i)
    writer.add_scalar("lr", float("nan") if i % 997 == 0 else 0.01 * (i % 5), i)
writer.add_scalar("late", 2.5, {STEPS} // 2)  # after later steps, inside the window
writer.close()
sparse = SummaryWriter(sys.argv[1] + "/sparse")
for i in range({STEPS}):
    sparse.add_scalar("loss", 2.0 / (i + 1), i)
    if i % 10 == 0:
        sparse.add_scalar("val", i / 7, i)
sparse.close()
"""

WANDB = f"""
import wandb
settings = wandb.Settings(silent=True)
run = wandb.init(project="long", mode="offline", id="longrun1", settings=settings)
for i in range({STEPS}):
    row = {{"loss": 1.0 / (i + 1), "acc": i / 10, "word": "w%d" % i, "pair": [i, 1]}}
    row["train"] = {{"x": i, "deep": {{"y": 2 * i}}}}
    if i % 7 == 0:
        row["nan"] = float("nan")
    if i % 1000 == 3:
        row["rare"] = i
    run.log(row)
    if i == {STEPS} // 2:
        run.summary["best"] = {{"acc": i / 10}}  # a summary record of its own, mid-run
run.log({{"loss": 3.0}}, step={STEPS} + 500)
run.summary["note"] = "done"
run.finish()
"""


@pytest.fixture(scope="module")
def long_sources(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    root = tmp_path_factory.mktemp("long")
    env = {**os.environ, "WANDB_DIR": str(root), "WANDB_SILENT": "true", "WANDB_MODE": "offline"}
    jobs = [
        subprocess.Popen([sys.executable, "-c", TENSORBOARD, str(root / "tb")], env=env),
        subprocess.Popen([sys.executable, "-c", WANDB], cwd=root, env=env),
    ]
    for job in jobs:
        assert job.wait(timeout=600) == 0
    return {"tb": root / "tb", "wandb": next((root / "wandb").glob("offline-run-*"))}


def read_back(out: Path, name: str | None = None) -> tuple[list[str], dict[str, Any]]:
    runs = nbtrack.Api.local(out).runs()
    run = next(r for r in runs if name in (None, r.name))
    rows = [json.dumps(row, sort_keys=True) for row in run.scan_history()]
    return rows, dict(run.summary)


def counting(monkeypatch: pytest.MonkeyPatch, owner: Any, name: str) -> list[int]:
    """Counts the batches ``owner.name`` turned into a block (not None)."""
    made: list[int] = []
    original = getattr(owner, name)

    def spy(*args: Any) -> Any:
        got = original(*args)
        made.append(got is not None)
        return got

    monkeypatch.setattr(owner, name, spy)
    return made


def one_by_one(monkeypatch: pytest.MonkeyPatch, owner: Any, name: str) -> None:
    monkeypatch.setattr(owner, name, lambda *args: None)


def same_summary(a: dict[str, Any], b: dict[str, Any]) -> bool:
    return json.dumps(a, sort_keys=True, default=str) == json.dumps(b, sort_keys=True, default=str)


def test_tensorboard_blocks_read_back_as_events_one_by_one(
    long_sources: dict[str, Path], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    same = counting(monkeypatch, ScalarBlocks, "_same_tags")
    other = counting(monkeypatch, ScalarBlocks, "_any_tags")
    opened = counting(monkeypatch, steporder.StepOrder, "_open")
    report = importers.from_tensorboard(long_sources["tb"], dir=tmp_path / "a", progress=False)
    assert [r.rows for r in report.runs] == [STEPS, STEPS] and sum(same) and sum(other)
    assert opened
    one_by_one(monkeypatch, ScalarBlocks, "block")
    importers.from_tensorboard(long_sources["tb"], dir=tmp_path / "b", progress=False)
    for name in ("long", "sparse"):
        fast, slow = read_back(tmp_path / "a", name), read_back(tmp_path / "b", name)
        assert fast[0] == slow[0] and same_summary(fast[1], slow[1])
    sparse = [json.loads(row) for row in read_back(tmp_path / "a", "sparse")[0]]
    assert sparse[20]["val"] == pytest.approx(20 / 7) and "val" not in sparse[21]
    fast = read_back(tmp_path / "a", "long")
    rows = [json.loads(row) for row in fast[0]]
    assert [row["_step"] for row in rows] == list(range(STEPS))
    assert rows[STEPS // 2]["late"] == 2.5 and "late" not in rows[STEPS // 2 + 1]
    assert rows[10]["loss"] == pytest.approx(1 / 11, rel=1e-6) and rows[4]["lr"] == pytest.approx(
        0.04
    )
    assert all(math.isnan(rows[i]["lr"]) for i in range(0, STEPS, 997))


def test_wandb_blocks_read_back_as_records_one_by_one(
    long_sources: dict[str, Path], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    made = counting(monkeypatch, HistoryBlocks, "lines")
    summaries = counting(monkeypatch, summary, "summary_updates")
    report = importers.from_wandb(long_sources["wandb"], dir=tmp_path / "a", progress=False)
    assert report.runs[0].rows == STEPS + 1 and sum(made) >= 1 and sum(summaries) >= 1
    fast = read_back(tmp_path / "a")
    one_by_one(monkeypatch, HistoryBlocks, "lines")
    one_by_one(monkeypatch, summary, "summary_updates")
    importers.from_wandb(long_sources["wandb"], dir=tmp_path / "b", progress=False)
    slow = read_back(tmp_path / "b")
    assert fast[0] == slow[0] and same_summary(fast[1], slow[1])
    rows = [json.loads(row) for row in fast[0]]
    assert rows[5]["word"] == "w5" and rows[5]["pair"] == [5, 1] and rows[1003]["rare"] == 1003
    assert rows[7]["train.x"] == 7 and rows[7]["train.deep.y"] == 14
    assert math.isnan(rows[14]["nan"]) and rows[-1]["_step"] == STEPS + 500
    assert fast[1]["loss"] == 3.0


def test_a_long_log_read_in_two_halves_reads_back_as_read_by_one(
    long_sources: dict[str, Path], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    importers.from_wandb(long_sources["wandb"], dir=tmp_path / "one", progress=False)
    alone = read_back(tmp_path / "one")
    log = next(long_sources["wandb"].glob("*.wandb"))
    data = log.read_bytes()
    blocks = len(data) // logfile.BLOCK
    starts = {b: data[b * logfile.BLOCK + 6] for b in range(1, blocks)}  # first chunk's type
    split = next(b for b, kind in starts.items() if kind in (logfile.MIDDLE, logfile.LAST))
    whole = next(b for b, kind in starts.items() if kind == logfile.FULL)
    read: list[Any] = []
    monkeypatch.setattr(half.Half, "segments", spying(half.Half.segments, read))
    spooled: list[Path] = []  # the helper's temporary files: beside the runs, then gone
    monkeypatch.setattr(half.Half, "__exit__", spying(half.Half.__exit__, [], spooled))
    for turn, middle in enumerate((split, whole, 1, blocks - 1)):
        monkeypatch.setattr(half, "middle", lambda log, at=middle: at)
        out = tmp_path / f"half{turn}"
        report = importers.from_wandb(long_sources["wandb"], dir=out, progress=False)
        assert report.runs[0].status == "imported", report.runs[0].problems
        halves = read_back(out)
        assert halves[0] == alone[0] and same_summary(halves[1], alone[1]), middle
        assert nbtrack.Api.local(out).runs()[0].state == "finished"  # the exit record: late
    assert len(read) == 4 and all(r is not None for r in read)
    runs = [
        Path(run.dir).parent
        for turn in range(4)
        for run in nbtrack.Api.local(tmp_path / f"half{turn}").runs()
    ]
    assert [path.parent for path in spooled] == runs and not any(p.exists() for p in spooled)
    assert alone[1]["best"] == {"acc": STEPS / 20} and alone[1]["note"] == "done"


def test_without_its_helper_this_process_reads_the_second_half(
    long_sources: dict[str, Path], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    importers.from_wandb(long_sources["wandb"], dir=tmp_path / "one", progress=False)
    monkeypatch.setattr(half, "HALF_BYTES", 0)
    failing = [sys.executable, "-c", "raise SystemExit(3)"]
    monkeypatch.setattr(
        half, "_start", lambda *args: subprocess.Popen(failing, stdin=subprocess.DEVNULL)
    )
    report = importers.from_wandb(long_sources["wandb"], dir=tmp_path / "two", progress=False)
    assert report.runs[0].status == "imported" and report.runs[0].rows == STEPS + 1
    alone, again = read_back(tmp_path / "one"), read_back(tmp_path / "two")
    assert again[0] == alone[0] and same_summary(again[1], alone[1])


def test_a_later_fold_is_laid_over_an_earlier_one() -> None:
    pb = proto.records()

    def fold(update: dict[str, str], remove: list[str]) -> summary.Fold:
        record = pb.SummaryRecord()
        for key, text in update.items():
            record.update.add(key=key, value_json=text)
        for key in remove:
            record.remove.add(key=key)
        done = summary.Fold(pb)
        done.add([record.SerializeToString()])
        done.flush()
        return done

    first = fold({"a": "1", "b": "2", "c": "3"}, [])
    second = fold({"b": "5", "d": "6"}, ["a", "x"])
    first.after(second.summary, second.removed)
    assert first.summary == {"b": "5", "c": "3", "d": "6"} and first.removed == {"a", "x"}


def test_a_recurring_summary_record_counts_where_it_last_comes() -> None:
    pb = proto.records()

    def record(update: dict[str, str], remove: tuple[str, ...] = ()) -> bytes:
        made = pb.SummaryRecord()
        for key, text in update.items():
            made.update.add(key=key, value_json=text)
        for key in remove:
            made.remove.add(key=key)
        return bytes(made.SerializeToString())

    runtime, other, gone = record({"t": "1"}), record({"t": "2", "x": "0"}), record({}, ("t",))
    for payloads, expected in (
        ([runtime, other, runtime], {"t": "1", "x": "0"}),
        ([runtime, gone, runtime, other], {"t": "2", "x": "0"}),
        ([runtime, other, runtime, gone], {"x": "0"}),
    ):
        folded = summary.Fold(pb)
        folded.add(payloads * 3)
        folded.flush()
        assert folded.summary == expected, payloads


def spying(method: Any, calls: list[Any], paths: list[Path] | None = None) -> Any:
    def spy(self: Any, *args: Any) -> Any:
        got = method(self, *args)
        calls.append(got)
        if paths is not None:
            paths.append(self.path)
        return got

    return spy


def test_a_block_opens_for_a_late_value_and_leaves_whole() -> None:
    written: list[Any] = []
    rows = steporder.StepOrder(3, written.append, written.append)
    text = b"".join(b'["h",{"_step":%d,"a":1}]\n' % step for step in (1, 2, 3))
    rows.add_block(steporder.Block(1, 3, 3, text, 0.0, {}))
    assert not written and rows.row(0, lambda: {"_step": 0}) is not None  # a late row
    late = rows.row(2, dict)
    assert late == {"_step": 2, "a": 1}  # the block became rows
    late["b"] = 2
    block = steporder.Block(4, 9, 6, b"", 0.0, {})
    rows.add_block(block)
    assert [r["_step"] for r in written] == [0, 1, 2, 3] and written[2]["b"] == 2
    rows.flush()
    assert written[-1] is block
