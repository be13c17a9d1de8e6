"""nbtrack.watch(): gradient and parameter histograms of real torch models through hooks."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import torch

import nbtrack


def mlp() -> torch.nn.Module:
    torch.manual_seed(0)
    return torch.nn.Sequential(torch.nn.Linear(4, 8), torch.nn.ReLU(), torch.nn.Linear(8, 1))


def train(run: nbtrack.Run, model: torch.nn.Module, steps: int) -> None:
    optimizer = torch.optim.SGD(model.parameters(), lr=0.1)
    data, target = torch.randn(16, 4), torch.randn(16, 1)
    for _ in range(steps):
        optimizer.zero_grad()
        loss = torch.nn.functional.mse_loss(model(data), target)
        loss.backward()
        optimizer.step()
        run.log({"loss": loss.item()})


def history(run: nbtrack.Run) -> list[dict[str, Any]]:
    rows: list[dict[str, Any]] = nbtrack.Api.local().run("w", run.id).history(pandas=False)
    return rows


def test_gradients_every_log_freq_steps() -> None:
    run = nbtrack.init(project="w")
    model = mlp()
    nbtrack.watch(model, log_freq=3)
    train(run, model, 7)
    run.finish()
    rows = history(run)
    with_hist = [r["_step"] for r in rows if "gradients/0.weight" in r]
    assert with_hist == [2, 5]  # the 3rd and 6th forward passes
    row = rows[2]
    assert set(k for k in row if "/" in k) == {
        "gradients/0.weight",
        "gradients/0.bias",
        "gradients/2.weight",
        "gradients/2.bias",
    }
    hist = row["gradients/0.weight"]
    assert hist["_type"] == "histogram" and sum(hist["values"]) == 32  # 8x4 weights
    assert len(hist["bins"]) == len(hist["values"]) + 1 == 65
    assert not any(k.startswith("parameters/") for r in rows for k in r)


def test_parameters_and_several_models() -> None:
    run = nbtrack.init(project="w")
    first, second = mlp(), mlp()
    run.watch([first, second], log="all", log_freq=2)
    train(run, first, 2)
    train(run, second, 2)
    run.finish()
    rows = history(run)
    assert "parameters/0.2.bias" in rows[1] and "gradients/0.2.bias" in rows[1]
    assert "parameters/1.0.weight" in rows[3] and "gradients/1.0.weight" in rows[3]
    assert sum(rows[1]["parameters/0.0.weight"]["values"]) == 32


def test_unwatch_removes_every_hook() -> None:
    run = nbtrack.init(project="w")
    model = mlp()
    run.watch(model, log="all", log_freq=1)
    train(run, model, 1)
    nbtrack.unwatch(model)
    assert not model._forward_hooks
    assert all(not p._backward_hooks for p in model.parameters() if p._backward_hooks is not None)
    train(run, model, 2)
    run.watch(model, log_freq=1)
    run.finish()  # finishing removes the hooks as well
    assert not model._forward_hooks
    rows = history(run)
    assert ["gradients/0.weight" in r for r in rows] == [True, False, False]


def test_bad_arguments_are_named() -> None:
    run = nbtrack.init(project="w")
    with pytest.raises(TypeError, match=r"watch\(\) takes torch.nn.Module objects.*not str"):
        run.watch("model")
    with pytest.raises(ValueError, match="log='grads' is not something watch"):
        run.watch(mlp(), log="grads")
    with pytest.raises(ValueError, match="log_freq must be a positive int"):
        run.watch(mlp(), log_freq=0)
    run.finish()


def test_log_graph_saves_the_module_tree() -> None:
    run = nbtrack.init(project="w")
    run.watch(mlp(), log=None, log_graph=True)
    run.finish()
    names = [f.name for f in nbtrack.Api.local().run("w", run.id).files()]
    assert "graph/model.txt" in names
    assert "Linear(in_features=4" in (Path(run.dir) / "files/graph/model.txt").read_text()
