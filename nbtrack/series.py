"""Series semantics shared by the server's ``series`` query, the web workspace and the notebook.

Pure Python, no server import, so the notebook widgets reuse it offline.

Downsampling (``downsample``): the finite numeric points of a metric in ``[lo, hi]`` (steps,
inclusive), in step order. When they number at most ``samples`` they are all answered. Otherwise
the range is cut into groups of ``2**k`` steps aligned on multiples of ``2**k`` (``k >= 4``, the
smallest with at most ``samples // 2`` groups over the *extent*: the range from the first point's
16-step block start to the last point's block end, clipped to ``[lo, hi]``), and each group gives
its lowest and its highest point (the earliest on ties), in step order. Spikes always survive, and
every answered point is a real one. The server reads the same answer from its step buckets.

Smoothing (``ema``): TensorBoard's debiased exponential moving average, as wandb's "exponential
moving average" also draws it; non-finite values are left out and keep the running average.

Grouping (``group``): several runs' series as one mean line with a min-max band, over ``bins``
equal-width bins of x spanning every run's points; per bin, each run contributes the mean of its
points there, and the bin's x is the mean of those points' x.

Colours (``colours``): runs drawn together get distinct colours by one rule, shared by
``nbtrack.compare()`` and the web workspace (which applies it in the browser to the selected runs,
with the ``slot`` the server sends per run). A run's own slot is the CRC-32 of its UTF-8 ID into
``PALETTE``. In rounds of ``len(PALETTE)`` runs, in ID order: each run takes its own slot unless a
run before it in the round has the same one; those runs then take the next free slots after
their own. The same runs thus have the same colours in both, and a run keeps its own colour
unless a run before it has the same.
"""

from __future__ import annotations

import dataclasses
import math
import zlib
from collections.abc import Sequence
from typing import Any

FIRST_SHIFT = 4  # the finest group is 16 steps: the server's finest bucket
INT64 = (-(2**63), 2**63 - 1)
Point = tuple[int, float]
PALETTE = (
    "#1f77b4", "#ff7f0e", "#2ca02c", "#d62728", "#9467bd", "#8c564b", "#e377c2", "#7f7f7f",
    "#bcbd22", "#17becf", "#393b79", "#e6550d", "#31a354", "#843c39", "#7b4173", "#6baed6",
    "#fdae6b", "#74c476", "#ad494a", "#a55194",
)  # fmt: skip


def slot(run_id: str) -> int:
    """The run's own place in ``PALETTE``, from its ID alone."""
    return zlib.crc32(run_id.encode()) % len(PALETTE)


def colours(run_ids: Sequence[str]) -> dict[str, str]:
    """Distinct colours (``#rrggbb``) for runs drawn together (the rule in the module's text)."""
    ordered, size = sorted(set(run_ids)), len(PALETTE)
    chosen: dict[str, str] = {}
    for start in range(0, len(ordered), size):
        chosen.update(_round(ordered[start : start + size]))
    return chosen


def _round(run_ids: list[str]) -> dict[str, str]:
    """At most ``len(PALETTE)`` runs: own slots first, then the next free ones for the rest."""
    places: dict[int, str] = {}
    for run_id in run_ids:
        places.setdefault(slot(run_id), run_id)
    for run_id in (r for r in run_ids if places.get(slot(r)) != r):
        place = slot(run_id)
        while place in places:
            place = (place + 1) % len(PALETTE)
        places[place] = run_id
    return {run_id: PALETTE[place] for place, run_id in places.items()}


def numeric(value: Any) -> float | None:
    """The value as a chartable float: int (not bool) or finite float; else None."""
    kind = type(value)
    if kind is int:
        try:
            return float(value)
        except OverflowError:
            return None
    if kind is float and math.isfinite(value):
        return float(value)
    return None


def extent(first: int, last: int, lo: int | None = None, hi: int | None = None) -> tuple[int, int]:
    """The steps the groups are laid over: the first and last point's 16-step blocks, clipped."""
    start = (first >> FIRST_SHIFT) << FIRST_SHIFT
    end = ((last >> FIRST_SHIFT) << FIRST_SHIFT) + (1 << FIRST_SHIFT) - 1
    return max(INT64[0] if lo is None else lo, start), min(INT64[1] if hi is None else hi, end)


def group_shift(first: int, last: int, samples: int) -> int:
    """The smallest ``k >= 4`` with at most ``samples // 2`` groups of ``2**k`` over the steps."""
    groups = max(1, samples // 2)
    shift = FIRST_SHIFT
    while (last >> shift) - (first >> shift) + 1 > groups:
        shift += 1
    return shift


def downsample(
    steps: Sequence[int],
    values: Sequence[Any],
    samples: int,
    lo: int | None = None,
    hi: int | None = None,
) -> tuple[list[int], list[float]]:
    """At most ``samples`` real points of ``(steps, values)`` in ``[lo, hi]``, extremes kept."""
    points = _finite_points(steps, values, lo, hi)
    if len(points) <= samples:
        return [s for s, _ in points], [v for _, v in points]
    first, last = extent(points[0][0], points[-1][0], lo, hi)
    shift = group_shift(first, last, samples)
    chosen: dict[int, list[Point]] = {}
    for point in points:
        pair = chosen.get(point[0] >> shift)
        if pair is None:
            chosen[point[0] >> shift] = [point, point]
            continue
        if point[1] < pair[0][1]:
            pair[0] = point
        if point[1] > pair[1][1]:
            pair[1] = point
    return unzip(pick(pair[0], pair[1]) for _, pair in sorted(chosen.items()))


def _finite_points(
    steps: Sequence[int], values: Sequence[Any], lo: int | None, hi: int | None
) -> list[Point]:
    low = INT64[0] if lo is None else lo
    high = INT64[1] if hi is None else hi
    points = []
    for step, value in zip(steps, values, strict=True):
        number = numeric(value)
        if number is not None and low <= step <= high:
            points.append((step, number))
    points.sort(key=lambda p: p[0])
    return points


def pick(low: Point, high: Point) -> list[Point]:
    """A group's answer: its lowest and highest point in step order (one when they are one)."""
    return sorted({low, high})


def unzip(groups: Any) -> tuple[list[int], list[float]]:
    steps: list[int] = []
    values: list[float] = []
    for group in groups:
        for step, value in group:
            steps.append(step)
            values.append(value)
    return steps, values


def ema(values: Sequence[float | None], weight: float) -> list[float | None]:
    """TensorBoard's debiased EMA with smoothing ``weight`` in [0, 1); None stays None."""
    if not 0 <= weight < 1:
        raise ValueError(f"smoothing weight {weight!r} must be in [0, 1): 0 is no smoothing.")
    out: list[float | None] = []
    last, count = 0.0, 0
    for value in values:
        if value is None or not math.isfinite(value):
            out.append(None)
            continue
        last = last * weight + (1 - weight) * value
        count += 1
        debias = 1 - weight**count if weight > 0 else 1.0
        out.append(last / debias)
    return out


@dataclasses.dataclass(frozen=True)
class Band:
    """A group of runs drawn as one line: per bin, its x, the mean and the min and max."""

    xs: list[float]
    mean: list[float]
    low: list[float]
    high: list[float]


def group(series: Sequence[tuple[Sequence[float], Sequence[float]]], bins: int) -> Band:
    """Mean line and min-max band of several runs' ``(xs, ys)`` over ``bins`` x bins."""
    finite = [
        [(x, y) for x, y in zip(xs, ys, strict=True) if _ok(x) and _ok(y)] for xs, ys in series
    ]
    every = [x for points in finite for x, _ in points]
    if not every or bins < 1:
        return Band([], [], [], [])
    left, right = min(every), max(every)
    width = (right - left) / bins or 1.0
    cells: dict[int, list[tuple[float, float]]] = {}
    for points in finite:
        for cell, run_points in _by_bin(points, left, width, bins).items():
            xs = [x for x, _ in run_points]
            ys = [y for _, y in run_points]
            cells.setdefault(cell, []).append((sum(xs) / len(xs), sum(ys) / len(ys)))
    return _band(cells)


def _ok(value: float | None) -> bool:
    return value is not None and math.isfinite(value)


def _by_bin(
    points: list[tuple[float, float]], left: float, width: float, bins: int
) -> dict[int, list[tuple[float, float]]]:
    out: dict[int, list[tuple[float, float]]] = {}
    for x, y in points:
        out.setdefault(min(bins - 1, int((x - left) / width)), []).append((x, y))
    return out


def _band(cells: dict[int, list[tuple[float, float]]]) -> Band:
    band = Band([], [], [], [])
    for cell in sorted(cells):
        members = cells[cell]
        ys = [y for _, y in members]
        band.xs.append(sum(x for x, _ in members) / len(members))
        band.mean.append(sum(ys) / len(ys))
        band.low.append(min(ys))
        band.high.append(max(ys))
    return band


def step_metric_of(metrics: dict[str, Any], key: str) -> str | None:
    """The x-axis ``define_metric`` gave ``key``: its own definition, else the first prefix glob."""
    own = metrics.get(key)
    if isinstance(own, dict) and own.get("step_metric"):
        return str(own["step_metric"])
    for name, definition in metrics.items():
        glob = name.endswith("*") and key.startswith(name[:-1])
        if glob and isinstance(definition, dict) and definition.get("step_metric"):
            return str(definition["step_metric"])
    return None
