"""The bench's timing helper takes the median of what the clock says, without a stopwatch
in the test: the clock is a scripted one."""

from __future__ import annotations

import pytest

from nexus_panel import benchmarks


def test_median_seconds_is_the_median_of_the_timed_calls(
        monkeypatch: pytest.MonkeyPatch) -> None:
    ticks = iter([0.0, 1.0, 1.0, 4.0, 4.0, 6.0])  # three calls: 1 s, 3 s, 2 s
    monkeypatch.setattr(benchmarks.time, "perf_counter", lambda: next(ticks))
    calls = []
    seconds = benchmarks.median_seconds(lambda: calls.append(1), repeats=3, warmup=2)
    assert seconds == 2.0
    assert len(calls) == 5  # two untimed warm-up calls, then three timed ones


def test_quick_mode_uses_the_quick_repeats(monkeypatch: pytest.MonkeyPatch) -> None:
    ticks = iter([0.0, 5.0, 5.0, 6.0])
    monkeypatch.setattr(benchmarks.time, "perf_counter", lambda: next(ticks))
    with benchmarks.settings(quick=True):
        assert benchmarks.median_seconds(lambda: None, repeats=99, warmup=0,
                                         quick_repeats=2) == 3.0
