"""Series semantics: min/max downsampling, debiased EMA, grouping, step metrics."""

from __future__ import annotations

import math

import pytest
from hypothesis import given
from hypothesis import strategies as st

from nbtrack import series


def test_few_points_are_answered_as_they_are_non_finite_left_out() -> None:
    steps, values = series.downsample([0, 1, 2, 3], [1, float("nan"), True, 2.5], 10)
    assert (steps, values) == ([0, 3], [1.0, 2.5])


def test_downsampling_keeps_spikes_and_answers_real_points() -> None:
    n = 100_000
    values = [math.sin(i / 500) for i in range(n)]
    values[31_337], values[77_777] = 1e6, -1e6
    steps, picked = series.downsample(range(n), values, 1000)
    assert 250 <= len(steps) <= 1000
    assert steps == sorted(steps)
    assert dict(zip(steps, picked, strict=True))[31_337] == 1e6
    assert -1e6 in picked
    assert all(values[s] == v for s, v in zip(steps, picked, strict=True))


def test_a_range_is_read_at_full_resolution_when_it_fits() -> None:
    n = 10_000
    steps, _ = series.downsample(range(n), [float(i % 7) for i in range(n)], 500, 2000, 2399)
    assert steps == list(range(2000, 2400))


def test_groups_are_aligned_powers_of_two_of_at_least_16_steps() -> None:
    assert series.group_shift(0, 15, 2) == 4
    assert series.group_shift(0, 99_999, 1000) == 8  # 391 groups of 256 steps
    assert series.extent(17, 40) == (16, 47)
    assert series.extent(17, 40, 20, 30) == (20, 30)


@given(
    st.lists(st.floats(-1e9, 1e9), min_size=1, max_size=400),
    st.integers(1, 50),
    st.integers(2, 60),
)
def test_any_downsample_is_within_n_real_points_with_both_extremes(
    data: list[float], gap: int, samples: int
) -> None:
    steps = [i * gap for i in range(len(data))]
    got_steps, got = series.downsample(steps, data, samples)
    truth = dict(zip(steps, data, strict=True))
    assert len(got) <= samples
    assert all(truth[s] == v for s, v in zip(got_steps, got, strict=True))
    assert min(data) in got and max(data) in got


def test_ema_is_tensorboards_debiased_average() -> None:
    smoothed = series.ema([1.0, None, 3.0, float("inf"), 5.0], 0.6)
    assert smoothed[1] is None and smoothed[3] is None
    assert smoothed[0] == pytest.approx(1.0)  # debiased: the first value is itself
    assert smoothed[2] == pytest.approx((0.6 * 0.4 * 1 + 0.4 * 3) / (1 - 0.6**2))
    last = 0.6 * (0.6 * 0.4 * 1 + 0.4 * 3) + 0.4 * 5
    assert smoothed[4] == pytest.approx(last / (1 - 0.6**3))
    assert series.ema([2.0, 4.0], 0) == [2.0, 4.0]
    with pytest.raises(ValueError, match="smoothing weight 1"):
        series.ema([1.0], 1)


def test_groups_give_a_mean_line_and_a_min_max_band() -> None:
    band = series.group([([0, 1, 2], [1, 2, 3]), ([0, 1, 2], [3, 4, float("nan")])], bins=3)
    assert band.mean == [2, 3, 3] and band.low == [1, 2, 3] and band.high == [3, 4, 3]
    assert band.xs == [0, 1, 2]
    assert series.group([], 10).xs == []


def test_step_metric_from_define_metric_own_then_glob() -> None:
    metrics = {"val/*": {"name": "val/*", "step_metric": "epoch"}, "loss": {"name": "loss"}}
    assert series.step_metric_of(metrics, "val/acc") == "epoch"
    assert series.step_metric_of(metrics, "loss") is None
    metrics["val/acc"] = {"step_metric": "val/step"}
    assert series.step_metric_of(metrics, "val/acc") == "val/step"
