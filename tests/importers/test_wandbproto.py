"""wandb's record definitions read from its generated files, without importing wandb."""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from nbtrack import importers
from nbtrack.errors import UsageError
from nbtrack.importers.wandb import proto


@pytest.fixture
def fresh() -> Iterator[None]:
    proto.records.cache_clear()
    yield
    proto.records.cache_clear()


def test_the_definitions_load_without_importing_wandb() -> None:
    code = (
        "import sys\n"
        "from nbtrack.importers.wandb import proto\n"
        "records = proto.records()\n"
        "record = records.Record(num=3)\n"
        "record.history.item.add(nested_key=['a', 'b'], value_json='1.5')\n"
        "again = records.Record.FromString(record.SerializeToString())\n"
        "print(type(records).__name__, again.history.item[0].nested_key[1], 'wandb' in sys.modules)"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert done.stdout.split() == ["Records", "b", "False"]


def test_they_are_wandbs_own(fresh: None, monkeypatch: pytest.MonkeyPatch) -> None:
    from wandb.proto import wandb_internal_pb2

    monkeypatch.delitem(sys.modules, "wandb")  # as in a process that has not imported wandb
    ours = proto.records()
    assert isinstance(ours, proto.Records)
    theirs = wandb_internal_pb2.Record.DESCRIPTOR.file.serialized_pb
    assert ours.Record.DESCRIPTOR.file.serialized_pb == theirs
    for name in ("HistoryRecord", "HistoryItem", "SummaryRecord", "SummaryItem", "StatsRecord"):
        assert getattr(ours, name).DESCRIPTOR.full_name == f"wandb_internal.{name}"
    with pytest.raises(AttributeError):
        _ = ours.NoSuchMessage


def test_when_wandb_is_imported_its_module_is_used(fresh: None) -> None:
    from wandb.proto import wandb_internal_pb2

    assert proto.records() is wandb_internal_pb2


def test_without_wandb_the_error_names_the_extra(
    fresh: None, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setitem(sys.modules, "wandb", None)  # imported, but unusable
    monkeypatch.setitem(sys.modules, "wandb.proto", None)
    with pytest.raises(UsageError, match=r"nbtrack\[import-wandb\]"):
        importers.from_wandb(".")
    monkeypatch.delitem(sys.modules, "wandb")  # not installed at all
    monkeypatch.delitem(sys.modules, "wandb.proto")
    site = {str(Path(p)) for p in sys.path if (Path(p) / "wandb").is_dir()}
    monkeypatch.setattr(sys, "path", [p for p in sys.path if str(Path(p)) not in site])
    with pytest.raises(UsageError, match=r"nbtrack\[import-wandb\].*no module named 'wandb'"):
        importers.from_wandb(".")
