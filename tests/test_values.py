"""Bad input: a clear error naming the key, and the run on disk left intact."""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import pytest

import nbtrack
from nbtrack import runlog


@pytest.fixture
def run() -> nbtrack.Run:
    run = nbtrack.init(project="p")
    run.log({"ok": 1})
    return run


def _rows(run: nbtrack.Run) -> list[dict[str, object]]:
    run.finish()
    return list(nbtrack.Api.local().run(run.id).scan_history())


def test_nan_and_infinities_are_valid_floats(run: nbtrack.Run) -> None:
    run.log({"nan": math.nan, "inf": math.inf, "ninf": -math.inf, "none": None})
    row = _rows(run)[1]
    assert math.isnan(row["nan"])  # type: ignore[arg-type]
    assert row["inf"] == math.inf and row["ninf"] == -math.inf and row["none"] is None
    summary = nbtrack.Api.local().run(run.id).summary
    assert summary["inf"] == math.inf


def test_numpy_scalars_and_small_arrays(run: nbtrack.Run) -> None:
    run.log(
        {"f32": np.float32(0.5), "i64": np.int64(7), "arr": np.arange(3), "nan": np.float64("nan")}
    )
    row = _rows(run)[1]
    assert row["f32"] == 0.5 and row["i64"] == 7 and row["arr"] == [0, 1, 2]
    assert math.isnan(row["nan"])  # type: ignore[arg-type]


def test_huge_values(run: nbtrack.Run) -> None:
    run.log({"big": 1e308, "tiny": 5e-324, "int63": 2**63 - 1})
    with pytest.raises(ValueError, match=r"key 'huge' \(int\) is too large .*float\(value\)"):
        run.log({"huge": 10**30})
    with pytest.raises(ValueError, match=r"over the 1 MiB limit; the largest value is 'weights'"):
        run.log({"weights": ["w"] * 400_000, "loss": 1.0})  # numeric arrays become histograms
    rows = _rows(run)
    assert len(rows) == 2 and rows[1]["big"] == 1e308


def test_unserialisable_values_name_key_and_type(run: nbtrack.Run) -> None:
    with pytest.raises(TypeError, match=r"value for key 'model' \(object\) cannot be stored"):
        run.log({"loss": 1.0, "model": object()})
    with pytest.raises(TypeError, match=r"key 'blob' \(bytes\)"):
        run.log({"blob": b"\x00"})
    with pytest.raises(TypeError, match=r"key 'items' \(set\)"):
        run.config["items"] = {1, 2}
    assert len(_rows(run)) == 1


def test_non_string_keys(run: nbtrack.Run) -> None:
    with pytest.raises(TypeError, match=r"Keys must be strings; got 3 \(int\)"):
        run.log({3: 1.0})
    with pytest.raises(TypeError, match=r"got \('a', 1\) \(tuple\)"):
        run.log({"nested": {("a", 1): 2}})
    with pytest.raises(TypeError, match=r"Keys must be strings"):
        run.config.update({1: "x"})
    assert len(_rows(run)) == 1


def test_wrong_types_for_log_and_step(run: nbtrack.Run) -> None:
    with pytest.raises(TypeError, match=r"log\(\) takes a dict of key -> value, not list"):
        run.log([1, 2])  # type: ignore[arg-type]
    with pytest.raises(TypeError, match=r"step must be an int, not str"):
        run.log({"a": 1}, step="3")  # type: ignore[arg-type]
    with pytest.raises(ValueError, match=r"Key '_step' is set by nbtrack itself"):
        run.log({"_step": 4})
    assert len(_rows(run)) == 1


def test_rejected_calls_leave_a_readable_log(run: nbtrack.Run) -> None:
    for bad in ({"x": object()}, {"y": 10**40}, {1: 2}):
        with pytest.raises((TypeError, ValueError)):
            run.log(bad)
    run.log({"after": 2})
    rows = _rows(run)
    assert [r.get("ok", r.get("after")) for r in rows] == [1, 2]
    assert [r["_step"] for r in rows] == [0, 1]
    lines = (Path(run.dir) / runlog.LOG_NAME).read_bytes().splitlines(keepends=True)
    assert all(runlog.decode_line(line) is not None for line in lines)


def test_bad_config_argument() -> None:
    with pytest.raises(TypeError, match="config takes a dict"):
        nbtrack.init(config=42)
    with pytest.raises(TypeError, match=r"key 'fn' \(function\)"):
        nbtrack.init(config={"fn": lambda: 1})
    with pytest.raises(TypeError, match=r"Keys must be strings; got 1 \(int\)"):
        nbtrack.init(config={1: "x"})
    assert nbtrack.run is None
    assert not (Path.cwd() / "nbtrack").exists()  # a refused config leaves no run behind


def test_run_name_must_be_text(run: nbtrack.Run) -> None:
    with pytest.raises(ValueError, match="non-empty string"):
        run.name = ""
    run.finish()


def test_strings_and_bools_are_kept(run: nbtrack.Run) -> None:
    run.log({"phase": "train", "flag": True, "unicode": "δ→∞"})
    assert _rows(run)[1]["unicode"] == "δ→∞"


def test_self_referencing_values_name_the_key(run: nbtrack.Run) -> None:
    loop: dict[str, object] = {"lr": 0.1}
    loop["self"] = loop
    ring: list[object] = [1]
    ring.append(ring)
    with pytest.raises(TypeError, match=r"key 'opt\.self' .*refers to itself"):
        run.log({"opt": loop})
    with pytest.raises(TypeError, match=r"key 'ring' \(list\) refers to itself"):
        run.log({"ring": ring})
    with pytest.raises(TypeError, match=r"key 'wrapped' \(list\) refers to itself"):
        run.log({"wrapped": [loop]})
    with pytest.raises(TypeError, match=r"key 'opt' \(dict\) refers to itself"):
        run.config.update({"opt": loop})
    with pytest.raises(TypeError, match=r"key 'best\.self' .*refers to itself"):
        run.summary["best"] = loop
    with pytest.raises(TypeError, match=r"key 'opt' \(dict\) refers to itself"):
        nbtrack.init(project="p", config={"opt": loop}, reinit="create_new")
    assert len(_rows(run)) == 1


def test_deep_nesting_is_refused_with_the_key(run: nbtrack.Run) -> None:
    deep: dict[str, object] = {}
    inner = deep
    for _ in range(5000):
        inner["d"] = inner = {}
    with pytest.raises(TypeError, match=r"key 'deep' \(dict\) is nested too deeply"):
        run.config.update({"deep": deep})
    with pytest.raises(TypeError, match=r"key 'deep(\.d)+' \(dict\) is nested too deeply"):
        run.log({"deep": deep})
    assert len(_rows(run)) == 1
