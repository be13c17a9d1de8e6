"""A wandb offline run written by wandb itself, imported and read back through Api.local()."""

from __future__ import annotations

import math
import shutil
import subprocess
from pathlib import Path
from typing import Any

import pytest

import nbtrack
from nbtrack import importers


def wandb_run(sources: dict[str, Any], name: str = "wandb") -> tuple[Path, Any]:
    folder, expected = sources[name]
    runs = sorted((folder / "wandb").glob("offline-run-*"))
    assert len(runs) == 1, runs
    return runs[0], expected


def test_a_finished_run_reads_back_as_logged(sources: dict[str, Any], sandbox: Path) -> None:
    run_dir, expected = wandb_run(sources)
    report = importers.from_wandb(run_dir, dir=sandbox, progress=False)
    assert [r.status for r in report.runs] == ["imported"], report
    run = nbtrack.Api.local(sandbox).run("goodrun1")
    assert (run.name, run.project, run.state) == ("good-run", "imported", "finished")
    assert (run.tags, run.notes, run.group, run.job_type) == (
        ["a", "b"],
        "the notes",
        "grp",
        "train",
    )
    assert run.config == {"lr": 0.1, "opt": {"name": "adam"}}
    rows = list(run.scan_history())
    assert [r["_step"] for r in rows] == [0, 1, 2, 3, 4, 5, 9]
    for row, logged in zip(rows, expected["rows"], strict=False):
        assert row["loss"] == logged["loss"] and row["acc"] == logged["acc"]
        assert row["train.x"] == logged["train"]["x"]
        assert row["_timestamp"] > 1.7e9 and row["_runtime"] >= 0
    assert math.isnan(rows[2]["weird"])
    assert run.summary["best"] == 0.5 and run.summary["loss"] == expected["rows"][-1]["loss"]


def test_media_files_and_system_metrics(sources: dict[str, Any], sandbox: Path) -> None:
    run_dir, _ = wandb_run(sources)
    importers.from_wandb(run_dir, dir=sandbox, progress=False)
    run = nbtrack.Api.local(sandbox).run("goodrun1")
    last = list(run.scan_history())[-1]
    image = last["img"].image()
    assert image.size == (4, 4) and image.getpixel((1, 0)) == (15, 20, 25)
    assert last["hist"] == {"_type": "histogram", "bins": [0, 1, 2, 3], "values": [1, 2, 3]}
    assert "requirements.txt" in {f.name for f in run.files()}
    assert (Path(str(run.dir)) / "files" / "requirements.txt").read_bytes() == (
        run_dir / "files" / "requirements.txt"
    ).read_bytes()
    system = run.history(stream="system", pandas=False)
    assert system and all(k.startswith(("system.", "_")) for row in system for k in row)
    assert run.metadata["python"] and run.metadata["imported"]["source"] == "wandb"
    head = subprocess.run(
        ["git", "rev-parse", "HEAD"], cwd=run_dir.parent.parent, capture_output=True, text=True
    )
    assert run.metadata["git"]["commit"] == head.stdout.strip()


def test_importing_twice_creates_nothing_new(sources: dict[str, Any], sandbox: Path) -> None:
    run_dir, _ = wandb_run(sources)
    importers.from_wandb(run_dir.parent, dir=sandbox, progress=False)
    again = importers.from_wandb(run_dir.parent, dir=sandbox, progress=False)
    assert [(r.status, r.run_id) for r in again.runs] == [("skipped", "goodrun1")]
    assert len(nbtrack.Api.local(sandbox).runs()) == 1


def test_dry_run_writes_nothing(sources: dict[str, Any], sandbox: Path) -> None:
    run_dir, _ = wandb_run(sources)
    report = importers.from_wandb(run_dir, dir=sandbox, dry_run=True)
    assert [(r.status, r.name) for r in report.runs] == [("planned", "good-run")]
    assert not (sandbox / "nbtrack").exists() or not list((sandbox / "nbtrack").iterdir())


def test_a_clashing_id_gets_a_new_one(sources: dict[str, Any], sandbox: Path) -> None:
    run_dir, _ = wandb_run(sources)
    nbtrack.init(id="goodrun1", project="mine", dir=str(sandbox)).finish()
    report = importers.from_wandb(run_dir, dir=sandbox, progress=False)
    new_id = report.runs[0].run_id
    assert new_id != "goodrun1" and nbtrack.Api.local(sandbox).run(str(new_id)).name == "good-run"
    fresh = importers.from_wandb(run_dir, dir=sandbox / "other", new_ids=True, progress=False)
    assert fresh.runs[0].run_id != "goodrun1"


def test_a_run_that_died_imports_as_crashed(sources: dict[str, Any], sandbox: Path) -> None:
    run_dir, _ = wandb_run(sources, "wandb-crash")
    importers.from_wandb(run_dir, dir=sandbox, progress=False)
    run = nbtrack.Api.local(sandbox).run("crashrun")
    steps = [r["_step"] for r in run.scan_history()]
    assert run.state == "crashed" and len(steps) > 6 and steps == list(range(len(steps)))


def damaged_copy(run_dir: Path, folder: Path, damage: Any) -> Path:
    copy = folder / run_dir.name
    shutil.copytree(run_dir, copy)
    log = next(copy.glob("*.wandb"))
    log.write_bytes(damage(bytearray(log.read_bytes())))
    return copy


def garbage_in_the_middle(data: bytearray) -> bytes:
    data[len(data) // 2 : len(data) // 2 + 40] = b"\xff" * 40
    return bytes(data)


def test_a_damaged_block_costs_that_block(sources: dict[str, Any], sandbox: Path) -> None:
    run_dir, _ = wandb_run(sources, "wandb-crash")  # thousands of rows: many 32 KiB blocks
    copy = damaged_copy(run_dir, sandbox / "damaged", garbage_in_the_middle)
    report = importers.from_wandb(copy, dir=sandbox, progress=False)
    assert report.runs[0].status == "partial"
    assert any("damaged data" in p for p in report.runs[0].problems), report.runs[0].problems
    run = nbtrack.Api.local(sandbox).run("crashrun")
    steps = [r["_step"] for r in run.scan_history()]
    assert 0 < len(steps) < steps[-1] + 1  # rows before and after the lost block, a gap between
    assert all(r["loss"] == 1.0 / (r["_step"] + 1) for r in run.scan_history())
    assert run.metadata["imported"]["problems"] == report.runs[0].problems


def test_a_torn_end_imports_what_is_readable(sources: dict[str, Any], sandbox: Path) -> None:
    run_dir, expected = wandb_run(sources)
    copy = damaged_copy(run_dir, sandbox / "torn", lambda data: bytes(data[:-30]))
    report = importers.from_wandb(copy, dir=sandbox, progress=False)
    assert report.runs[0].status == "partial"
    assert any("torn record" in p for p in report.runs[0].problems), report.runs[0].problems
    run = nbtrack.Api.local(sandbox).run("goodrun1")
    assert run.config["lr"] == 0.1 and run.state == "crashed"
    losses = [r["loss"] for r in run.scan_history() if "loss" in r]
    assert losses == [r["loss"] for r in expected["rows"]]


def test_not_a_wandb_file_is_reported(sandbox: Path, tmp_path: Path) -> None:
    bogus = tmp_path / "run-x.wandb"
    bogus.write_bytes(b"not a wandb file at all")
    report = importers.from_wandb([bogus, tmp_path / "missing"], dir=sandbox, progress=False)
    assert report.runs[0].status == "partial" and "not a .wandb file" in report.runs[0].problems[0]
    assert "no wandb run" in report.problems[0] and not report.ok


def test_values_wandb_would_not_write_are_left_out_and_reported(sandbox: Path) -> None:
    from nbtrack.importers.wandb import proto
    from tests.importers.wandblog import write_log

    pb = proto.records()
    records = [pb.Record(), pb.Record()]
    records[0].run.run_id, records[0].run.project = "oddvalues", "odd"
    records[0].run.start_time.seconds = 1_800_000_000
    rows = [
        {"_step": "0", "_runtime": "1.0", "_timestamp": "1800000001.0", "x": "1"},
        {"_step": "1", "_runtime": "2.0", "_timestamp": "1800000002.0", "x": "[1,\n2]"},
        {"_step": "2", "_runtime": "3.0", "_timestamp": "1800000003.0", "x": "1 2", "y": "5"},
        {"_step": "3", "_runtime": "4.0", "_timestamp": "1800000004.0", "x": "[3,\r4]"},
        {"_step": '"four"', "_runtime": "5.0", "_timestamp": "1800000005.0", "x": "4"},
        {"_step": "5", "_runtime": "true", "_timestamp": "1800000006.0", "x": "NaN"},
    ]
    for number, row in enumerate(rows):
        record = pb.Record()
        record.history.step.num = number
        for key, text in row.items():
            record.history.item.add(nested_key=[key], value_json=text)
        records.insert(-1, record)
    records[-1].exit.exit_code = 0
    others = [pb.Record(), pb.Record(), pb.Record()]  # config, system metrics, summary
    others[0].config.update.add(key="lr", value_json="0.1")
    others[0].config.update.add(key="opt", value_json="{adam")
    others[1].stats.timestamp.seconds = 1_800_000_003
    others[1].stats.item.add(key="cpu", value_json="12.5")
    others[1].stats.item.add(key="gpu", value_json="[")
    others[2].summary.update.add(key="best", value_json="0.5")
    others[2].summary.update.add(key="note", value_json="x y")
    records[1:1] = others
    folder = sandbox.parent / "wandb" / "offline-run-20270101_000000-oddvalues"
    folder.mkdir(parents=True)
    write_log(folder / "run-oddvalues.wandb", [r.SerializeToString() for r in records])
    planned = importers.from_wandb(folder, dir=sandbox, dry_run=True)  # a run with no name
    assert [(r.status, r.run_id, r.name) for r in planned.runs] == [("planned", "oddvalues", None)]
    assert f"planned {folder} -> oddvalues" in str(planned)
    report = importers.from_wandb(folder, dir=sandbox, progress=False)
    problems = report.runs[0].problems
    assert report.runs[0].status == "partial" and problems == [
        "config: opt = '{adam' left out (not JSON)",
        "stats: system.gpu = '[' left out (not JSON)",
        "a history row: x = '1 2' left out (not JSON)",
        "a history row: _step = 'four' left out (not a step)",
        "a history row: _runtime = True left out (not a number)",
        "summary: note = 'x y' left out (not JSON)",
    ]
    run = nbtrack.Api.local(sandbox).run("oddvalues")
    assert run.config == {"lr": 0.1} and run.summary["best"] == 0.5 and "note" not in run.summary
    assert [s["system.cpu"] for s in run.history(stream="system", pandas=False)] == [12.5]
    got = list(run.scan_history())
    assert [r["_step"] for r in got] == [0, 1, 2, 3, 4, 5]
    assert [r.get("x") for r in got[:5]] == [1, [1, 2], None, [3, 4], 4]
    assert got[2]["y"] == 5 and math.isnan(got[5]["x"]) and got[5]["_runtime"] == 6.0
    assert run.state == "finished"


@pytest.mark.parametrize("garbled", [False, True])
def test_records_that_only_look_like_history_are_read_one_by_one(
    sandbox: Path, garbled: bool
) -> None:
    from nbtrack.importers.wandb import proto
    from tests.importers.wandblog import write_log

    pb = proto.records()
    start = pb.Record()
    start.run.run_id, start.run.project = "lookalike", "odd"
    start.run.start_time.seconds = 1_800_000_000
    rows = []
    for step in range(4):
        row = pb.Record()
        for key, text in (("_step", str(step)), ("_runtime", "1.0"), ("x", str(step))):
            row.history.item.add(nested_key=[key], value_json=text)
        rows.append(row.SerializeToString())
    ended = pb.Record()
    ended.exit.exit_code = 0
    rows[1] += ended.SerializeToString()  # a history record holding an exit too (wandb: exit)
    if garbled:
        rows[2] = b"\x12\xff\x01"  # a history field longer than the record: not protobuf at all
    folder = sandbox.parent / "wandb" / "offline-run-20270101_000000-lookalike"
    folder.mkdir(parents=True)
    write_log(folder / "run-lookalike.wandb", [start.SerializeToString(), *rows])
    report = importers.from_wandb(folder, dir=sandbox, progress=False)
    problems = report.runs[0].problems
    assert [p.split(":")[0] for p in problems] == ["unreadable record"] * garbled, problems
    run = nbtrack.Api.local(sandbox).run("lookalike")
    kept = [0, 3] if garbled else [0, 2, 3]
    assert [r["x"] for r in run.scan_history()] == kept and run.state == "finished"
