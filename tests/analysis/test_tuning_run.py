"""Running studies (in memory): seeded and resumable, every sampler, constraints, the Pareto
front, warm start across different search spaces, cancel, and adaptive control."""

from __future__ import annotations

from typing import Any

import numpy as np
import optuna
import pytest

from nexus_panel import simulate
from nexus_panel.analysis.adaptive import AdaptiveSpec, run_adaptive
from nexus_panel.analysis.tuning import evaluate_baseline, nondominated, run_tuning
from nexus_panel.analysis.tuning_spec import TuningSpec
from nexus_panel.models import Scenario

SHOCK = {"name": "shock", "params": {"num_steps": 200},
         "inputs": {"C_cons": {"kind": "step", "initial": 60, "final": 90, "step_at": 50}}}
GAINS = [{"parameter": "K_p"}, {"parameter": "K_i"}, {"parameter": "K_d"}]


def spec(**extra: Any) -> TuningSpec:
    return TuningSpec.from_dict({"scenario": SHOCK, "parameters": GAINS, "batch_size": 20,
                                 "objectives": [{"metric": "rms_error"}], "n_trials": 60,
                                 "seed": 5, **extra})


def _trials(study: optuna.Study) -> list[tuple[dict[str, float], tuple[float, ...] | None]]:
    return [(t.params, tuple(t.values) if t.values else None) for t in study.trials]


def test_same_seed_same_study_and_a_resumed_study_continues_it() -> None:
    one = optuna.create_study()
    run_tuning(spec(n_trials=60), one)
    split = optuna.create_study()
    run_tuning(spec(n_trials=40), split)  # 20 + 20 ...
    outcome = run_tuning(spec(n_trials=20), split)  # ... then 20 more, as after a restart
    assert _trials(one) == _trials(split)
    assert outcome.n_trials == 60 and outcome.added == 20


def test_tpe_beats_the_scenario_gains_and_reports_the_engine_share() -> None:
    s = spec(n_trials=80)
    baseline = evaluate_baseline(s)
    outcome = run_tuning(s, baseline=baseline)
    summary = outcome.summary()
    n = simulate(Scenario.from_dict(SHOCK)).frame["N"].to_numpy()
    assert baseline[0] == pytest.approx(np.sqrt(np.mean((n - 1000.0) ** 2)), rel=1e-12)
    assert summary["best_value"] < 0.5 * summary["baseline_value"]
    assert set(summary["best_params"]) == {"K_p", "K_i", "K_d"}
    assert 0 < summary["engine_seconds"] < summary["seconds"]
    best = outcome.best()
    assert best is not None and best["value_rms_error"] == outcome.trials[
        "value_rms_error"].min()


@pytest.mark.parametrize("sampler", ["nsga2", "nsga3", "random"])
def test_multi_objective_front_is_nondominated(sampler: str) -> None:
    outcome = run_tuning(spec(sampler=sampler, objectives=[
        {"metric": "rms_error"}, {"metric": "volatility_N"}]))
    front = outcome.pareto()[outcome.value_columns()].to_numpy()
    every = outcome.feasible()[outcome.value_columns()].to_numpy()
    assert len(front) >= 1
    for point in front:  # nothing feasible dominates a front point
        assert not ((every <= point).all(axis=1) & (every < point).any(axis=1)).any()
    assert outcome.summary()["direction"] == ["minimize", "minimize"]


def test_nondominated_by_hand() -> None:
    values = np.array([[1.0, 5.0], [2.0, 2.0], [3.0, 3.0], [5.0, 1.0], [2.0, 2.0]])
    assert nondominated(values).tolist() == [True, True, False, True, True]


def test_cmaes_runs_seeded() -> None:
    a = optuna.create_study()
    run_tuning(spec(sampler="cmaes", n_trials=40), a)
    b = optuna.create_study()
    run_tuning(spec(sampler="cmaes", n_trials=40), b)
    assert _trials(a) == _trials(b)


def test_constraints_nobody_meets_are_reported_not_run_forever() -> None:
    outcome = run_tuning(spec(n_trials=40, constraints=[
        {"metric": "rms_error", "op": "<=", "bound": -1}]))
    assert outcome.n_trials == 40 and outcome.feasible().empty and outcome.best() is None
    message = outcome.constraint_message()
    assert message is not None
    assert "none of the 40 trials satisfies the constraints: rms_error <= -1 (closest:" in message
    assert outcome.summary()["best_value"] is None


def test_a_constraint_keeps_the_best_feasible() -> None:
    outcome = run_tuning(spec(n_trials=60, constraints=[
        {"metric": "overshoot_pct", "op": "<=", "bound": 1.0}]))
    best = outcome.best()
    assert best is not None and best["con_0"] <= 1.0
    infeasible = outcome.trials[~outcome.trials["feasible"]]
    assert (infeasible["con_0"] > 1.0).all()


def test_warm_start_from_a_study_with_another_search_space() -> None:
    source = optuna.create_study()
    other = spec(parameters=[{"parameter": "K_p", "low": 0.5, "high": 1.0},
                             {"parameter": "alpha"}], n_trials=40)
    run_tuning(other, source)
    best_kp = sorted(source.trials, key=lambda t: t.value)[0].params["K_p"]
    narrow = spec(parameters=[{"parameter": "K_p", "low": 0.0, "high": 0.4},
                              {"parameter": "K_i"}], n_trials=20, warm_start_trials=3)
    target = optuna.create_study()
    outcome = run_tuning(narrow, target, warm_from=source)
    first = target.trials[0].params
    assert first["K_p"] == 0.4 and best_kp > 0.4  # clipped into this study's range
    assert "alpha" not in first and 0 <= first["K_i"] <= 0.1  # K_i: sampled here
    assert outcome.n_trials == 20


def test_cancel_between_batches_keeps_complete_trials() -> None:
    calls = {"n": 0}

    def cancel() -> bool:
        calls["n"] += 1
        return calls["n"] > 3  # after the first batch's checks

    study = optuna.create_study()
    outcome = run_tuning(spec(n_trials=200), study, cancel=cancel)
    assert outcome.cancelled and 0 < outcome.n_trials < 200
    assert all(t.state == optuna.trial.TrialState.COMPLETE for t in study.trials)


def test_robust_cvar_is_no_better_than_the_mean() -> None:
    robust = {"members": 8, "uncertain": [{"parameter": "alpha", "distribution": "uniform",
                                           "low": 0.7, "high": 1.3}]}
    mean = run_tuning(spec(n_trials=20, **robust))
    cvar = run_tuning(spec(n_trials=20, aggregate="cvar", level=0.75, **robust))
    both = mean.trials["value_rms_error"].to_numpy(), cvar.trials["value_rms_error"].to_numpy()
    assert _same_params(mean, cvar)
    assert (both[1] >= both[0] - 1e-12).all() and (both[1] > both[0]).any()


def _same_params(a: Any, b: Any) -> bool:
    names = [p.parameter for p in a.spec.parameters]
    return bool(np.array_equal(a.trials[names].to_numpy(), b.trials[names].to_numpy()))


def test_adaptive_gains_track_the_target_better_after_a_regime_shift() -> None:
    shift = {"params": {"num_steps": 1200},
             "inputs": {"C_cons": {"kind": "step", "initial": 60, "final": 120,
                                   "step_at": 600}}}
    result = run_adaptive(AdaptiveSpec.from_dict({"scenario": shift, "window": 100,
                                                  "horizon": 200, "trials": 24}))
    fixed = simulate(Scenario.from_dict(shift)).frame["N"].to_numpy()
    assert np.array_equal(result.n_fixed, fixed)  # the comparison run is simulate() itself
    table = result.comparison()
    assert table.loc["adaptive gains", "rms_error"] < 0.5 * table.loc["fixed gains", "rms_error"]
    after = slice(600, None)  # the regime after the shift alone
    assert result.rms(result.n_adaptive[after]) < result.rms(result.n_fixed[after])
    assert len(result.schedule) == 12 and result.schedule["step"].tolist()[:2] == [0, 100]
    assert result.schedule.iloc[0]["K_p"] == 0.1  # nothing seen yet: the scenario's gains
