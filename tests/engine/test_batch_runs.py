"""Batches: per-run seeds from one master seed, independent of chunking and executor;
each run identical to simulate() of the same scenario."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor

import numpy as np
import pytest

from nexus_panel import Scenario, run_batch, simulate
from nexus_panel.engine import SUMMARY_FIELDS, BatchPlan, iter_batch
from nexus_panel.models import INPUT_NAMES, EngineParams, Inputs, Signal, ValidationError

WALKS = Scenario(name="walks", params=EngineParams(num_steps=300),
                 inputs=Inputs(H=Signal(kind="random_walk", initial=100.0, volatility=5.0),
                               M=Signal(kind="random_walk", initial=80.0, volatility=5.0),
                               E=Signal(kind="sinusoidal", offset=0.7, amplitude=0.2,
                                        frequency=0.05)))


def summaries(**kwargs: object) -> np.ndarray:
    return run_batch(WALKS, n_runs=23, master_seed=11, **kwargs).summary[
        list(SUMMARY_FIELDS)].to_numpy()


def test_same_master_seed_same_results_whatever_chunks_and_threads() -> None:
    reference = summaries(chunk_size=1024)
    for chunk_size in (1, 4, 7):
        assert np.array_equal(summaries(chunk_size=chunk_size), reference)
    for workers in (1, 3):
        with ThreadPoolExecutor(workers) as pool:
            assert np.array_equal(summaries(chunk_size=5, executor=pool), reference)


def test_runs_differ_and_master_seeds_differ() -> None:
    a = run_batch(WALKS, n_runs=50, master_seed=1).summary["final_N"]
    b = run_batch(WALKS, n_runs=50, master_seed=2).summary["final_N"]
    assert a.nunique() == 50
    assert not np.array_equal(a.to_numpy(), b.to_numpy())


def test_seeds_follow_the_seedsequence_spawn_tree() -> None:
    result = run_batch(WALKS, n_runs=6, master_seed=99, chunk_size=4)
    assert result.random_inputs == ("H", "M")
    assert result.seeds is not None
    assert result.seeds.shape == (6, 2)
    for run, child in enumerate(np.random.SeedSequence(99).spawn(6)):
        for j, grandchild in enumerate(child.spawn(2)):
            expected = int(grandchild.generate_state(1, np.uint64)[0]) >> 1
            assert result.seeds[run, j] == expected
    assert len(set(result.seeds.ravel().tolist())) == 12


def test_two_random_inputs_of_one_run_are_independent() -> None:
    inputs = BatchPlan(WALKS, n_runs=2, master_seed=5).chunk_inputs(0, 2)
    h, m = inputs[0, INPUT_NAMES.index("H")], inputs[0, INPUT_NAMES.index("M")]
    # Same signal parameters, different streams: the steps are uncorrelated.
    assert abs(np.corrcoef(np.diff(h), np.diff(m))[0, 1]) < 0.3
    assert not np.array_equal(inputs[0], inputs[1])


def test_every_run_equals_simulate_of_its_scenario() -> None:
    overrides = {"alpha": np.linspace(0.5, 2.0, 9), "K_p": np.linspace(0, 0.5, 9),
                 "delta_t": np.linspace(0.05, 0.2, 9)}
    plan = BatchPlan(WALKS, overrides, master_seed=3)
    result = run_batch(WALKS, overrides, master_seed=3, keep_trajectories=True, chunk_size=4)
    assert result.trajectories is not None
    for run in range(9):
        single = simulate(plan.scenario_for(run))
        assert single.scenario.params.alpha == overrides["alpha"][run]
        row = result.summary.iloc[run]
        assert [row[k] for k in SUMMARY_FIELDS] == list(single.summary.values())
        assert np.array_equal(result.trajectories[run], single.frame["N"].to_numpy())
    assert result.summary["alpha"].tolist() == overrides["alpha"].tolist()


def test_summary_only_batch_without_seeds_matches_simulate() -> None:
    scenario = Scenario(params=EngineParams(num_steps=400),
                        inputs=Inputs(D=Signal(kind="pulse"), C_cons=Signal(kind="ramp")))
    result = run_batch(scenario, {"beta": [0.5, 1.0, 2.0]})
    for run, beta in enumerate([0.5, 1.0, 2.0]):
        data = scenario.to_dict()
        data["params"]["beta"] = beta
        single = simulate(Scenario.from_dict(data)).summary
        assert result.summary.iloc[run][list(SUMMARY_FIELDS)].tolist() == list(single.values())


def test_without_master_seed_every_run_uses_the_scenarios_own_seed() -> None:
    result = run_batch(WALKS, n_runs=4)
    assert result.seeds is None
    assert result.summary["final_N"].nunique() == 1
    assert result.summary["final_N"][0] == simulate(WALKS).final_N


def test_trajectories_are_kept_only_when_asked() -> None:
    assert run_batch(WALKS, n_runs=3, master_seed=1).trajectories is None
    kept = run_batch(WALKS, n_runs=3, master_seed=1, keep_trajectories=True).trajectories
    assert kept is not None
    assert kept.shape == (3, 301)


def test_iter_batch_yields_chunks_in_order_and_can_be_cancelled() -> None:
    plan = BatchPlan(WALKS, n_runs=40, master_seed=1)
    starts = [chunk.start for chunk in iter_batch(plan, chunk_size=8)]
    assert starts == [0, 8, 16, 24, 32]
    seen = []
    for chunk in iter_batch(plan, chunk_size=8, cancel=lambda: len(seen) >= 2):
        seen.append(chunk.start)
    assert seen == [0, 8]


def test_bad_batch_input_is_named() -> None:
    with pytest.raises(ValidationError) as err:
        run_batch(WALKS, {"alpha": [1.0, 9.0], "nope": [1, 2]})
    assert sorted(err.value.fields) == ["alpha", "nope"]
    with pytest.raises(ValidationError) as err:
        run_batch(WALKS, n_runs=2, master_seed=-1)
    assert err.value.fields == ["master_seed"]
    with pytest.raises(ValidationError) as err:
        run_batch(WALKS, {"num_steps": [10, 20]})
    assert err.value.fields == ["num_steps"]


def test_memory_bounded_sub_blocks_give_the_same_results(
        monkeypatch: pytest.MonkeyPatch) -> None:
    from nexus_panel.engine import batch

    reference = run_batch(WALKS, n_runs=23, master_seed=11, chunk_size=10,
                          keep_trajectories=True)
    monkeypatch.setattr(batch, "ROWS_BUDGET", 1)  # one run's rows at a time
    blocked = run_batch(WALKS, n_runs=23, master_seed=11, chunk_size=10,
                        keep_trajectories=True)
    assert blocked.summary.equals(reference.summary)
    assert np.array_equal(blocked.trajectories, reference.trajectories)


def test_a_process_pool_gives_the_same_results() -> None:
    import multiprocessing
    from concurrent.futures import ProcessPoolExecutor

    reference = summaries(chunk_size=6)
    context = multiprocessing.get_context("spawn")  # no fork of a threaded process
    with ProcessPoolExecutor(1, mp_context=context) as pool:
        assert np.array_equal(summaries(chunk_size=6, executor=pool), reference)


def test_runs_that_clamp_and_saturate_match_simulate_too() -> None:
    overrides = {"beta": [1.0, 5.0, 5.0, 1.0, 5.0, 3.0, 5.0, 0.5, 5.0, 5.0],
                 "alpha": [1.0, 0.0, 0.5, 1.0, 0.0, 0.2, 0.0, 1.0, 0.0, 1.0],
                 "K_d": [0.05, 1.0, 0.05, 1.0, 0.3, 0.05, 1.0, 0.05, 0.05, 1.0],
                 "N_initial": [1000.0, 300.0, 50.0, 1500.0, 10.0, 0.0, 800.0, 2000.0, 5.0, 1.0]}
    plan = BatchPlan(WALKS, overrides, master_seed=8)
    result = run_batch(WALKS, overrides, master_seed=8, keep_trajectories=True)
    assert result.summary["clamp_events"].sum() > 0
    assert result.summary["phi_saturated_fraction"].max() > 0
    for run in range(10):
        single = simulate(plan.scenario_for(run))
        assert result.summary.iloc[run][list(SUMMARY_FIELDS)].tolist() == list(
            single.summary.values())
        assert np.array_equal(result.trajectories[run], single.frame["N"].to_numpy())


@pytest.mark.parametrize(("kwargs", "fields"), [
    ({"overrides": {"alpha": ["x", 1.0]}}, ["alpha"]),
    ({"overrides": {"alpha": 1.0}}, ["alpha"]),  # a scalar, not one value per run
    ({"overrides": {"alpha": [[1.0, 2.0]]}}, ["alpha"]),
    ({"overrides": {"alpha": {"a": 1}}}, ["alpha"]),
    ({"overrides": {"alpha": [1.0, 2.0]}, "n_runs": "2"}, ["n_runs"]),
    ({"overrides": {"alpha": [1.0, 2.0], "beta": [1.0]}}, ["n_runs"]),
    ({"overrides": {"alpha": [1.0, 2.0], "beta": [1.0]}, "n_runs": 2}, ["beta"]),
])
def test_malformed_overrides_are_validation_errors_naming_them(kwargs: dict,
                                                               fields: list[str]) -> None:
    with pytest.raises(ValidationError) as err:
        run_batch(WALKS, **kwargs)
    assert err.value.fields == fields
