"""``nbtrack.plot``: wandb's preset charts. Each returns a chart to log, holding its data table.

``nbtrack.log({"roc": nbtrack.plot.roc_curve(y_true, y_probas, labels=names)})``. What is stored
is described in docs/media-format.md (``_type: "plot"``); the run page draws it.
"""

from __future__ import annotations

from nbtrack.plot.chart import CustomChart, bar, histogram, line, line_series, scatter
from nbtrack.plot.curves import confusion_matrix, pr_curve, roc_curve

__all__ = [
    "CustomChart",
    "bar",
    "confusion_matrix",
    "histogram",
    "line",
    "line_series",
    "pr_curve",
    "roc_curve",
    "scatter",
]
