"""Property tests: any valid scenario round-trips exactly and runs to finite numbers; any
invalid value is refused with an error naming its field."""

from __future__ import annotations

import json
from typing import Any

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st
from scenario_strategies import (
    hostile_scenario_dicts,
    invalid_number,
    json_values,
    scenario_dicts,
)

from nexus_panel import simulate
from nexus_panel.models import (
    KINDS,
    EngineParams,
    Scenario,
    Signal,
    ValidationError,
    canonical_json,
)


@settings(max_examples=150, deadline=None)
@given(scenario_dicts())
def test_valid_scenarios_never_produce_nan_or_inf(data: dict) -> None:
    result = simulate(Scenario.from_dict(data))
    frame = result.frame
    assert np.isfinite(frame.iloc[:-1].to_numpy()).all()
    assert np.isfinite(frame.iloc[-1][["t", "N", "cumulative_I", "cumulative_B"]]).all()
    assert all(np.isfinite(v) for v in result.summary.values())
    assert (frame["N"] >= 0).all()


@settings(max_examples=100, deadline=None)
@given(scenario_dicts())
def test_to_dict_from_dict_is_an_exact_json_round_trip(data: dict) -> None:
    scenario = Scenario.from_dict(data)
    first = scenario.to_dict()
    text = json.dumps(first)
    again = Scenario.from_json(text)
    assert again.to_dict() == first
    assert canonical_json(again.to_dict()) == canonical_json(first)
    assert again.content_hash() == scenario.content_hash()


@st.composite
def bad_param(draw: st.DrawFn) -> tuple[str, object]:
    name = draw(st.sampled_from(EngineParams.names()))
    return name, draw(invalid_number(EngineParams.param[name]))


@settings(max_examples=200, deadline=None)
@given(bad_param())
def test_invalid_parameter_values_raise_naming_the_field(bad: tuple[str, object]) -> None:
    name, value = bad
    try:
        Scenario.from_dict({"params": {name: value}})
    except ValidationError as exc:
        assert exc.fields == [f"params.{name}"]
        assert f"params.{name} = " in str(exc)
        assert "allowed" in str(exc)
    else:
        raise AssertionError(f"{name} = {value!r} was accepted")


@st.composite
def bad_signal(draw: st.DrawFn) -> tuple[str, str, str, object]:
    kind = draw(st.sampled_from([k for k in KINDS if Signal.kind_params(k)]))
    name = draw(st.sampled_from(Signal.kind_params(kind)))
    target = draw(st.sampled_from(["H", "E", "C_disp"]))
    return target, kind, name, draw(invalid_number(Signal.param[name]).filter(
        lambda v: not (name == "step_at" and v is None)))


@settings(max_examples=200, deadline=None)
@given(bad_signal())
def test_invalid_signal_values_raise_naming_the_field(
        bad: tuple[str, str, str, object]) -> None:
    target, kind, name, value = bad
    try:
        Scenario.from_dict({"inputs": {target: {"kind": kind, name: value}}})
    except ValidationError as exc:
        assert f"inputs.{target}.{name}" in exc.fields
        assert f"inputs.{target}.{name} = " in str(exc)
    else:
        raise AssertionError(f"{target}.{name} = {value!r} ({kind}) was accepted")


def test_every_bad_field_is_reported_at_once() -> None:
    try:
        Scenario.from_dict({"params": {"alpha": -1, "delta_t": 0, "num_steps": 0},
                            "inputs": {"H": {"kind": "constant", "value": float("nan")}}})
    except ValidationError as exc:
        assert sorted(exc.fields) == ["inputs.H.value", "params.alpha", "params.delta_t",
                                      "params.num_steps"]
        assert str(exc).startswith("4 invalid values")
    else:
        raise AssertionError("accepted")


@settings(max_examples=400, deadline=None)
@given(hostile_scenario_dicts() | json_values())
def test_any_json_document_is_a_scenario_or_one_short_validation_error(data: Any) -> None:
    """Nested junk, NaN, huge integers, wrong types anywhere: a Scenario, or a
    ValidationError naming fields in one short line; never another exception."""
    try:
        scenario = Scenario.from_dict(data)
    except ValidationError as exc:
        message = str(exc)
        assert exc.fields and "\n" not in message
        assert len(message) < 400 * len(exc.errors)
    else:
        assert Scenario.from_json(scenario.to_json()).to_dict() == scenario.to_dict()
