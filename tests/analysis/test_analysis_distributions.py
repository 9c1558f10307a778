"""Sampled parameters stay inside their bounds by truncation, not by clipping."""

from __future__ import annotations

import math

import numpy as np
import pytest

from nexus_panel.analysis.distributions import ParameterDistribution, sample_parameters
from nexus_panel.models import EngineParams, ValidationError
from nexus_panel.models.checks import check_number

N = 20_000


def draw(spec: dict, n: int = N, seed: int = 1) -> np.ndarray:
    dist = ParameterDistribution.from_dict(spec)
    return sample_parameters([dist], EngineParams(), n, seed)[dist.parameter]


@pytest.mark.parametrize("spec", [
    {"parameter": "K_p", "distribution": "normal", "mean": 0.02, "std": 0.5},
    {"parameter": "K_p", "distribution": "truncnormal", "mean": 0.5, "std": 1, "low": 0.2,
     "high": 0.3},
    {"parameter": "kappa", "distribution": "uniform", "low": 0.0, "high": 0.1},
    {"parameter": "delta_t", "distribution": "lognormal", "median": 0.5, "sigma": 3},
    {"parameter": "alpha", "distribution": "triangular", "low": 0, "mode": 5, "high": 5},
    {"parameter": "N_0", "distribution": "normal", "mean": 1, "std": 1000},
])
def test_every_sample_is_a_legal_value(spec: dict) -> None:
    values = draw(spec)
    p = EngineParams.param[spec["parameter"]]
    assert all(check_number(p, float(v)) is None for v in values)
    lo, hi = spec.get("low", -math.inf), spec.get("high", math.inf)
    assert values.min() >= lo and values.max() <= hi
    assert len(np.unique(values)) > N * 0.99  # continuous: no mass piled on a bound


def test_truncation_gives_the_half_normal_mean() -> None:
    # Normal(0, 0.1) cut at K_p's lower bound 0 is a half-normal: mean 0.1 * sqrt(2/pi).
    values = draw({"parameter": "K_p", "distribution": "normal", "mean": 0.0, "std": 0.1})
    expected = 0.1 * math.sqrt(2 / math.pi)
    se = values.std() / math.sqrt(N)
    assert abs(values.mean() - expected) < 4 * se
    assert (values == 0).sum() == 0  # clipping would put half the runs exactly on 0


def test_uniform_triangular_and_lognormal_moments() -> None:
    u = draw({"parameter": "beta", "distribution": "uniform", "low": 1, "high": 3})
    assert abs(u.mean() - 2) < 4 * (2 / math.sqrt(12)) / math.sqrt(N)
    t = draw({"parameter": "beta", "distribution": "triangular", "low": 1, "mode": 1.5,
              "high": 3})
    assert abs(t.mean() - (1 + 1.5 + 3) / 3) < 4 * t.std() / math.sqrt(N)
    g = draw({"parameter": "beta", "distribution": "lognormal", "median": 1.0, "sigma": 0.2})
    assert abs(np.median(g) - 1.0) < 0.01
    assert abs(np.log(g).std() - 0.2) < 0.01


def test_defaults_centre_on_the_scenario_value() -> None:
    values = draw({"parameter": "alpha", "distribution": "normal", "std": 0.01})
    assert abs(values.mean() - EngineParams().alpha) < 0.001


def test_same_seed_same_draws_other_seed_other_draws() -> None:
    spec = {"parameter": "alpha", "distribution": "uniform", "low": 0, "high": 1}
    assert np.array_equal(draw(spec, 100, seed=5), draw(spec, 100, seed=5))
    assert not np.array_equal(draw(spec, 100, seed=5), draw(spec, 100, seed=6))


def test_bad_distributions_name_the_field() -> None:
    from nexus_panel.analysis import MonteCarloSpec

    with pytest.raises(ValidationError) as info:
        MonteCarloSpec.from_dict({"parameters": [
            {"parameter": "num_steps"}, {"parameter": "K_p", "std": -1}]})
    assert info.value.fields == ["parameters[0].parameter", "parameters[1].std"]
    assert "num_steps" in str(info.value)
    with pytest.raises(ValidationError) as info:
        MonteCarloSpec.from_dict({"parameters": [
            {"parameter": "alpha", "distribution": "uniform", "low": -1, "high": 2},
            {"parameter": "beta", "distribution": "triangular", "low": 1, "mode": 3, "high": 2},
            {"parameter": "K_p", "distribution": "normal", "mean": 50, "std": 0.001},
            {"parameter": "K_p", "distribution": "uniform"},
        ]})
    assert info.value.fields == ["parameters[0].low", "parameters[1].mode",
                                 "parameters[2].mean",
                                 "parameters[3].parameter"]
    assert "bounds of alpha" in str(info.value)
