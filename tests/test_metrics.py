"""define_metric: summaries, globs, step metrics, merging, the run log record, and reading back."""

from __future__ import annotations

import math
from pathlib import Path
from typing import Any

import pytest

import nbtrack
from nbtrack import runlog, runstate
from nbtrack.errors import Error, NotInitialized, RunFinished, UsageError
from nbtrack.runparts import metrics


def records(run: nbtrack.Run, kind: str) -> list[Any]:
    return [p for _, k, p in runlog.read(Path(run.dir) / runlog.LOG_NAME) if k == kind]


def test_summary_min_reads_as_in_wandb() -> None:
    run = nbtrack.init(project="p")
    run.define_metric("val/loss", summary="min")
    for loss in (0.9, 0.3, 0.5):
        run.log({"val/loss": loss})
    assert run.summary["val/loss"] == {"min": 0.3}
    seen = run.summary["val/loss"]
    run.log({"val/loss": 0.1})
    assert seen == {"min": 0.3} and run.summary["val/loss"] == {"min": 0.1}  # a copy was read
    run.finish()
    assert runstate.replay(Path(run.dir)).summary["val/loss"] == {"min": 0.1}
    assert nbtrack.Api.local().run(run.id).summary["val/loss"] == {"min": 0.1}


def test_every_aggregation_and_comma_separated_lists() -> None:
    run = nbtrack.init(project="p")
    run.define_metric("a", summary="min,max,mean,first,last")
    run.define_metric("b", summary="best", goal="maximize")
    run.define_metric("c", summary="best", goal="minimize")
    run.define_metric("d", summary="none")
    for value in (2, 8, 5):
        run.log({"a": value, "b": value, "c": value, "d": value, "plain": value})
    assert run.summary["a"] == {"min": 2, "max": 8, "mean": 5.0, "first": 2, "last": 5}
    assert run.summary["b"] == {"best": 8}
    assert run.summary["c"] == {"best": 2}
    assert "d" not in run.summary and run.summary["plain"] == 5
    run.finish()
    replayed = runstate.replay(Path(run.dir)).summary
    assert replayed["a"]["mean"] == 5.0 and replayed["b"] == {"best": 8} and "d" not in replayed


def test_nan_and_non_numbers_are_left_out_of_min_max_mean() -> None:
    run = nbtrack.init(project="p")
    run.define_metric("x", summary="min,max,mean,last")
    for value in (float("nan"), 3.0, 1.0):
        run.log({"x": value})
    run.log({"x": "text"})
    assert run.summary["x"] == {"min": 1.0, "max": 3.0, "mean": 2.0, "last": "text"}
    run.finish()


def test_glob_names_match_by_prefix_and_leave_others_alone() -> None:
    run = nbtrack.init(project="p")
    run.define_metric("val/*", summary="max")
    run.log({"val/acc": 0.5, "val/f1": 0.7, "train/acc": 0.1})
    run.log({"val/acc": 0.4, "val/f1": 0.9, "train/acc": 0.2})
    assert run.summary["val/acc"] == {"max": 0.5}
    assert run.summary["val/f1"] == {"max": 0.9}
    assert run.summary["train/acc"] == 0.2
    run.finish()


def test_step_metric_is_synced_into_rows_and_recorded() -> None:
    run = nbtrack.init(project="p")
    metric = run.define_metric("val/*", step_metric="epoch")
    assert (metric.name, metric.step_metric, metric.step_sync) == ("val/*", "epoch", True)
    run.log({"val/loss": 1.0})  # epoch never logged: 0, as in wandb
    run.log({"epoch": 3, "train/loss": 0.5})
    run.log({"val/loss": 0.8})
    run.log({"train/loss": 0.4})  # not a val/* key: nothing added
    run.finish()
    rows = records(run, "h")
    assert [r.get("epoch") for r in rows] == [0, 3, 3, None]
    assert records(run, "metric") == [
        {
            "name": "val/*",
            "step_metric": "epoch",
            "step_sync": True,
            "hidden": False,
            "summary": None,
            "goal": None,
        }
    ]


def test_step_sync_false_leaves_rows_as_logged() -> None:
    run = nbtrack.init(project="p")
    run.define_metric("loss", step_metric="epoch", step_sync=False)
    run.log({"epoch": 1})
    run.log({"loss": 0.5})
    run.finish()
    assert "epoch" not in records(run, "h")[1]


def test_redefining_merges_unless_overwrite() -> None:
    run = nbtrack.init(project="p")
    run.define_metric("loss", step_metric="epoch", hidden=True)
    call = run.define_metric("loss", summary="min")
    assert (call.step_metric, call.hidden, call.summary) == (None, None, ("min",))  # as wandb
    merged = records(run, "metric")[-1]
    assert (merged["step_metric"], merged["hidden"], merged["summary"]) == ("epoch", True, ["min"])
    run.define_metric("loss", summary="max")
    assert records(run, "metric")[-1]["summary"] == ["min", "max"]
    run.define_metric("loss", summary="mean", overwrite=True)
    fresh = records(run, "metric")[-1]
    assert (fresh["step_metric"], fresh["hidden"], fresh["summary"]) == (None, False, ["mean"])
    run.log({"loss": 1.0})
    run.log({"loss": 3.0})
    assert run.summary["loss"] == {"mean": 2.0}
    run.finish()


def test_a_definition_made_after_values_keeps_them() -> None:
    run = nbtrack.init(project="p")
    run.define_metric("loss", summary="min")
    run.log({"loss": 0.2})
    run.log({"loss": 0.6})
    run.define_metric("loss", summary="max")  # merged: min and max, min still knows 0.2
    run.log({"loss": 0.4})
    assert run.summary["loss"] == {"min": 0.2, "max": 0.6}
    run.finish()


def test_bad_arguments_name_the_argument() -> None:
    run = nbtrack.init(project="p")
    cases: list[tuple[dict[str, Any], str]] = [
        ({"name": ""}, "needs a metric name"),
        ({"name": "a*b"}, "may only end the name"),
        ({"name": "x", "summary": "median"}, "summary 'median' is not an aggregation"),
        ({"name": "x", "goal": "up"}, "goal='up' must be 'minimize' or 'maximize'"),
        ({"name": "x", "summary": "best"}, "needs goal="),
        ({"name": "x", "hidden": "yes"}, "hidden must be a bool"),
        ({"name": 3}, "name must be a str"),
        ({"name": "x", "overwrite": 1}, "overwrite must be a bool"),
    ]
    for arguments, message in cases:
        with pytest.raises(UsageError, match=message):
            run.define_metric(**arguments)
    assert records(run, "metric") == []
    run.finish()
    with pytest.raises(RunFinished):
        run.define_metric("late")


def test_module_level_define_metric_and_errors_are_nbtrack_errors() -> None:
    with pytest.raises(NotInitialized, match=r"before nbtrack\.define_metric\(\)"):
        nbtrack.define_metric("x")
    run = nbtrack.init(project="p")
    step = nbtrack.define_metric("epoch", hidden=True)
    metric = nbtrack.define_metric("acc", step_metric=step, summary="max")
    assert metric.step_metric == "epoch"
    nbtrack.log({"acc": 0.5, "epoch": 1})
    assert nbtrack.summary["acc"] == {"max": 0.5}
    with pytest.raises(Error):
        nbtrack.define_metric("acc", summary="nope")
    run.finish()


def test_resumed_run_goes_on_aggregating() -> None:
    run = nbtrack.init(project="p", id="resumed1")
    run.define_metric("loss", summary="min,mean")
    run.log({"loss": 4.0})
    run.log({"loss": 2.0})
    run.finish()
    again = nbtrack.init(project="p", id="resumed1", resume="allow")
    assert again.summary["loss"] == {"min": 2.0, "mean": 3.0}
    again.log({"loss": 0.0})
    assert again.summary["loss"] == {"min": 0.0, "mean": 2.0}
    again.finish()
    assert runstate.replay(Path(again.dir)).summary["loss"] == {"min": 0.0, "mean": 2.0}


def test_a_crashed_run_reads_back_its_aggregates_from_the_log() -> None:
    run = nbtrack.init(project="p")
    run.define_metric("loss", summary="min")
    for loss in (3.0, 1.0, 2.0):
        run.log({"loss": loss})
    state = runstate.replay(Path(run.dir))  # no final summary record yet: replayed from rows
    assert state.summary["loss"] == {"min": 1.0}
    run.finish()


def test_no_definitions_write_no_metric_records_or_extra_summary() -> None:
    run = nbtrack.init(project="p")
    run.log({"loss": 1.0})
    run.finish()
    assert records(run, "metric") == [] and records(run, "summary") == []
    assert run._metrics is None


def test_disabled_mode_accepts_define_metric() -> None:
    run = nbtrack.init(project="p", mode="disabled")
    run.define_metric("loss", summary="min")
    run.log({"loss": 2.0})
    run.log({"loss": 1.0})
    assert run.summary["loss"] == {"min": 1.0}
    run.finish()


def test_infinities_count_for_min_and_max() -> None:
    run = nbtrack.init(project="p")
    run.define_metric("x", summary="min,max")
    run.log({"x": 1.0})
    run.log({"x": math.inf})
    assert run.summary["x"] == {"min": 1.0, "max": math.inf}
    run.finish()


def test_odd_stored_definitions_give_no_axis_rather_than_an_error() -> None:
    from nbtrack.runparts.metrics import chart_axes

    stored = {
        "a": {"name": "a", "step_metric": 5, "summary": 7, "hidden": "yes", "goal": 1},
        "b/*": {"name": "b/*", "step_metric": "epoch", "summary": ["min", 3, "median"]},
        "c": "not a definition",
        "d": {"step_metric": "x"},
    }
    assert chart_axes(stored, ["a", "b/x", "c", "d"]) == ({"b/x": "epoch"}, [])
    assert chart_axes(["not", "a", "dict"], ["a"]) == ({}, [])


def test_rows_with_known_keys_reuse_one_plan_and_a_new_definition_replans() -> None:
    run = nbtrack.init(project="p")
    run.define_metric("val/*", step_metric="epoch")
    for epoch in range(3):
        run.log({"epoch": epoch})
        for i in range(100):
            run.log({"val/loss": 1.0 / (i + 1), "val/acc": i / 100})
    assert run._metrics is not None
    assert len(run._metrics._plans) == 2  # one per key set, whatever the number of rows
    run.define_metric("val/loss", summary="min")  # plans made before it no longer apply
    run.log({"val/loss": 0.001, "val/acc": 0.5})
    run.log({"val/loss": 0.5, "val/acc": 0.6})
    assert run.summary["val/loss"] == {"min": 0.001}
    run.finish()
    rows = list(nbtrack.Api.local().run(run.id).scan_history())
    assert [r["epoch"] for r in rows if "val/acc" in r][-3:] == [2, 2, 2]


def test_plans_are_bounded_when_every_row_has_new_keys() -> None:
    run = nbtrack.init(project="p")
    run.define_metric("layer*", summary="max")
    for i in range(metrics.MAX_PLANS + 10):
        run.log({f"layer{i}": float(i)})
    assert run._metrics is not None and len(run._metrics._plans) <= metrics.MAX_PLANS
    assert run.summary[f"layer{metrics.MAX_PLANS + 9}"] == {"max": float(metrics.MAX_PLANS + 9)}
    run.finish()
