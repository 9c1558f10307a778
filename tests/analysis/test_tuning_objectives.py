"""The tuning catalogue's figures and the robust aggregates, against values computed by
hand (numpy on simulate()'s frame, or small arrays worked out on paper)."""

from __future__ import annotations

import math

import numpy as np
import pytest

from nexus_panel import simulate
from nexus_panel.analysis.objectives import DOCS, OBJECTIVES, aggregate
from nexus_panel.analysis.specs import METRICS
from nexus_panel.analysis.tuning_eval import evaluate, member_scenarios
from nexus_panel.analysis.tuning_spec import TuningSpec
from nexus_panel.models import Scenario

SHOCK = {"name": "shock", "params": {"num_steps": 300, "N_initial": 900},
         "inputs": {"C_cons": {"kind": "step", "initial": 60, "final": 90, "step_at": 100},
                    "H": {"kind": "random_walk", "initial": 100, "volatility": 5, "seed": 3}}}


def test_catalogue_is_the_metrics_plus_the_path_figures() -> None:
    assert set(METRICS) <= set(OBJECTIVES)
    assert set(OBJECTIVES) - set(METRICS) == {"rms_error", "min_S", "time_below_floor",
                                               "volatility_N"}
    assert set(DOCS) == set(OBJECTIVES)


def _spec(metrics: list[str], **extra: object) -> TuningSpec:
    return TuningSpec.from_dict({"scenario": SHOCK, "parameters": [{"parameter": "K_p"}],
                                 "objectives": [{"metric": m} for m in metrics], **extra})


def test_path_figures_equal_numpy_on_the_simulated_frame() -> None:
    figures = ["rms_error", "min_S", "time_below_floor", "volatility_N", "final_N",
               "overshoot_pct", "settling_time"]
    spec = _spec(figures, floor=990.0)
    gains = np.array([0.05, 0.4])
    result = evaluate(spec, member_scenarios(spec), {"K_p": gains})
    for i, k_p in enumerate(gains):
        data = Scenario.from_dict(SHOCK).to_dict()
        data["params"]["K_p"] = float(k_p)
        frame = simulate(Scenario.from_dict(data)).frame
        n, dt = frame["N"].to_numpy(), 0.1
        expected = {
            "rms_error": math.sqrt(np.mean((n - 1000.0) ** 2)),
            "min_S": frame["S"].to_numpy()[:-1].min(),
            "time_below_floor": dt * np.count_nonzero(n < 990.0),
            "volatility_N": np.std(np.diff(n) / dt),
            "final_N": n[-1],
        }
        for name, value in expected.items():
            assert result.objectives[i, figures.index(name)] == pytest.approx(value, rel=1e-12,
                                                                               abs=1e-12), name
    # neither gain brings N back into ±2 % (settling time NaN): counted as the whole run,
    # 300 steps x 0.1, instead of failing the trial
    assert result.objectives[:, figures.index("settling_time")].tolist() == [30.0, 30.0]


AGGREGATE_CASES = [
    ("mean", 0.9, True, [2.5, 6.5]),
    ("quantile", 0.75, True, [3.25, 7.25]),   # upper quartile of 1..4 and 5..8
    ("quantile", 0.75, False, [1.75, 5.75]),  # maximised: the lower quartile
    ("cvar", 0.5, True, [3.5, 7.5]),          # mean of the worst ceil(0.5 x 4) = 2 members
    ("cvar", 0.5, False, [1.5, 5.5]),
    ("cvar", 0.9, True, [4.0, 8.0]),          # ceil(0.1 x 4) = 1 member: the worst
]


@pytest.mark.parametrize(("how", "level", "worse_high", "expected"), AGGREGATE_CASES)
def test_aggregates_by_hand(how: str, level: float, worse_high: bool,
                            expected: list[float]) -> None:
    values = np.array([[1.0, 5.0], [2.0, 6.0], [3.0, 7.0], [4.0, 8.0]])  # 4 members x 2 trials
    assert aggregate(values, how, level, worse_high).tolist() == pytest.approx(expected)


def test_a_nan_member_fails_the_folded_value() -> None:
    values = np.array([[1.0, 5.0], [np.nan, 6.0]])
    assert np.isnan(aggregate(values, "cvar", 0.5, True)[0])
    assert aggregate(values, "cvar", 0.5, True)[1] == 6.0


def test_members_are_fixed_worlds_shared_by_every_trial() -> None:
    spec = _spec(["rms_error"], members=3, seed=11, uncertain=[
        {"parameter": "alpha", "distribution": "uniform", "low": 0.8, "high": 1.2}])
    members = member_scenarios(spec)
    again = member_scenarios(spec)
    assert [m.to_dict() for m in members] == [m.to_dict() for m in again]
    seeds = {m.inputs.H.seed for m in members}
    alphas = [m.params.alpha for m in members]
    assert len(seeds) == 3 and all(0.8 <= a <= 1.2 for a in alphas) and len(set(alphas)) == 3
    # robust mean of two trials = the mean over members of each member's own simulation
    result = evaluate(spec, members, {"K_p": np.array([0.1, 0.6])})
    for i, k_p in enumerate((0.1, 0.6)):
        per_member = []
        for m in members:
            data = m.to_dict()
            data["params"]["K_p"] = k_p
            n = simulate(Scenario.from_dict(data)).frame["N"].to_numpy()
            per_member.append(math.sqrt(np.mean((n - 1000.0) ** 2)))
        assert result.objectives[i, 0] == pytest.approx(np.mean(per_member), rel=1e-12)
