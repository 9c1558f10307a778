"""Each input's domain is declared once (E in [0, 1], the others >= 0): every kind of E
starts inside it, its sliders span it, and a run that leaves it says so."""

from __future__ import annotations

import numpy as np
import pytest

from nexus_panel import Scenario, simulate
from nexus_panel.models import INPUT_NAMES, KINDS, EngineParams, Inputs, Signal

NON_CONSTANT = [k for k in KINDS if k != "constant"]


def test_domains_are_declared_on_the_inputs() -> None:
    assert {n: Inputs.domain(n) for n in INPUT_NAMES} == {
        "H": (0.0, None), "M": (0.0, None), "D": (0.0, None), "E": (0.0, 1.0),
        "C_cons": (0.0, None), "C_disp": (0.0, None)}
    assert Inputs.bounded() == ["E"]
    assert Inputs.levels() == ["H", "M", "D", "C_cons", "C_disp"]
    assert INPUT_NAMES == ("H", "M", "D", "E", "C_cons", "C_disp")


@pytest.mark.parametrize("kind", NON_CONSTANT)
def test_switching_e_to_a_kind_starts_inside_zero_one(kind: str) -> None:
    """Before: every kind took the level-100 defaults and E sat clipped at 1 all run."""
    inputs = Inputs()
    inputs.E.kind = kind
    values = inputs.E.generate(1000, 0.1)
    assert 0.0 < values[0] <= 1.0
    if kind != "random_walk":  # a walk starts inside and may wander out (and is warned)
        assert values.min() >= 0.0 and values.max() <= 1.0
    # scaled from the declared defaults: a step from 0.4 to 0.6, a ramp from 0.4 to 0.8
    assert Inputs.signal_defaults("E")["initial"] == pytest.approx(0.4)
    assert Inputs.signal_defaults("E")["final"] == pytest.approx(0.6)
    assert Inputs.signal_defaults("E")["end"] == pytest.approx(0.8)


def test_every_kind_of_e_gives_a_different_run() -> None:
    """The symptom a user saw: five kinds of E, one and the same final N."""
    finals = set()
    for kind in KINDS:
        scenario = Scenario(params=EngineParams(num_steps=500))
        scenario.inputs.E.kind = kind
        finals.add(simulate(scenario).final_N)
    assert len(finals) == len(KINDS)


def test_a_partial_e_from_a_file_takes_e_defaults() -> None:
    inputs = Inputs.from_dict({"E": {"kind": "step"}, "H": {"kind": "step"}})
    assert (inputs.E.initial, inputs.E.final) == pytest.approx((0.4, 0.6))
    assert (inputs.H.initial, inputs.H.final) == (100.0, 150.0)


def test_slider_ranges_span_the_domain() -> None:
    assert Signal.slider_range("value", *Inputs.domain("E")) == (0.0, 1.0, 0.01)
    assert Signal.slider_range("amplitude", *Inputs.domain("E")) == (0.0, 1.0, 0.01)
    assert Signal.slider_range("pulse_height", *Inputs.domain("E")) == (-1.0, 1.0, 0.01)
    assert Signal.slider_range("volatility", *Inputs.domain("E")) == (0.0, 1.0, 0.01)
    assert Signal.slider_range("value", *Inputs.domain("H")) is None  # declared range
    assert Signal.slider_range("seed", *Inputs.domain("E")) is None


def test_clipping_e_is_a_warning_on_the_run() -> None:
    """Before: E = 1.5 was clipped to 1 in every step without a word."""
    scenario = Scenario(params=EngineParams(num_steps=100))
    scenario.inputs.E = Signal(kind="step", initial=0.5, final=1.5, step_at=40)
    result = simulate(scenario)
    assert ("Input E left its domain [0, 1] in 60 of 100 steps (0 below, 60 above); "
            "the engine clipped it.") in result.warnings
    assert result.frame["E"].max() == 1.0


def test_a_walk_held_at_zero_and_a_negative_input_are_warnings() -> None:
    scenario = Scenario(params=EngineParams(num_steps=400))
    scenario.inputs.H = Signal(kind="random_walk", initial=1.0, volatility=50.0, seed=3)
    scenario.inputs.D = Signal(kind="sinusoidal", offset=0.0, amplitude=10.0, frequency=1.0)
    arrays = scenario.inputs.arrays(400, 0.1)
    held = int(np.count_nonzero(arrays[0] == 0.0))
    negative = int(np.count_nonzero(arrays[2] < 0.0))
    assert held > 0 and negative > 0
    warnings = simulate(scenario).warnings
    assert (f"Input H: the random walk fell below 0 and was held at 0 in {held} of 400 "
            "steps.") in warnings
    assert any(w.startswith(f"Input D left its domain ≥ 0 in {negative} of 400 steps")
               for w in warnings)


def test_inputs_inside_their_domains_raise_no_warning() -> None:
    assert simulate(Scenario(params=EngineParams(num_steps=100))).warnings == []
