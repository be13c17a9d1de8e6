"""``nbtrack.plot``: each chart logs its table and a spec naming the table's columns."""

from __future__ import annotations

import json
from typing import Any

import pytest

import nbtrack
from tests.media.mediarun import history, media_files


def _logged(chart: Any) -> tuple[dict[str, Any], dict[str, Any]]:
    run = nbtrack.init(project="plots")
    run.log({"chart": chart})
    run.finish()
    spec = history(run)[0]["chart"]
    return spec, json.loads(media_files(run)[spec["table"]["path"]])


def test_charts_from_a_table() -> None:
    table = nbtrack.Table(columns=["x", "y", "kind"], data=[[1, 2.0, "a"], [2, 3.0, "b"]])
    spec, stored = _logged(nbtrack.plot.line(table, "x", "y", stroke="kind", title="T"))
    assert spec["_type"] == "plot" and spec["chart"] == "line" and spec["title"] == "T"
    assert spec["fields"] == {"x": "x", "y": "y", "stroke": "kind"}
    assert stored["data"] == [[1, 2.0, "a"], [2, 3.0, "b"]]
    assert _logged(nbtrack.plot.scatter(table, "x", "y"))[0]["fields"] == {"x": "x", "y": "y"}
    assert _logged(nbtrack.plot.bar(table, "kind", "y"))[0]["chart"] == "bar"
    assert _logged(nbtrack.plot.histogram(table, "y"))[0]["fields"] == {"value": "y"}
    with pytest.raises(ValueError, match=r"plot.line: y='nope' is not a column"):
        nbtrack.plot.line(table, "x", "nope")


def test_line_series() -> None:
    spec, stored = _logged(nbtrack.plot.line_series([0, 1], [[1, 2], [3, 4]], keys=["a", "b"]))
    assert stored["columns"] == ["lineKey", "step", "lineVal"]
    assert stored["data"] == [["a", 0, 1], ["a", 1, 2], ["b", 0, 3], ["b", 1, 4]]
    assert spec["fields"]["xname"] == "x"


def test_confusion_matrix_counts_pairs() -> None:
    chart = nbtrack.plot.confusion_matrix(
        y_true=[0, 1, 1, 2], preds=[0, 1, 2, 2], class_names=["a", "b", "c"]
    )
    spec, stored = _logged(chart)
    counts = {(a, p): n for a, p, n in stored["data"]}
    assert counts[("b", "c")] == 1 and counts[("b", "b")] == 1 and counts[("a", "c")] == 0
    assert len(stored["data"]) == 9 and spec["fields"]["count"] == "nPredictions"
    probs = [[0.9, 0.1], [0.2, 0.8]]
    stored = _logged(nbtrack.plot.confusion_matrix(probs=probs, y_true=[0, 0]))[1]
    assert {(a, p): n for a, p, n in stored["data"]}[("Class_1", "Class_2")] == 1


def test_roc_and_pr_curves() -> None:
    y_true = [0, 0, 1, 1]
    probas = [[0.9, 0.1], [0.6, 0.4], [0.65, 0.35], [0.2, 0.8]]
    spec, stored = _logged(nbtrack.plot.roc_curve(y_true, probas, labels=["neg", "pos"]))
    pos = [(f, t) for c, f, t in stored["data"] if c == "pos"]
    assert pos[0] == (0.0, 0.0) and pos[-1] == (1.0, 1.0)
    assert (0.0, 0.5) in pos and (0.5, 0.5) in pos and (0.5, 1.0) in pos
    spec, stored = _logged(nbtrack.plot.pr_curve(y_true, probas, classes_to_plot=[1]))
    assert {row[0] for row in stored["data"]} == {"1"} and len(stored["data"]) == 21
    assert stored["data"][0] == ["1", 0.0, 1.0]  # at recall 0 the best precision is 1
    assert spec["fields"] == {"x": "recall", "y": "precision", "stroke": "class"}
