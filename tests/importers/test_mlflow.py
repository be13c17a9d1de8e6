"""An MLflow SQLite store written by mlflow, imported and read back."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

import nbtrack
from nbtrack import importers


def test_runs_of_an_experiment(sources: dict[str, Any], sandbox: Path) -> None:
    folder, expected = sources["mlflow"]
    uri = f"sqlite:///{folder}/mlflow.db"
    report = importers.from_mlflow(uri, ["exp-one"], dir=sandbox, progress=False)
    assert sorted(r.status for r in report.runs) == ["imported", "imported"], report
    api = nbtrack.Api.local(sandbox)
    run = api.run(expected["run_id"])
    assert (run.name, run.project, run.state) == ("ml-run", "exp-one", "finished")
    assert run.config == {"lr": "0.1", "opt": "adam"}
    assert run.tags == ["team:vision"] and run.notes == "ml notes"
    assert run.created_at == pytest.approx(expected["start"] / 1000)
    rows = list(run.scan_history())
    assert [r["_step"] for r in rows] == [0, 1, 2, 3]
    assert [r["loss"] for r in rows] == [1.0, 0.5, 1 / 3, 0.25]
    assert [r["_timestamp"] for r in rows] == [1.8e9, 1.8e9 + 1, 1.8e9 + 2, 1.8e9 + 3]
    assert rows[3]["acc"] == 0.9 and "acc" not in rows[2]
    assert run.metadata["mlflow"]["tags"]["team"] == "vision"
    assert (Path(str(run.dir)) / "files" / "models" / "model.txt").read_text() == "weights"
    assert api.run(expected["failed_id"]).state == "failed"
    again = importers.from_mlflow(uri, dir=sandbox, progress=False)
    assert sorted(r.status for r in again.runs) == ["skipped", "skipped"]


def test_an_unknown_experiment_is_reported(sources: dict[str, Any], sandbox: Path) -> None:
    folder, _ = sources["mlflow"]
    report = importers.from_mlflow(f"sqlite:///{folder}/mlflow.db", ["nope"], dir=sandbox)
    assert report.problems == ["no MLflow experiment named 'nope'"] and not report.ok
