"""Charts computed from predictions: ``confusion_matrix``, ``pr_curve``, ``roc_curve`` (numpy)."""

from __future__ import annotations

from typing import Any

from nbtrack.media.optional import as_array, numpy
from nbtrack.media.table import Table
from nbtrack.plot.chart import CustomChart

MAX_POINTS = 1000  # per class, for ROC curves


def confusion_matrix(
    probs: Any = None,
    y_true: Any = None,
    preds: Any = None,
    class_names: Any = None,
    title: str = "Confusion Matrix Curve",
    split_table: bool = False,
) -> CustomChart:
    """Counts of (actual, predicted) class pairs, from ``probs`` (n, classes) or ``preds``."""
    np = numpy()
    if (probs is None) == (preds is None):
        raise ValueError("plot.confusion_matrix takes either probs or preds, not both or neither.")
    if y_true is None:
        raise ValueError("plot.confusion_matrix needs y_true (the true class ids).")
    truth = as_array(y_true).ravel()
    predicted = as_array(preds).ravel() if preds is not None else as_array(probs).argmax(axis=-1)
    if len(truth) != len(predicted):
        raise ValueError(
            f"plot.confusion_matrix: {len(truth)} labels for {len(predicted)} predictions"
        )
    names, truth, predicted = _classes(truth, predicted, class_names)
    counts = np.zeros((len(names), len(names)), dtype=np.int64)
    np.add.at(counts, (truth, predicted), 1)
    table = Table(columns=["Actual", "Predicted", "nPredictions"])
    table.data = [
        [names[i], names[j], int(counts[i, j])]
        for i in range(len(names))
        for j in range(len(names))
    ]
    fields = {"actual": "Actual", "predicted": "Predicted", "count": "nPredictions"}
    return CustomChart("confusion_matrix", table, fields, title, split_table)


def _classes(truth: Any, predicted: Any, class_names: Any) -> tuple[list[str], Any, Any]:
    np = numpy()
    if class_names is not None:
        names = [str(n) for n in class_names]
        for values in (truth, predicted):
            if values.size and (
                values.dtype.kind not in "iu" or values.min() < 0 or values.max() >= len(names)
            ):
                raise ValueError(
                    f"plot.confusion_matrix: labels must be class ids 0..{len(names) - 1} "
                    f"(indexes into class_names), got {values[:5].tolist()}..."
                )
        return names, truth.astype(int), predicted.astype(int)
    found = np.unique(np.concatenate([truth, predicted]))
    index = {value: i for i, value in enumerate(found.tolist())}
    names = [f"Class_{i + 1}" for i in range(len(found))]
    remap = np.vectorize(lambda v: index[v], otypes=[int])
    return names, remap(truth), remap(predicted)


def pr_curve(
    y_true: Any = None,
    y_probas: Any = None,
    labels: Any = None,
    classes_to_plot: Any = None,
    interp_size: int = 21,
    title: str = "Precision-Recall Curve",
    split_table: bool = False,
) -> CustomChart:
    """Precision over recall per class (one against the rest), on ``interp_size`` recall points."""
    np = numpy()
    table = Table(columns=["class", "recall", "precision"])
    grid = np.linspace(0.0, 1.0, interp_size)
    for name, truth, scores in _per_class("pr_curve", y_true, y_probas, labels, classes_to_plot):
        tps, fps = _cumulative(truth, scores)
        precision = tps / np.maximum(tps + fps, 1)
        recall = tps / max(tps[-1], 1) if len(tps) else tps
        best = [precision[recall >= r].max() if (recall >= r).any() else 0.0 for r in grid]
        table.data.extend([name, float(r), float(p)] for r, p in zip(grid, best, strict=True))
    fields = {"x": "recall", "y": "precision", "stroke": "class"}
    return CustomChart("pr_curve", table, fields, title, split_table)


def roc_curve(
    y_true: Any = None,
    y_probas: Any = None,
    labels: Any = None,
    classes_to_plot: Any = None,
    title: str = "ROC Curve",
    split_table: bool = False,
) -> CustomChart:
    """True positive rate over false positive rate per class (one against the rest)."""
    np = numpy()
    table = Table(columns=["class", "fpr", "tpr"])
    for name, truth, scores in _per_class("roc_curve", y_true, y_probas, labels, classes_to_plot):
        tps, fps = _cumulative(truth, scores)
        tpr = np.concatenate([[0.0], tps / max(tps[-1] if len(tps) else 0, 1)])
        fpr = np.concatenate([[0.0], fps / max(fps[-1] if len(fps) else 0, 1)])
        keep = np.unique(np.linspace(0, len(tpr) - 1, min(len(tpr), MAX_POINTS)).astype(int))
        table.data.extend(
            [name, float(f), float(t)] for f, t in zip(fpr[keep], tpr[keep], strict=True)
        )
    fields = {"x": "fpr", "y": "tpr", "stroke": "class"}
    return CustomChart("roc_curve", table, fields, title, split_table)


def _per_class(function: str, y_true: Any, y_probas: Any, labels: Any, chosen: Any) -> Any:
    if y_true is None or y_probas is None:
        raise ValueError(f"plot.{function} needs y_true and y_probas.")
    truth, probas = as_array(y_true).ravel(), as_array(y_probas)
    if probas.ndim == 1:
        probas = numpy().stack([1 - probas, probas], axis=1)
    if probas.ndim != 2 or len(probas) != len(truth):
        raise ValueError(
            f"plot.{function}: y_probas must be (n, classes) for {len(truth)} labels, "
            f"not shape {tuple(probas.shape)}"
        )
    classes = range(probas.shape[1]) if chosen is None else [int(c) for c in chosen]
    for c in classes:
        name = str(labels[c]) if labels is not None else str(c)
        yield name, (truth == c).astype(float), probas[:, c]


def _cumulative(truth: Any, scores: Any) -> tuple[Any, Any]:
    """True and false positives counted at each distinct score, highest first."""
    np = numpy()
    order = np.argsort(-scores, kind="stable")
    truth, scores = truth[order], scores[order]
    last = (
        np.r_[np.nonzero(np.diff(scores))[0], len(scores) - 1] if len(scores) else np.array([], int)
    )
    tps = np.cumsum(truth)[last]
    return tps, (last + 1) - tps
