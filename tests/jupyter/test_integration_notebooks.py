"""The integration notebooks (Lightning, transformers, Keras) executed in real kernels."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from nbtrack import runlog
from tests.jupyter.conftest import client_for, load_notebook, run_widgets, runs_on_disk

pytestmark = [pytest.mark.slow, pytest.mark.timeout(240)]


def execute(name: str, folder: Path) -> tuple[list[str], Any]:
    """Run the notebook; answer what its code cells printed, and the client."""
    nb = load_notebook(name)
    client = client_for(nb, folder)
    client.execute()
    cells = [c for c in nb.cells if c.cell_type == "code"]
    printed = [
        "".join(o.get("text", "") for o in c.outputs if o.get("name") == "stdout") for c in cells
    ]
    return printed, client


def kinds(state: object, kind: str) -> list[dict[str, object]]:
    log = Path(state.path) / runlog.LOG_NAME  # type: ignore[attr-defined]
    return [p for _, k, p in runlog.read(log) if k == kind]


def test_lightning_notebook(isolated: Path) -> None:
    printed, _ = execute("lightning.ipynb", isolated)
    found = sorted(runs_on_disk(isolated), key=lambda s: s.config["hidden"])
    assert [s.config for s in found] == [{"hidden": 8, "lr": 0.05}, {"hidden": 16, "lr": 0.05}]
    assert all(s.state == "finished" and s.history_count > 12 for s in found)
    assert all(len(kinds(s, "artifact")) == 1 for s in found)
    rows = [r for r in kinds(found[0], "h") if "gradients/net.0.weight" in r]
    assert rows and all(r["gradients/net.0.weight"]["_type"] == "histogram" for r in rows)
    assert printed[-1].count("finished") == 2


def test_transformers_notebook(isolated: Path) -> None:
    printed, client = execute("transformers.ipynb", isolated)
    (state,) = runs_on_disk(isolated)
    assert state.state == "finished" and state.config["model_config"]["num_attention_heads"] == 2
    assert [a["type"] for a in kinds(state, "artifact")] == ["model"]
    assert "{'0': 'neg', '1': 'pos'} 0.001" in printed[-1] and "train/loss" in printed[-1]
    (widget,) = run_widgets(client)
    assert widget["status"] == "finished"


def test_keras_notebook(isolated: Path) -> None:
    printed, _ = execute("keras.ipynb", isolated)
    (state,) = runs_on_disk(isolated)
    assert state.state == "finished" and state.config == {"units": 16, "epochs": 3}
    assert len(kinds(state, "artifact")) == 3  # the checkpoint, saved each epoch
    assert any("batch/loss" in r for r in kinds(state, "h"))
    assert "epoch/val_loss" in printed[-1]
