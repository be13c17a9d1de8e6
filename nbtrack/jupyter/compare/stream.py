"""``Stream``: :func:`nbtrack.series.downsample` kept up to date point by point, in bounded memory.

The answer after any number of ``add`` calls is exactly ``series.downsample(steps, values,
samples)`` over every point added so far (points arrive in step order, as a run log holds them).
It keeps the points themselves while they number at most ``samples``, and always the lowest and
highest point of each group of ``2**k`` steps; when the steps outgrow ``samples // 2`` groups,
``k`` goes up and neighbouring groups merge (aligned power-of-two groups nest, so a merged group's
extremes are its halves' extremes). Each point carries ``extra`` (its other x values), which the
answer hands back beside it.
"""

from __future__ import annotations

from bisect import bisect_left
from collections.abc import Sequence
from typing import Any, Protocol

from nbtrack.series import FIRST_SHIFT

Entry = tuple[int, float, Any]  # (step, value, extra)


class Extras(Protocol):
    """The points' extras, by index (a list, or columns read lazily)."""

    def __getitem__(self, index: int, /) -> Any: ...

    def __len__(self) -> int: ...


class Stream:
    """One metric of one run, downsampled to at most ``samples`` points as it grows."""

    __slots__ = ("count", "first", "groups", "last", "raw", "samples", "shift")

    def __init__(self, samples: int) -> None:
        if samples < 2:
            raise ValueError(f"samples must be at least 2, not {samples!r}.")
        self.samples = samples
        self.count = 0
        self.first = 0
        self.last = 0
        self.shift = FIRST_SHIFT
        self.raw: list[Entry] | None = []
        self.groups: dict[int, list[Entry]] = {}

    def add(self, step: int, value: float, extra: Any = None) -> None:
        """One finite point, at a step above every earlier one."""
        entry = (step, value, extra)
        if self.count == 0:
            self.first = step
        self.count += 1
        self.last = step
        if self.raw is not None:
            if self.count <= self.samples:
                self.raw.append(entry)
            else:
                self.raw = None
        key = step >> self.shift
        pair = self.groups.get(key)
        if pair is None:
            self.groups[key] = [entry, entry]
            if key - (self.first >> self.shift) + 1 > max(1, self.samples // 2):
                self._coarsen()
            return
        if value < pair[0][1]:
            pair[0] = entry
        if value > pair[1][1]:
            pair[1] = entry

    def extend(self, steps: Sequence[int], values: Sequence[float], extras: Extras) -> None:
        """Many finite points at once (steps rising, above every earlier one): the same answer as
        ``add`` for each, with each group's extremes found by ``min``/``max`` over its slice."""
        if not steps:
            return
        if self.count == 0:
            self.first = steps[0]
        self.count += len(steps)
        self.last = steps[-1]
        if self.raw is not None:
            if self.count <= self.samples:
                self.raw.extend(
                    zip(steps, values, (extras[i] for i in range(len(steps))), strict=True)
                )
            else:
                self.raw = None
        self._coarsen()
        start, shift = 0, self.shift
        while start < len(steps):
            key = steps[start] >> shift
            end = bisect_left(steps, (key + 1) << shift, start)
            part = values[start:end]
            low = start + part.index(min(part))
            high = start + part.index(max(part))
            self._merge(
                key,
                (steps[low], values[low], extras[low]),
                (steps[high], values[high], extras[high]),
            )
            start = end

    def _merge(self, key: int, low: Entry, high: Entry) -> None:
        pair = self.groups.get(key)
        if pair is None:
            self.groups[key] = [low, high]
            return
        if low[1] < pair[0][1]:
            pair[0] = low
        if high[1] > pair[1][1]:
            pair[1] = high

    def _coarsen(self) -> None:
        wanted = max(1, self.samples // 2)
        while (self.last >> self.shift) - (self.first >> self.shift) + 1 > wanted:
            self.shift += 1
            merged: dict[int, list[Entry]] = {}
            for key in sorted(self.groups):
                pair = self.groups[key]
                into = merged.get(key >> 1)
                if into is None:
                    merged[key >> 1] = pair
                    continue
                if pair[0][1] < into[0][1]:
                    into[0] = pair[0]
                if pair[1][1] > into[1][1]:
                    into[1] = pair[1]
            self.groups = merged

    def points(self) -> list[Entry]:
        """The downsampled points, in step order."""
        if self.raw is not None:
            return list(self.raw)
        out: list[Entry] = []
        for key in sorted(self.groups):
            low, high = self.groups[key]
            if low[0] == high[0]:
                out.append(low)
            else:
                out.extend((low, high) if low[0] < high[0] else (high, low))
        return out
