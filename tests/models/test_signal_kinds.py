"""Each input signal kind produces the series the spec defines, step by step."""

from __future__ import annotations

import math

import numpy as np
import pytest

from nexus_panel.models import Signal, ValidationError


def test_constant_is_flat() -> None:
    assert Signal(kind="constant", value=7.5).generate(4, 0.1).tolist() == [7.5] * 4


def test_sinusoid_is_sampled_at_t_equals_k_dt() -> None:
    # frequency 0.25 cycles per time unit: peak at t = 1, back to the offset at t = 2,
    # trough at t = 3. With dt = 0.5 those are steps 2, 4 and 6.
    s = Signal(kind="sinusoidal", offset=10.0, amplitude=3.0, frequency=0.25)
    values = s.generate(8, 0.5)
    assert values[0] == 10.0
    assert values[2] == pytest.approx(13.0, abs=1e-12)
    assert values[4] == pytest.approx(10.0, abs=1e-12)
    assert values[6] == pytest.approx(7.0, abs=1e-12)
    expected = [10.0 + 3.0 * math.sin(2 * math.pi * 0.25 * (k * 0.5)) for k in range(8)]
    assert values.tolist() == pytest.approx(expected, abs=1e-12)


def test_sinusoid_stays_within_offset_plus_minus_amplitude() -> None:
    values = Signal(kind="sinusoidal", offset=100.0, amplitude=20.0,
                    frequency=0.013).generate(5000, 0.1)
    assert values.max() <= 120.0
    assert values.min() >= 80.0
    assert values.max() == pytest.approx(120.0, abs=1e-3)
    assert values.min() == pytest.approx(80.0, abs=1e-3)


def test_step_switches_at_the_step_index() -> None:
    values = Signal(kind="step", initial=1.0, final=2.0, step_at=3).generate(6, 0.1)
    assert values.tolist() == [1.0, 1.0, 1.0, 2.0, 2.0, 2.0]


def test_step_defaults_to_the_middle_of_the_run() -> None:
    values = Signal(kind="step", initial=1.0, final=2.0).generate(7, 0.1)
    assert values.tolist() == [1.0, 1.0, 1.0, 2.0, 2.0, 2.0, 2.0]  # 7 // 2 = 3


def test_step_past_the_end_is_a_warning_note() -> None:
    s = Signal(kind="step", step_at=500)
    assert (s.generate(100, 0.1) == s.initial).all()
    assert "never happens" in s.notes(100)[0]


def test_random_walk_is_the_cumulative_sum_of_its_own_normal_draws() -> None:
    s = Signal(kind="random_walk", initial=100.0, volatility=5.0, seed=7)
    draws = np.random.default_rng(7).normal(0.0, 5.0, 50)
    assert s.generate(50, 0.1).tolist() == np.maximum(100.0 + np.cumsum(draws), 0).tolist()


def test_random_walk_is_reproducible_and_ignores_global_numpy_seeding() -> None:
    s = Signal(kind="random_walk", seed=42)
    np.random.seed(1)
    first = s.generate(200, 0.1)
    np.random.seed(2)
    np.random.normal(size=1000)  # other code using the global generator
    second = s.generate(200, 0.1)
    assert np.array_equal(first, second)
    assert not np.array_equal(first, Signal(kind="random_walk", seed=43).generate(200, 0.1))


def test_random_walk_is_clipped_at_zero() -> None:
    values = Signal(kind="random_walk", initial=1.0, volatility=50.0, seed=3).generate(500, 0.1)
    assert values.min() == 0.0
    assert (values == 0.0).sum() > 10  # it really went below zero and was clipped


def test_pulse_is_on_while_k_mod_period_is_below_width() -> None:
    values = Signal(kind="pulse", baseline=1.0, pulse_height=4.0, pulse_width=3,
                    pulse_period=10).generate(25, 0.1)
    on = [k for k in range(25) if values[k] == 5.0]
    assert on == [0, 1, 2, 10, 11, 12, 20, 21, 22]
    assert all(values[k] == 1.0 for k in range(25) if k not in on)


def test_pulse_width_zero_never_fires_and_full_width_always_does() -> None:
    assert (Signal(kind="pulse", pulse_width=0, pulse_period=5).generate(20, 1) == 100).all()
    assert (Signal(kind="pulse", pulse_width=5, pulse_period=5).generate(20, 1) == 150).all()


def test_pulse_wider_than_its_period_is_rejected() -> None:
    with pytest.raises(ValidationError) as err:
        Signal(kind="pulse", pulse_width=11, pulse_period=10)
    assert err.value.fields == ["pulse_width"]


def test_ramp_includes_both_end_points() -> None:
    values = Signal(kind="ramp", start=0.0, end=4.0).generate(5, 0.1)
    assert values.tolist() == [0.0, 1.0, 2.0, 3.0, 4.0]
    long = Signal(kind="ramp", start=100.0, end=200.0).generate(1001, 0.1)
    assert long[0] == 100.0
    assert long[-1] == 200.0


def test_ramp_of_one_step_is_its_start() -> None:
    assert Signal(kind="ramp", start=3.0, end=9.0).generate(1, 0.1).tolist() == [3.0]


def test_unknown_kind_and_stray_parameters_are_named() -> None:
    with pytest.raises(ValidationError) as err:
        Signal.from_dict({"kind": "sawtooth"})
    assert err.value.fields == ["kind"]
    with pytest.raises(ValidationError) as err:
        Signal.from_dict({"kind": "constant", "value": 1.0, "amplitude": 3.0})
    assert err.value.fields == ["amplitude"]
    assert "not a parameter of a constant signal" in str(err.value)
