"""The compare widget's streaming downsampler answers exactly nbtrack.series.downsample."""

from __future__ import annotations

import math

from hypothesis import given
from hypothesis import strategies as st

from nbtrack import series
from nbtrack.jupyter.compare.stream import Stream


def answer(stream: Stream) -> tuple[list[int], list[float]]:
    points = stream.points()
    return [p[0] for p in points], [p[1] for p in points]


@given(
    st.lists(st.floats(-1e6, 1e6), min_size=1, max_size=600),
    st.integers(1, 40),
    st.integers(2, 80),
    st.lists(st.integers(1, 50), min_size=1, max_size=20),
)
def test_any_feeding_gives_the_shared_downsample(
    values: list[float], gap: int, samples: int, chunks: list[int]
) -> None:
    steps = [7 + i * gap for i in range(len(values))]
    one, many = Stream(samples), Stream(samples)
    for step, value in zip(steps, values, strict=True):
        one.add(step, value, step)
    start, turn = 0, 0
    while start < len(steps):
        end = start + chunks[turn % len(chunks)]
        many.extend(steps[start:end], values[start:end], steps[start:end])
        start, turn = end, turn + 1
    expected = series.downsample(steps, values, samples)
    assert answer(one) == expected == answer(many)
    assert all(p[2] == p[0] for p in many.points())  # each point keeps its own extra


def test_a_long_run_stays_bounded_and_keeps_its_spikes() -> None:
    stream = Stream(1000)
    values = [math.sin(i / 300) for i in range(200_000)]
    values[123_457] = 50.0
    for start in range(0, 200_000, 7000):
        chunk = range(start, min(start + 7000, 200_000))
        stream.extend(list(chunk), values[chunk.start : chunk.stop], list(chunk))
    steps, got = answer(stream)
    assert len(stream.groups) <= 500 and stream.raw is None
    assert (steps, got) == series.downsample(range(200_000), values, 1000)
    assert 50.0 in got
