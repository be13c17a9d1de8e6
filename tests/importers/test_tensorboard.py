"""TensorBoard event files written by torch.utils.tensorboard, imported and read back."""

from __future__ import annotations

import shutil
from pathlib import Path
from typing import Any

import pytest

import nbtrack
from nbtrack import importers
from nbtrack.cli import main


def runs_by_name(sandbox: Path) -> dict[str, Any]:
    return {run.name: run for run in nbtrack.Api.local(sandbox).runs()}


def test_every_run_folder_becomes_a_run(sources: dict[str, Any], sandbox: Path) -> None:
    logdir, expected = sources["tensorboard"]
    report = importers.from_tensorboard(logdir, dir=sandbox, project="tb", progress=False)
    assert sorted(r.source.split("/")[-1] for r in report.runs) == ["eval", "hp", "train"]
    runs = runs_by_name(sandbox)
    assert sorted(runs) == ["eval", "train", "train/hp"]
    train = runs["train"]
    assert train.project == "tb" and train.state == "finished"
    rows = list(train.scan_history())
    assert [r["_step"] for r in rows] == list(range(8))
    assert [r["loss"] for r in rows] == pytest.approx(expected["losses"], rel=1e-6)
    assert all(r["lr"] == pytest.approx(0.01) for r in rows)
    assert all(r["_timestamp"] > 1.7e9 and r["_runtime"] >= 0 for r in rows)
    assert train.summary["loss"] == pytest.approx(expected["losses"][-1], rel=1e-6)


def test_histograms_images_and_hparams(sources: dict[str, Any], sandbox: Path) -> None:
    logdir, _ = sources["tensorboard"]
    report = importers.from_tensorboard(logdir, dir=sandbox, progress=False)
    runs = runs_by_name(sandbox)
    rows = {r["_step"]: r for r in runs["train"].scan_history()}
    histogram = rows[3]["weights"]
    assert histogram["_type"] == "histogram" and sum(histogram["values"]) == 5
    assert len(histogram["bins"]) == len(histogram["values"]) + 1
    image = rows[2]["sample"].image()
    assert image.size == (6, 5) and image.getpixel((0, 0))[:3] == (127, 127, 127)
    hp = runs["train/hp"]
    assert hp.config == {"lr": 0.01, "opt": "sgd", "layers": 3.0}
    assert [r["hparam/best"] for r in hp.scan_history()] == [0.75]
    train = next(r for r in report.runs if r.source.endswith("train"))
    assert (
        train.status == "partial"
        and "note/text_summary: TensorBoard text data" in train.problems[0]
    )


def test_cli_twice_and_dry_run(sources: dict[str, Any], sandbox: Path, capsys: Any) -> None:
    logdir, _ = sources["tensorboard"]
    base = ["import", "tensorboard", str(logdir), "--dir", str(sandbox), "--no-progress"]
    assert main([*base, "--dry-run"]) == 0
    assert "3 planned" in capsys.readouterr().out and not runs_by_name(sandbox)
    assert main([*base, "--project", "p"]) == 0
    assert main(base) == 0
    assert "3 skipped" in capsys.readouterr().out and len(runs_by_name(sandbox)) == 3


def test_a_truncated_event_file(sources: dict[str, Any], sandbox: Path, tmp_path: Path) -> None:
    logdir, _ = sources["tensorboard"]
    copy = tmp_path / "logs" / "train"
    shutil.copytree(logdir / "train", copy, ignore=shutil.ignore_patterns("hp"))
    events = next(copy.glob("*tfevents*"))
    data = bytearray(events.read_bytes())
    data[200] ^= 0xFF  # a damaged record early on
    events.write_bytes(bytes(data[:-20]))  # and a torn end
    report = importers.from_tensorboard(copy.parent, dir=sandbox, progress=False)
    problems = report.runs[0].problems
    assert report.runs[0].status == "partial" and report.runs[0].rows > 0
    assert any("damaged" in p for p in problems) and any("torn" in p for p in problems)


def test_not_a_folder(sandbox: Path) -> None:
    assert main(["import", "tensorboard", "nowhere", "--dir", str(sandbox)]) == 2
