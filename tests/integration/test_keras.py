"""Keras 3 callbacks with the torch backend (no TensorFlow): fit on a tiny model from code."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import pytest

os.environ["KERAS_BACKEND"] = "torch"
import keras
import numpy as np

import nbtrack
from nbtrack import runlog
from nbtrack.integration.keras import NbtrackMetricsLogger, NbtrackModelCheckpoint

# Keras saving a model whose variables are torch 2.13 tensors (Keras' code, not nbtrack's)
pytestmark = pytest.mark.filterwarnings(
    "ignore:__array__ implementation doesn't accept a copy keyword:DeprecationWarning"
)


def fit(callbacks: list[Any], epochs: int = 2) -> None:
    keras.utils.set_random_seed(0)
    model = keras.Sequential(
        [keras.Input((4,)), keras.layers.Dense(8, "relu"), keras.layers.Dense(1)]
    )
    model.compile(optimizer=keras.optimizers.SGD(0.05), loss="mse", metrics=["mae"])
    x, y = np.random.rand(32, 4).astype("float32"), np.random.rand(32, 1).astype("float32")
    model.fit(
        x, y, batch_size=8, epochs=epochs, validation_split=0.25, verbose=0, callbacks=callbacks
    )


def records(run: nbtrack.Run, kind: str) -> list[Any]:
    return [p for _, k, p in runlog.read(Path(run.dir) / runlog.LOG_NAME) if k == kind]


def test_epoch_metrics_and_checkpoints(tmp_path: Path) -> None:
    assert keras.backend.backend() == "torch"
    run = nbtrack.init(project="keras", config={"units": 8})
    checkpoint = NbtrackModelCheckpoint(str(tmp_path / "ckpt" / "model-{epoch}.keras"))
    fit([NbtrackMetricsLogger(), checkpoint])
    run.finish()
    view = nbtrack.Api.local().run("keras", run.id)
    rows = view.history(pandas=False)
    assert [r["epoch/epoch"] for r in rows] == [0, 1]
    assert {"epoch/loss", "epoch/mae", "epoch/val_loss", "epoch/val_mae"} <= set(rows[0])
    assert rows[0]["epoch/learning_rate"] == pytest.approx(0.05)
    assert view.summary["epoch/val_loss"] == rows[-1]["epoch/val_loss"]
    models = records(run, "artifact")
    assert [m["type"] for m in models] == ["model", "model"]
    assert [a for m in models for a in m["aliases"] if a.startswith("epoch-")] == [
        "epoch-1",
        "epoch-2",
    ]


def test_batch_frequency(tmp_path: Path) -> None:
    run = nbtrack.init(project="keras")
    fit([NbtrackMetricsLogger(log_freq=2)])  # 3 batches an epoch, 6 in all: every 2nd logged
    run.finish()
    rows = nbtrack.Api.local().run("keras", run.id).history(pandas=False)
    assert [r["batch/batch_step"] for r in rows if "batch/batch_step" in r] == [2, 4, 6]
    assert [r["epoch/epoch"] for r in rows if "epoch/epoch" in r] == [0, 1]
    assert all("batch/loss" in r for r in rows if "batch/batch_step" in r)
    metric = {m["name"]: m for m in records(run, "metric")}
    assert metric["batch/*"]["step_metric"] == "batch/batch_step"
    with pytest.raises(ValueError, match="log_freq must be 'epoch', 'batch' or a positive int"):
        NbtrackMetricsLogger(log_freq="step")
