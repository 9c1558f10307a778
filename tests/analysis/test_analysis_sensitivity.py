"""Sensitivity on an output with known indices: mean burn is linear in the burn weights.

With beta = 1, constant inputs C_cons = 60, C_disp = 40 and E = 0.8 (load 0.2), every
step burns B = 60 gamma_C + 40 gamma_D + 0.2 gamma_E, so mean_burn is that linear form.
For independent uniform weights on [0, 1] its Sobol indices are c_i^2 / sum c^2
(first-order = total, no interactions); its Morris elementary effects are exactly c_i.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest

from nexus_panel.analysis import SensitivitySpec, run_sensitivity
from nexus_panel.models import ValidationError

COEF = {"gamma_C": 60.0, "gamma_D": 40.0, "gamma_E": 0.2}
TOTAL = sum(c * c for c in COEF.values())


def spec(method: str, **extra: Any) -> SensitivitySpec:
    return SensitivitySpec.from_dict({
        "method": method, "scenario": {"params": {"num_steps": 50}},
        "parameters": [{"parameter": p, "low": 0, "high": 1} for p in COEF],
        "outputs": ["mean_burn"], **extra})


def test_sobol_indices_match_the_analytic_values_within_their_ci() -> None:
    result = run_sensitivity(spec("sobol", n_base=512))
    frame = result.indices["mean_burn"]
    assert result.n_runs == 512 * (2 * 3 + 2)
    for name, c in COEF.items():
        truth = c * c / TOTAL
        assert abs(frame.loc[name, "S1"] - truth) <= frame.loc[name, "S1_conf"]
        assert abs(frame.loc[name, "ST"] - truth) <= max(frame.loc[name, "ST_conf"], 1e-6)
    second = result.second_order["mean_burn"]
    assert np.all(np.abs(second["S2"]) <= second["S2_conf"])  # no interactions


def test_morris_elementary_effects_are_the_coefficients() -> None:
    frame = run_sensitivity(spec("morris", n_base=20)).indices["mean_burn"]
    for name, c in COEF.items():
        assert frame.loc[name, "mu_star"] == pytest.approx(c, rel=1e-9)
        assert frame.loc[name, "sigma"] == pytest.approx(0, abs=1e-9)


def test_tornado_is_normalised_to_the_baseline() -> None:
    frame = run_sensitivity(spec("oat", oat_fraction=0.1)).indices["mean_burn"]
    baseline = 0.5 * 60 + 0.3 * 40 + 0.2 * 0.2  # default weights: 42.04
    assert frame.attrs["unit"] == "% of baseline"
    assert frame.loc["gamma_C", "high_change"] == pytest.approx(100 * 6 / baseline)
    assert frame.loc["gamma_D", "low_change"] == pytest.approx(-100 * 4 / baseline)
    assert list(frame.index) == ["gamma_C", "gamma_D", "gamma_E"]  # sorted by swing


def test_response_metrics_can_be_outputs() -> None:
    result = run_sensitivity(SensitivitySpec.from_dict({
        "method": "morris", "n_base": 4, "scenario": {"params": {"num_steps": 200}},
        "parameters": [{"parameter": "K_p"}, {"parameter": "K_i"}],
        "outputs": ["peak_deviation"]}))
    assert result.indices["peak_deviation"]["mu_star"].gt(0).all()


def test_bad_specs_are_rejected_with_every_field_named() -> None:
    with pytest.raises(ValidationError) as info:
        SensitivitySpec.from_dict({"method": "sobol", "n_base": 100, "outputs": ["nope"],
                                   "parameters": [{"parameter": "alpha", "low": 3,
                                                   "high": 1}]})
    assert set(info.value.fields) == {"outputs", "parameters[0].low"}
    assert "'nope'" in str(info.value) and "final_N" in str(info.value)
    with pytest.raises(ValidationError) as info:
        SensitivitySpec.from_dict({"method": "sobol", "n_base": 100,
                                   "parameters": [{"parameter": "alpha"}]})
    assert info.value.fields == ["parameters", "n_base"]
