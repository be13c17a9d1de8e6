"""compare() in-process: axes, grouping, legend, colours, the static fallback and bad input."""

from __future__ import annotations

from pathlib import Path

import pytest

import nbtrack
from nbtrack import series
from nbtrack.errors import UsageError
from nbtrack.jupyter.compare import views


def make_runs() -> list[nbtrack.Run]:
    runs = []
    for index, (lr, depth) in enumerate([(0.1, 2), (0.1, 4), (0.01, 2)]):
        run = nbtrack.init(
            project="widget", config={"lr": lr, "depth": depth, "seed": 7}, reinit="create_new"
        )
        for step in range(50):
            run.log({"loss": (index + 1) / (step + 1), "epoch": step // 10})
        run.finish()
        runs.append(run)
    return runs


def test_axes_step_runtime_wall_time_and_a_logged_key(isolated: Path) -> None:
    runs = make_runs()
    widget = nbtrack.compare(runs, metrics=["loss"])
    line = widget.series["loss"][runs[0].id]
    assert line["x"] == [float(s) for s in range(50)]
    rows = list(nbtrack.Api.local().run(runs[0].id).scan_history())
    widget.x = "_runtime"
    assert widget.series["loss"][runs[0].id]["x"] == [r["_runtime"] for r in rows]
    widget.x = "_timestamp"
    assert widget.series["loss"][runs[0].id]["x"] == [r["_timestamp"] for r in rows]
    widget.x = "epoch"
    assert widget.series["loss"][runs[0].id]["x"] == [float(s // 10) for s in range(50)]
    assert widget.x_options[:3] == ["_step", "_runtime", "_timestamp"]


def test_group_by_draws_the_shared_mean_and_band(isolated: Path) -> None:
    runs = make_runs()
    widget = nbtrack.compare(runs, metrics=["loss"], group_by="config.lr", smoothing=0.3)
    bands = {b["group"]: b for b in widget.bands["loss"]}
    assert set(bands) == {"0.1", "0.01"} and bands["0.1"]["label"] == "lr=0.1 (2 runs)"
    lines = [widget.series["loss"][r.id] for r in runs[:2]]
    expected = series.group([(ln["x"], ln["y"]) for ln in lines], views.BINS)
    assert bands["0.1"]["mean"] == expected.mean and bands["0.1"]["low"] == expected.low
    assert widget.smoothing == 0.3


def test_legend_diff_and_colours(isolated: Path) -> None:
    runs = make_runs()
    widget = nbtrack.compare(runs)
    assert widget.panels == ["epoch", "loss"]
    assert widget.diff["keys"] == ["depth", "lr", "seed"] and widget.diff["differs"] == 2
    assert widget.runs[0]["label"] == f"{runs[0].name} (depth=2, lr=0.1)"
    again = nbtrack.compare(list(reversed(runs)), legend=["seed"])
    assert {r["id"]: r["colour"] for r in again.runs} == {r["id"]: r["colour"] for r in widget.runs}
    assert again.runs[0]["label"] == f"{runs[2].name} (seed=7)"


def test_the_static_fallback_draws_each_run(isolated: Path) -> None:
    runs = make_runs()
    data, _ = nbtrack.compare(runs, metrics=["loss"])._repr_mimebundle_()
    html = data["text/html"]
    assert html.count('class="nbtrack-line"') == 3 and "<script" not in html
    assert "application/vnd.jupyter.widget-view+json" in data
    assert data["text/plain"].startswith("nbtrack.compare: 3 runs, metrics loss")


def test_printing_it_in_a_script_shows_the_text_summary(isolated: Path) -> None:
    runs = make_runs()
    widget = nbtrack.compare(runs, metrics=["loss"])
    assert str(widget) == repr(widget) == widget._repr_mimebundle_()[0]["text/plain"]
    assert str(widget).startswith("nbtrack.compare: 3 runs, metrics loss")
    assert all(run.name in str(widget) for run in runs)


def test_runs_by_id_by_project_and_bad_input(isolated: Path) -> None:
    runs = make_runs()
    by_id = nbtrack.compare([r.id for r in runs])
    assert [r["id"] for r in by_id.runs] == [r.id for r in runs]
    assert len(nbtrack.compare("widget", max_runs=2).runs) == 2
    assert [r["id"] for r in nbtrack.compare().runs][-3:] == [r.id for r in runs]  # this process
    with pytest.raises(UsageError, match="No run 'zzzzzzzz'"):
        nbtrack.compare(["zzzzzzzz"])
    with pytest.raises(UsageError, match=r"smoothing=1 must be in \[0, 1\)"):
        nbtrack.compare(runs, smoothing=1)
    with pytest.raises(UsageError, match="max_runs must be at least 1"):
        nbtrack.compare(runs, max_runs=0)
    with pytest.raises(UsageError, match="No runs to compare from project 'nothing'"):
        nbtrack.compare(project="nothing")
    with pytest.raises(UsageError, match="No runs to compare from project 'nothing' under "):
        nbtrack.compare("nothing")  # a project name as the first argument


def test_a_metric_or_x_key_no_run_logged_is_named(
    isolated: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    runs = make_runs()
    monkeypatch.delenv("NBTRACK_SILENT")
    nbtrack.compare(runs, metrics=["loss"])
    assert "nothing to draw" not in capsys.readouterr().err
    nbtrack.compare(runs, metrics=["loss", "los"])
    assert "nothing to draw for 'los': no run here logged it;" in capsys.readouterr().err
    nbtrack.compare(runs, x="epohc")
    err = capsys.readouterr().err
    assert "nothing to draw for 'epoch', 'loss': no run here logged it against x='epohc'" in err


def test_runs_drawn_together_get_distinct_colours_their_own_where_free() -> None:
    ids = [f"run{index:05d}" for index in range(300)]
    alone = {run_id: views.colours([run_id])[run_id] for run_id in ids}
    assert alone == {run_id: series.PALETTE[series.slot(run_id)] for run_id in ids}
    assert set(alone.values()) == set(series.PALETTE)  # every colour in use
    clashes = 0
    for start in range(0, 300, 10):
        group = ids[start : start + 10]
        drawn = views.colours(group)
        assert drawn == views.colours(group[::-1])  # order does not matter
        assert len(set(drawn.values())) == 10  # distinct
        first = {}  # the first run (in ID order) on each slot keeps its own colour
        for run_id in sorted(group):
            first.setdefault(series.slot(run_id), run_id)
        assert all(drawn[r] == alone[r] for r in first.values())
        clashes += len(group) - len(first)
    assert clashes > 0  # the rule was exercised
    many = views.colours(ids[:45])  # past 20 runs: a new round, distinct within it
    assert len(set(many.values())) == 20
    assert [len(set(map(many.get, ids[s : min(s + 20, 45)]))) for s in (0, 20, 40)] == [20, 20, 5]
