"""Alignment to the grid t = k*dt, checked against its definition on random feeds
(hypothesis): monotone times with random gaps, both methods, every gap policy."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from nexus_panel.feeds.align import align, grid_times
from nexus_panel.models import ValidationError

finite = st.floats(-1e6, 1e6, allow_nan=False)


@st.composite
def feeds(draw: st.DrawFn) -> tuple[np.ndarray, np.ndarray]:
    steps = draw(st.lists(st.floats(0.01, 50.0), min_size=1, max_size=40))
    times = np.cumsum([draw(st.floats(-100, 100)), *steps])
    times = np.unique(times)  # strictly increasing, as parsing guarantees
    values = np.array(draw(st.lists(finite, min_size=times.size, max_size=times.size)))
    return times, values


@st.composite
def cases(draw: st.DrawFn) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    times, values = draw(feeds())
    start = draw(st.floats(float(times[0]), float(times[-1]) + 10))
    grid = grid_times(start, draw(st.integers(1, 60)), draw(st.floats(0.01, 5.0)), 1.0)
    return times, values, grid


@settings(max_examples=150, deadline=None)
@given(cases())
def test_previous_is_the_last_row_at_or_before(case: tuple[np.ndarray, ...]) -> None:
    times, values, grid = case
    out = align(times, values, grid)
    for t, v in zip(grid, out, strict=True):
        assert v == values[times <= t][-1]


@settings(max_examples=150, deadline=None)
@given(cases())
def test_linear_lies_between_its_neighbours(case: tuple[np.ndarray, ...]) -> None:
    times, values, grid = case
    out = align(times, values, grid, method="linear")
    for t, v in zip(grid, out, strict=True):
        i = np.searchsorted(times, t, side="right") - 1
        j = min(i + 1, times.size - 1)
        low, high = sorted((values[i], values[j]))
        assert low - 1e-6 * (1 + abs(low)) <= v <= high + 1e-6 * (1 + abs(high))
        if t in times:
            assert v == values[times == t][0]


@settings(max_examples=150, deadline=None)
@given(cases(), st.floats(0.05, 60.0))
def test_gap_policies(case: tuple[np.ndarray, ...], max_gap: float) -> None:
    times, values, grid = case
    index = np.searchsorted(times, grid, side="right") - 1
    span = np.where(index + 1 < times.size, times[np.minimum(index + 1, times.size - 1)]
                    - times[index], grid - times[index])
    in_gap = (span > max_gap) & (grid != times[index])
    held = align(times, values, grid, method="linear", gap_policy="hold", max_gap=max_gap)
    linear = align(times, values, grid, method="linear")
    previous = align(times, values, grid)
    assert np.array_equal(held, np.where(in_gap, previous, linear))
    interpolated = align(times, values, grid, gap_policy="interpolate", max_gap=max_gap)
    assert np.array_equal(interpolated, np.where(in_gap, linear, previous))
    if in_gap.any():
        with pytest.raises(ValidationError, match=rf"max_gap = .*\(step {np.argmax(in_gap)},"):
            align(times, values, grid, gap_policy="fail", max_gap=max_gap)
    else:
        assert np.array_equal(align(times, values, grid, gap_policy="fail",
                                    max_gap=max_gap), previous)


def test_a_grid_starting_before_the_first_row_is_refused() -> None:
    with pytest.raises(ValidationError, match=r"start_time = -1.0 \(allowed: at or after "
                                              r"the feed's first row \(time 0\)\)"):
        align(np.array([0.0, 1.0]), np.array([1.0, 2.0]), np.array([-1.0, 0.0]))


def test_the_fail_message_names_the_gap() -> None:
    times = np.array([0.0, 1.0, 10.0, 11.0])
    with pytest.raises(ValidationError, match=r"the gap from time 1 to 10 \(step 2, length "
                                              r"9\)"):
        align(times, times, grid_times(0.0, 12, 1.0, 1.0), gap_policy="fail", max_gap=2.0)
