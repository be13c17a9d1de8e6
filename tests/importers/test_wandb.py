"""A wandb offline run written by wandb itself, imported and read back through Api.local()."""

from __future__ import annotations

import math
import shutil
import subprocess
from pathlib import Path
from typing import Any

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
