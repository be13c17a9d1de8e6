"""``nbtrack.Histogram``: counts over bins, stored inline in the history row (no file)."""

from __future__ import annotations

from typing import Any

from nbtrack.media import base
from nbtrack.media.optional import as_array, numpy

MAX_BINS = 512
AUTO_MIN = 32  # lists and arrays with more values than this are logged as histograms


class Histogram(base.Media):
    """As wandb's: ``Histogram(sequence)`` bins the values (``num_bins``, default 64);
    ``Histogram(np_histogram=np.histogram(x))`` keeps counts and edges as they are."""

    _type = "histogram"

    def __init__(self, sequence: Any = None, np_histogram: Any = None, num_bins: int = 64) -> None:
        if (
            isinstance(num_bins, bool)
            or not isinstance(num_bins, int)
            or not 1 <= num_bins <= MAX_BINS
        ):
            raise ValueError(f"num_bins must be an int in 1..{MAX_BINS}, not {num_bins!r}.")
        if (sequence is None) == (np_histogram is None):
            raise ValueError("Histogram() takes either a sequence or np_histogram=(counts, edges).")
        if np_histogram is not None:
            self.histogram, self.bins = _given(np_histogram)
        else:
            self.histogram, self.bins = _binned(sequence, num_bins)

    def _prepare(self, key: str) -> base.Prepared:
        return base.Prepared({"_type": self._type, "bins": self.bins, "values": self.histogram})

    def __repr__(self) -> str:
        return f"<nbtrack.Histogram {len(self.histogram)} bins>"


def _binned(sequence: Any, num_bins: int) -> tuple[list[Any], list[float]]:
    np = numpy()
    values = as_array(sequence).astype(float, copy=False).ravel()
    values = values[np.isfinite(values)]
    counts, edges = np.histogram(values, bins=num_bins)
    return counts.tolist(), edges.tolist()


def _given(pair: Any) -> tuple[list[Any], list[float]]:
    try:
        counts, edges = pair
    except (TypeError, ValueError):
        raise ValueError(
            "np_histogram must be a pair (counts, bin edges), as np.histogram returns."
        ) from None
    counts, edges = list(as_array(counts).ravel().tolist()), list(as_array(edges).ravel().tolist())
    if len(edges) != len(counts) + 1:
        raise ValueError(
            f"np_histogram has {len(counts)} counts and {len(edges)} edges; edges must be one more."
        )
    return counts, [float(e) for e in edges]


def is_numeric_sequence(value: Any) -> bool:
    """A list/tuple of more than 32 plain numbers, or such an array or tensor (wandb's rule)."""
    if type(value) in (list, tuple):
        return len(value) > AUTO_MIN and all(type(v) in (int, float) for v in value)
    size = getattr(value, "size", None)
    if callable(size):  # torch: size() is the shape
        size = value.numel() if hasattr(value, "numel") else None
    kind = getattr(getattr(value, "dtype", None), "kind", "f")
    return isinstance(size, int) and size > AUTO_MIN and kind in "biuf" and hasattr(value, "shape")
