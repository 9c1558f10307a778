"""Monte Carlo: runs differ when they should, repeat exactly for a seed, bands are right."""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest

from nexus_panel.analysis import Cancelled, MonteCarloSpec, run_monte_carlo
from nexus_panel.analysis.distributions import sample_parameters
from nexus_panel.engine import simulate
from nexus_panel.engine.batch import BatchPlan
from nexus_panel.models import Scenario

ALPHA = {"parameter": "alpha", "distribution": "normal", "std": 0.2}


def mc(scenario: dict[str, Any] | None = None, **spec: Any) -> Any:
    data = {"scenario": scenario or {"params": {"num_steps": 200}}, "n_runs": 300, **spec}
    return run_monte_carlo(MonteCarloSpec.from_dict(data))


def test_random_walk_runs_differ_and_repeat_for_the_same_seed(
        walk_scenario: dict[str, Any]) -> None:
    first = mc(walk_scenario, master_seed=11)
    again = mc(walk_scenario, master_seed=11)
    other = mc(walk_scenario, master_seed=12)
    final = first.runs["final_N"].to_numpy()
    # the original app gave every run the same walk; here (almost) every run differs
    assert len(np.unique(final)) == len(final)
    assert np.array_equal(final, again.runs["final_N"].to_numpy())
    assert np.array_equal(first.bands, again.bands)
    assert np.array_equal(first.sample, again.sample)
    assert not np.array_equal(final, other.runs["final_N"].to_numpy())


def test_sampled_parameters_make_runs_differ() -> None:
    result = mc(parameters=[ALPHA])
    assert result.runs["alpha"].std() > 0.1
    assert len(np.unique(result.runs["final_N"])) == 300
    # the runs really used the sampled values: issuance is proportional to alpha
    ratio = result.runs["mean_issuance"] / result.runs["alpha"]
    assert ratio.std() / ratio.mean() < 0.05


def test_chunk_size_does_not_change_any_number(walk_scenario: dict[str, Any]) -> None:
    a = mc(walk_scenario, parameters=[ALPHA], chunk_size=1024)
    b = mc(walk_scenario, parameters=[ALPHA], chunk_size=7)
    assert np.array_equal(a.bands, b.bands)
    assert np.array_equal(a.band_error, b.band_error)
    assert a.runs.equals(b.runs)
    assert np.array_equal(a.sample, b.sample)


def test_zero_variance_ensemble_median_is_the_single_run() -> None:
    scenario = {"params": {"num_steps": 300, "K_p": 0.3}}
    result = mc(scenario, n_runs=50)
    single = simulate(Scenario.from_dict(scenario)).frame["N"].to_numpy()
    for band in result.bands:
        assert np.array_equal(band, single)
    assert result.band_error.max() == 0


def test_kept_trajectories_are_the_runs_themselves(walk_scenario: dict[str, Any]) -> None:
    spec = MonteCarloSpec.from_dict({"scenario": walk_scenario, "n_runs": 40,
                                     "parameters": [ALPHA], "keep_sample": 5,
                                     "master_seed": 3})
    result = run_monte_carlo(spec)
    scenario = Scenario.from_dict(walk_scenario)
    sampled = sample_parameters(spec.parameters, scenario.params, 40, 3)
    plan = BatchPlan(scenario, sampled, n_runs=40, master_seed=3)
    assert result.sample.shape == (5, 201)
    for run in (0, 4):
        exact = simulate(plan.scenario_for(run)).frame["N"].to_numpy()
        np.testing.assert_allclose(result.sample[run], exact, rtol=1e-6)


def test_bands_are_within_their_error_bound_of_the_exact_percentiles(
        walk_scenario: dict[str, Any]) -> None:
    spec = MonteCarloSpec.from_dict({"scenario": walk_scenario, "n_runs": 2000,
                                     "parameters": [ALPHA], "keep_sample": 2000})
    result = run_monte_carlo(spec)
    every = result.sample.astype(np.float64)  # all 2,000 runs kept here (float32)
    for i, q in enumerate(result.percentiles):
        exact = np.percentile(every, q, axis=0, method="inverted_cdf")
        slack = np.abs(exact) * 1e-6  # the kept copy is float32
        assert np.all(np.abs(result.bands[i] - exact) <= result.band_error[i] + slack)
    # and the bound is tight: well under 0.1 % of the spread of the runs
    spread = every.max(axis=0) - every.min(axis=0)
    assert np.all(result.band_error[:, 1:] <= 0.01 * spread[1:] + 1e-9)


def test_statistics_name_confidence_intervals_and_percentile_ranges() -> None:
    result = mc(parameters=[ALPHA], n_runs=1000)
    row = result.statistics.loc["final_N"]
    values = result.runs["final_N"]
    assert row["mean"] == pytest.approx(values.mean())
    # the CI of the mean is much narrower than the range 90 % of runs fall in
    assert row["mean_ci_high"] - row["mean_ci_low"] < 0.2 * (row["p95"] - row["p05"])
    assert row["p05"] == pytest.approx(np.percentile(values, 5))
    assert {"mean_ci_low", "p05", "p95"} <= set(result.statistics.columns)


def test_progress_reaches_the_total_and_cancel_stops() -> None:
    seen: list[tuple[int, int]] = []
    spec = MonteCarloSpec.from_dict({"scenario": {"params": {"num_steps": 100}},
                                     "n_runs": 100, "chunk_size": 10})
    run_monte_carlo(spec, progress=lambda done, total: seen.append((done, total)))
    assert seen[-1] == (100, 100) and len(seen) == 10
    with pytest.raises(Cancelled):
        run_monte_carlo(spec, cancel=lambda: True)


def test_result_json_round_trips_the_spec() -> None:
    result = mc(parameters=[ALPHA], n_runs=50)
    data = result.to_dict()
    assert MonteCarloSpec.from_dict(data["spec"]).to_dict() == result.spec.to_dict()
    assert len(data["bands"]) == 5 and len(data["t"]) == 201


def test_thread_count_does_not_change_any_number(walk_scenario: dict[str, Any]) -> None:
    from concurrent.futures import ThreadPoolExecutor

    spec = MonteCarloSpec.from_dict({"scenario": walk_scenario, "n_runs": 300,
                                     "chunk_size": 32, "parameters": [ALPHA]})
    with ThreadPoolExecutor(max_workers=1) as one, ThreadPoolExecutor(max_workers=4) as four:
        a = run_monte_carlo(spec, executor=one)
        b = run_monte_carlo(spec, executor=four)
    assert np.array_equal(a.bands, b.bands) and a.runs.equals(b.runs)


def test_memory_stays_bounded_as_runs_stream() -> None:
    import tracemalloc

    runs, steps = 20_000, 1_000
    every_trajectory = runs * (steps + 1) * 8  # 160 MB if N(t) of every run were kept
    spec = MonteCarloSpec.from_dict({"scenario": {"params": {"num_steps": steps}},
                                     "n_runs": runs, "chunk_size": 512, "parameters": [ALPHA]})
    tracemalloc.start()
    try:
        run_monte_carlo(spec)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert peak < every_trajectory / 2  # measured: about 49 MB


def test_a_run_too_long_for_memory_is_refused_before_anything_runs() -> None:
    # 1e6 steps is a valid single run; as a Monte Carlo it asked for 8 GB per chunk and
    # 2 GB of kept sample, which killed the server. Now both fields are named, with the
    # most that fits: (n+1) * (1024*8 + 1026*4) <= 256 MiB -> n <= 21,830.
    from nexus_panel.models import ValidationError

    with pytest.raises(ValidationError) as info:  # from_dict validates; nothing is run
        MonteCarloSpec.from_dict({"scenario": {"params": {"num_steps": 1_000_000}},
                                  "n_runs": 2000, "parameters": [ALPHA]})
    assert info.value.fields == ["scenario.params.num_steps", "keep_sample"]
    assert "at most 21,830 for a Monte Carlo with chunk size 1,024" in str(info.value)
    fits = MonteCarloSpec.from_dict({"scenario": {"params": {"num_steps": 21_830}},
                                     "n_runs": 2000, "keep_sample": 0, "chunk_size": 1024})
    assert fits.errors() == []
    small_chunks = MonteCarloSpec.from_dict({"scenario": {"params": {"num_steps": 40_000}},
                                             "n_runs": 2000, "keep_sample": 10,
                                             "chunk_size": 64})
    assert small_chunks.errors() == []
