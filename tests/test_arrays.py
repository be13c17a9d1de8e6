"""Values from array libraries log as numbers (one element) or lists, as in wandb."""

from __future__ import annotations

import importlib
import json
import os
import subprocess
import sys
from pathlib import Path
from types import ModuleType
from typing import Any

import numpy as np
import pytest

import nbtrack
from nbtrack import runlog, runstate
from nbtrack.runparts import arrays


def need(module: str) -> ModuleType:
    """The library, or a skip when it is absent (a failure under CI, which installs it)."""
    if os.environ.get("CI") == "true":
        return importlib.import_module(module)
    return pytest.importorskip(module)


def rows(run: nbtrack.Run) -> list[dict[str, Any]]:
    return [p for _, k, p in runlog.read(Path(run.dir) / runlog.LOG_NAME) if k == "h"]


def test_numpy_zero_d_and_one_element_arrays_log_as_numbers() -> None:
    run = nbtrack.init(project="p")
    run.log({"zero_d": np.array(2.5), "one": np.array([1.5]), "two_d": np.array([[7]])})
    run.log({"scalar": np.float32(0.25), "many": np.array([1, 2, 3]), "flag": np.bool_(True)})
    run.log({"nan": np.array(float("nan")), "int": np.int64(3)})
    assert run.summary["zero_d"] == 2.5 and type(run.summary["zero_d"]) is float
    assert run.summary["one"] == 1.5 and run.summary["two_d"] == 7
    run.finish()
    first, second, third = rows(run)
    assert (first["zero_d"], first["one"], first["two_d"]) == (2.5, 1.5, 7)
    assert second["many"] == [1, 2, 3] and second["scalar"] == 0.25 and second["flag"] is True
    assert third["nan"] != third["nan"] and third["int"] == 3
    assert json.loads((Path(run.dir) / "summary.json").read_text())["one"] == 1.5


def test_torch_tensors_log_as_numbers_and_lists() -> None:
    torch = need("torch")
    weight = torch.tensor(0.5, requires_grad=True)
    loss = weight * 3
    run = nbtrack.init(project="p")
    run.define_metric("loss", summary="min")
    run.log({"loss": loss, "one": torch.tensor([2.0]), "vec": torch.tensor([1, 2])})
    run.log({"loss": torch.tensor(0.25, dtype=torch.float64), "half": torch.tensor(1.0).half()})
    assert run.summary["loss"] == {"min": 0.25}
    assert run.summary["one"] == 2.0 and type(run.summary["one"]) is float
    run.finish()
    first, second = rows(run)
    assert first["loss"] == 1.5 and first["one"] == 2.0 and first["vec"] == [1, 2]
    assert second["half"] == 1.0
    assert runstate.replay(Path(run.dir)).summary["loss"] == {"min": 0.25}


def test_torch_values_in_a_row_with_nan_and_in_the_summary() -> None:
    torch = need("torch")
    run = nbtrack.init(project="p")
    run.log({"t": torch.tensor(float("nan")), "x": float("inf")})
    run.summary["best"] = 1.0
    run.finish()
    (row,) = rows(run)
    assert row["t"] != row["t"] and row["x"] == float("inf")


def test_other_objects_still_name_the_key() -> None:
    run = nbtrack.init(project="p")
    with pytest.raises(TypeError, match="key 'bad'"):
        run.log({"fine": np.array(1.0), "bad": object()})
    run.finish()


def test_libraries_are_recognised_by_module_without_importing_them() -> None:
    code = (
        "import sys, nbtrack\n"
        "run = nbtrack.init(project='p', mode='offline')\n"
        "run.log({'a': 1.0, 'b': [1, 2], 'c': float('nan'), 'd': {'e': 'text'}})\n"
        "run.summary['f'] = [1.5]\n"
        "run.finish()\n"
        "print(sorted(m for m in ('numpy', 'torch', 'jax', 'tensorflow') if m in sys.modules))\n"
    )
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True, timeout=120
    )
    assert out.stdout.strip() == "[]"


def test_plain_refuses_what_is_not_an_array_value() -> None:
    assert arrays.library(np.float64(1.0)) == "numpy"
    assert arrays.library(1.0) is None
    with pytest.raises(TypeError):
        arrays.plain(object())
