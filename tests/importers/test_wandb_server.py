"""Runs imported from a wandb server through the real ``wandb`` public API, against a real local
HTTP server that gives recorded answers (``tests/importers/wandbserver.py``)."""

from __future__ import annotations

import datetime
import json
import math
import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

import nbtrack
from nbtrack import importers
from nbtrack.errors import UsageError
from tests.importers import wandbparquet
from tests.importers.wandbserver import DATA, RecordedWandb

ANSWERS = json.loads((DATA / "answers.json").read_text())


def recorded_run(name: str) -> dict[str, Any]:
    return ANSWERS["Run"]["by_name"][name]["data"]["project"]["run"]  # type: ignore[no-any-return]


def recorded_history(name: str) -> list[dict[str, Any]]:
    page = ANSWERS["HistoryPage"]["by_name"][name]["data"]["project"]["run"]["history"]
    return [json.loads(line) for line in page]


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RecordedWandb]:
    """One recorded server for the module (wandb-core keeps the first base URL it is given)."""
    home = tmp_path_factory.mktemp("wandb-home")
    with RecordedWandb() as recorded, pytest.MonkeyPatch.context() as patch:
        patch.setenv("WANDB_BASE_URL", recorded.base)
        patch.setenv("WANDB_API_KEY", "k" * 40)
        for name in ("WANDB_CONFIG_DIR", "WANDB_CACHE_DIR", "WANDB_DATA_DIR", "WANDB_DIR"):
            patch.setenv(name, str(home))
        yield recorded


def test_runs_config_summary_history_and_files(server: RecordedWandb, sandbox: Path) -> None:
    report = importers.from_wandb(from_server="ent/proj", dir=sandbox, progress=False)
    assert [r.status for r in report.runs] == ["imported", "imported"], report
    assert not server.unknown
    api = nbtrack.Api.local(sandbox)
    first = api.run("run1abc")
    assert (first.name, first.project, first.entity, first.state) == (
        "bright-sky-1",
        "proj",
        "ent",
        "finished",
    )
    assert (first.tags, first.notes, first.group, first.job_type) == (
        ["base", "lr-sweep"],
        "first try",
        "grp",
        "train",
    )
    assert first.config == {"lr": 0.01, "opt": {"name": "adam"}}
    assert first.metadata["git"]["commit"] == "abc123"
    rows = list(first.scan_history())
    logged = recorded_history("run1abc")
    assert [r["_step"] for r in rows] == [r["_step"] for r in logged]
    for row, source in zip(rows, logged, strict=True):
        assert row["loss"] == source["loss"] and row["acc"] == source["acc"]
        assert row["_timestamp"] == source["_timestamp"] and row["_runtime"] == source["_runtime"]
    assert rows[2]["val.acc"] == 0.5 and rows[3]["weights"]["values"] == [3, 4]
    image = rows[4]["sample"].image()
    assert image.size == (3, 2) and image.getpixel((0, 0)) == (10, 20, 30)
    assert first.summary["best"] == 0.1 and first.summary["loss"] == 0.2
    files = {f.name for f in first.files()}
    assert {"requirements.txt", "config.yaml"} <= files
    stored = Path(str(first.dir)) / "files" / "requirements.txt"
    assert stored.read_bytes() == (DATA / "files" / "run1abc" / "requirements.txt").read_bytes()
    system = first.history(stream="system", pandas=False)
    assert [s["system.cpu"] for s in system] == [12.5, 20.0]
    when = datetime.datetime(2026, 11, 20, 10, 0, tzinfo=datetime.timezone.utc)
    assert first.created_at == when.timestamp()
    second = api.run("run2def")
    assert second.state == "crashed" and second.config == {"lr": 0.1}
    assert [r["loss"] for r in second.scan_history()] == [2.0, 1.0, 0.5]
    assert recorded_run("run2def")["state"] == "crashed"


def test_history_partly_exported_to_parquet(
    server: RecordedWandb, sandbox: Path, tmp_path: Path
) -> None:
    """Steps 0-4 come from two Parquet files (nulls where a row did not log a metric, a NaN, a
    dotted column, struct columns), steps 5-6 from the live history page."""
    files = wandbparquet.parquet_files(tmp_path / "export")
    with server.answering(wandbparquet.answers(), files):
        report = importers.from_wandb(from_server="ent/proj", dir=sandbox, progress=False)
    assert [r.status for r in report.runs] == ["imported"], report
    assert not server.unknown and set(files) <= set(server.downloads)
    run = nbtrack.Api.local(sandbox).run(wandbparquet.RUN)
    rows = list(run.scan_history())
    assert [r["_step"] for r in rows] == list(range(len(wandbparquet.LOGGED)))
    for row, logged in zip(rows, wandbparquet.LOGGED, strict=True):
        expected = _expected(logged)
        assert sorted(row) == sorted(expected), row  # no key for what a row did not log
        assert {k: v for k, v in row.items() if v == v} == {  # NaN != NaN
            k: v for k, v in expected.items() if v == v
        }
        assert isinstance(row["epoch"], int)
    assert math.isnan(rows[1]["loss"])
    summary = run.summary  # each key's last logged value, a null cell being no value
    assert (summary["loss"], summary["epoch"], summary["val.acc"]) == (0.0625, 3, 0.75)
    assert (summary["optim.lr"], summary["optim.momentum"]) == (0.05, 0.9)
    assert summary["weights"]["values"] == [3, 0]
    cache = Path(os.environ["WANDB_CACHE_DIR"])  # the module's own: wandb-core keeps it
    assert sorted(p.name for p in cache.glob("*runhistory.parquet")) == [
        f"ent_proj_{wandbparquet.RUN}_{i}.runhistory.parquet" for i in range(2)
    ]


def _expected(logged: dict[str, Any]) -> dict[str, Any]:
    """A logged row as nbtrack gives it back: nested values as dotted keys, media whole."""
    row = {k: v for k, v in logged.items() if k not in ("val", "optim")}
    for top in ("val", "optim"):
        row.update({f"{top}.{k}": v for k, v in logged.get(top, {}).items()})
    return row


def test_twice_and_dry_run_through_the_cli(server: RecordedWandb, sandbox: Path) -> None:
    env = {**os.environ, "PYTHONPATH": str(Path(__file__).resolve().parents[2])}
    base = [sys.executable, "-m", "nbtrack", "import", "wandb", "--from-server", "ent/proj"]
    base += ["--dir", str(sandbox), "--no-progress"]

    def cli(*extra: str) -> str:
        done = subprocess.run([*base, *extra], capture_output=True, text=True, env=env)
        assert done.returncode == 0, done.stderr
        return done.stdout

    assert "2 planned" in cli("--dry-run") and not list(nbtrack.Api.local(sandbox).runs())
    assert "2 imported" in cli()
    assert "2 skipped" in cli()
    assert len(list(nbtrack.Api.local(sandbox).runs())) == 2


def test_bad_project_path_and_missing_wandb(monkeypatch: pytest.MonkeyPatch) -> None:
    with pytest.raises(UsageError, match="ENTITY/PROJECT, got 'proj'"):
        importers.from_wandb(from_server="proj")
    with pytest.raises(UsageError, match="one of the two"):
        importers.from_wandb()
    monkeypatch.setitem(sys.modules, "wandb", None)
    with pytest.raises(UsageError, match=r"nbtrack\[import-wandb\]"):
        importers.from_wandb(from_server="ent/proj")
