"""Specs: JSON round trip, choices only from the model's names, every bad field at once."""

from __future__ import annotations

import json

import pytest

from nexus_panel.analysis import ANALYSES
from nexus_panel.analysis.specs import VARIABLE_PARAMETERS
from nexus_panel.models import EngineParams, ValidationError

EXAMPLES = {
    "montecarlo": {"n_runs": 50, "master_seed": 5, "parameters": [
        {"parameter": "alpha", "distribution": "triangular", "low": 0.5, "mode": 1, "high": 2},
        {"parameter": "N_0", "distribution": "lognormal", "median": 900, "sigma": 0.3}]},
    "sensitivity": {"method": "morris", "outputs": ["final_N", "settling_time"],
                    "parameters": [{"parameter": "K_p", "low": 0.1}, {"parameter": "K_i"}]},
    "stability": {"x_parameter": "phi_limit", "y_parameter": "gamma_C", "x_points": 5},
    "controller": {"shock_input": "N_initial", "shock_size": -50,
                   "gain_sets": [{"label": "fast", "K_p": 0.8, "K_i": 0.02, "K_d": 0.1}]},
    "network": {"agents": 50, "graph": {"kind": "watts_strogatz", "k": 4, "rewire": 0.2},
                "heterogeneity": [{"parameter": "H", "distribution": "uniform", "low": 0.5,
                                   "high": 2.0}], "transfer_rate": 0.1, "seed": 3},
}


@pytest.mark.parametrize("name", list(ANALYSES))
def test_json_round_trip(name: str) -> None:
    cls = ANALYSES[name].spec
    spec = cls.from_dict({"scenario": {"params": {"alpha": 1.5}}, **EXAMPLES[name]})
    text = spec.to_json()
    again = cls.from_json(text)
    assert again.to_dict() == spec.to_dict() == json.loads(text)
    assert again.base_scenario.params.alpha == 1.5


def test_parameter_choices_are_the_model_names() -> None:
    assert set(VARIABLE_PARAMETERS) == set(EngineParams.names()) - {"num_steps"}
    for name in ("montecarlo", "sensitivity"):
        item = ANALYSES[name].spec._items["parameters"]
        assert item.param["parameter"].objects == list(VARIABLE_PARAMETERS)
    stability = ANALYSES["stability"].spec
    assert stability.param["x_parameter"].objects == list(VARIABLE_PARAMETERS)


def test_every_problem_is_reported_together() -> None:
    with pytest.raises(ValidationError) as info:
        ANALYSES["controller"].spec.from_dict({
            "shock_input": "H", "shock_size": "big", "bogus": 1,
            "scenario": {"params": {"alpha": -1}},
            "gain_sets": [{"K_p": 7}, {"label": 3}]})
    assert set(info.value.fields) == {"bogus", "scenario.params.alpha", "gain_sets[0].K_p",
                                      "gain_sets[1].label", "shock_size"}
    message = str(info.value)
    assert "K_p = 7" in message and "[0, 1]" in message


def test_controller_shock_needs_a_constant_input() -> None:
    with pytest.raises(ValidationError) as info:
        ANALYSES["controller"].spec.from_dict({
            "shock_input": "H", "scenario": {"inputs": {"H": {"kind": "ramp"}}}})
    assert info.value.fields == ["shock_input"] and "ramp" in str(info.value)


def test_batched_runs_that_would_not_fit_in_memory_are_refused() -> None:
    # 1e6 steps is one valid run; 441 of them in one task of a stability map held
    # 441 x 1,000,001 x 8 bytes = 3.5 GB (the server died). Limit: 256 MiB per task.
    from nexus_panel.analysis import SensitivitySpec, StabilitySpec

    long_run = {"params": {"num_steps": 1_000_000}}
    with pytest.raises(ValidationError) as info:
        StabilitySpec.from_dict({"scenario": long_run})
    assert info.value.fields == ["scenario.params.num_steps"]
    # 268,435,456 // (441 x 8) - 1 = 76,086 steps fit in one task of the 21 x 21 map
    assert "at most 76,086 for a stability map with chunk size 441" in str(info.value)
    assert StabilitySpec.from_dict({"scenario": {"params": {"num_steps": 76_086}}}).errors() \
        == []
    ranges = [{"parameter": "alpha"}, {"parameter": "beta"}]
    with pytest.raises(ValidationError, match="sensitivity analysis of response metrics"):
        SensitivitySpec.from_dict({"scenario": long_run, "parameters": ranges,
                                   "outputs": ["settling_time"]})
    # summary outputs are computed as the run goes: no trajectories, no limit
    assert SensitivitySpec.from_dict({"scenario": long_run, "parameters": ranges,
                                      "outputs": ["final_N"]}).errors() == []


@pytest.mark.parametrize("text", ["[" * 100_000, b"\xff\xfe{", "{not json"])
def test_undecodable_spec_files_are_one_validation_error(text: str | bytes) -> None:
    for analysis in ANALYSES.values():
        with pytest.raises(ValidationError) as caught:
            analysis.spec.from_json(text)
        assert caught.value.fields == ["file"]


def test_controller_gain_sets_that_would_not_fit_in_memory_are_refused() -> None:
    # Each gain set keeps its full 16-column run: 12 sets x 1,000,001 x 16 x 8 bytes
    # = 1.5 GB. 12 x 16 x 8 = 1,536 bytes per time point: at most 174,761 steps in 256 MiB.
    spec = ANALYSES["controller"].spec
    twelve = [{"K_p": 0.1 + 0.01 * i} for i in range(12)]
    with pytest.raises(ValidationError) as info:
        spec.from_dict({"scenario": {"params": {"num_steps": 1_000_000}}, "gain_sets": twelve})
    assert info.value.fields == ["scenario.params.num_steps"]
    assert "at most 174,761 for 12 gain sets" in str(info.value)
    spec.from_dict({"scenario": {"params": {"num_steps": 174_761}}, "gain_sets": twelve})
    spec.from_dict({"scenario": {"params": {"num_steps": 1_000_000}}})  # one set: 128 MB
