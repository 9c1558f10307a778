"""Tuning specs: JSON round trip, defaults from the slider ranges, and bad input named field
by field (hypothesis throws arbitrary JSON at it: a ValidationError or a spec, nothing else)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from nexus_panel.analysis.tuning_spec import TuningSpec
from nexus_panel.models import ValidationError

EXAMPLE = Path(__file__).resolve().parents[2] / "examples" / "tune.json"
GOOD: dict[str, Any] = {"parameters": [{"parameter": "K_p"}, {"parameter": "K_i", "log": True}],
                        "objectives": [{"metric": "rms_error"}]}


def test_round_trip_and_slider_ranges() -> None:
    spec = TuningSpec.from_dict(GOOD)
    again = TuningSpec.from_json(spec.to_json())
    assert again.to_dict() == spec.to_dict()
    assert spec.parameters[0].interval() == (0.0, 1.0)  # K_p's slider
    assert spec.parameters[1].interval() == (0.001, 0.1)  # log: starts one slider step above 0
    assert spec.directions() == ["minimize"] and spec.sampler_name() == "tpe"
    two = TuningSpec.from_dict({**GOOD, "objectives": [{"metric": "rms_error"},
                                                       {"metric": "min_S"}]})
    assert two.directions() == ["minimize", "maximize"] and two.sampler_name() == "nsga2"


def test_example_file_is_a_valid_spec() -> None:
    spec = TuningSpec.from_file(EXAMPLE)
    assert spec.base_scenario.name == "consumption-shock" and spec.constraints


@pytest.mark.parametrize(("change", "fields"), [
    ({"parameters": []}, ["parameters"]),
    ({"objectives": []}, ["objectives"]),
    ({"objectives": [{"metric": "happiness"}]}, ["objectives[0].metric"]),
    ({"parameters": [{"parameter": "gravity"}]}, ["parameters[0].parameter"]),
    ({"parameters": [{"parameter": "K_p", "low": 0.8, "high": 0.2}]}, ["parameters[0].low"]),
    ({"parameters": [{"parameter": "K_p", "low": -1}]}, ["parameters[0].low"]),
    ({"parameters": [{"parameter": "K_p", "log": True, "low": 0}]}, ["parameters[0].low"]),
    ({"parameters": [{"parameter": "K_p", "integer": True, "high": 0.5}]},
     ["parameters[0].high"]),
    ({"parameters": [{"parameter": "K_p"}, {"parameter": "K_p"}]}, ["parameters[1].parameter"]),
    ({"uncertain": [{"parameter": "K_p", "distribution": "uniform"}]},
     ["uncertain[0].parameter"]),
    ({"sampler": "cmaes", "constraints": [{"metric": "overshoot_pct"}]}, ["sampler"]),
    ({"constraints": [{"metric": "overshoot_pct", "op": "<", "bound": 5}]},
     ["constraints[0].op"]),
    ({"members": 0, "level": 2}, ["members", "level"]),
    ({"n_trials": 0, "surprise": 1}, ["surprise", "n_trials"]),
])
def test_bad_input_names_every_field(change: dict[str, Any], fields: list[str]) -> None:
    with pytest.raises(ValidationError) as caught:
        TuningSpec.from_dict({**GOOD, **change})
    assert sorted(caught.value.fields) == sorted(fields)


def test_inverted_range_message_says_what_is_allowed() -> None:
    with pytest.raises(ValidationError, match=r"parameters\[0\].low = 0.8 \(allowed: less than "
                                              r"high \(0.2\)\)"):
        TuningSpec.from_dict({**GOOD, "parameters": [{"parameter": "K_p", "low": 0.8,
                                                      "high": 0.2}]})


SCALARS = st.none() | st.booleans() | st.integers() | st.floats() | st.text(max_size=8)
JSONISH = st.recursive(SCALARS,
                       lambda inner: st.lists(inner, max_size=3)
                       | st.dictionaries(st.text(max_size=8), inner, max_size=3), max_leaves=12)
KEYS = st.sampled_from(["parameters", "objectives", "constraints", "uncertain", "members",
                        "aggregate", "level", "sampler", "floor", "n_trials", "warm_start"])


@settings(max_examples=150, deadline=None)
@given(st.dictionaries(KEYS, JSONISH, max_size=4))
def test_hostile_json_gives_a_spec_or_a_validation_error(data: dict[str, Any]) -> None:
    try:
        spec = TuningSpec.from_dict({**GOOD, **data})
    except ValidationError as exc:
        assert exc.errors and all(e.field for e in exc.errors)
        json.dumps([str(e) for e in exc.errors])  # printable as one message
    else:
        spec.validate()
