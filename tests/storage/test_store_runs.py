"""Stored runs: provenance, summary columns, and the time series back bit for bit."""

from __future__ import annotations

import numba
import numpy as np
import pytest
from storage_helpers import make_scenario, random_scenario

from nexus_panel.engine import COLUMNS, SUMMARY_FIELDS, SimulationResult, simulate
from nexus_panel.models import ValidationError
from nexus_panel.storage import NotFoundError, ScenarioStore


def assert_same_result(a: SimulationResult, b: SimulationResult) -> None:
    """Bit for bit: every float (NaN in the last row included), summary, metadata."""
    assert list(a.frame.columns) == list(b.frame.columns) == list(COLUMNS)
    assert a.frame.to_numpy().tobytes() == b.frame.to_numpy().tobytes()
    assert a.summary == b.summary
    assert a.warnings == b.warnings
    assert (a.engine_version, a.content_hash) == (b.engine_version, b.content_hash)
    assert a.scenario.to_dict() == b.scenario.to_dict()


def test_a_stored_run_loads_back_bit_for_bit(store: ScenarioStore) -> None:
    scenario = random_scenario()
    revision = store.save(scenario, message="with shocks")
    result = simulate(scenario)
    assert np.isnan(result.frame["H"].iloc[-1])  # the last row has no inputs
    record = store.record_run(revision, result, duration_s=0.002)
    assert_same_result(store.load_run(record.id), result)
    assert record.summary == result.summary
    assert set(record.summary) == set(SUMMARY_FIELDS)
    assert (record.num_steps, record.revision, record.scenario_name) == (5000, 1, "shocks")
    assert record.seeds == {"H": 7}
    assert (record.engine_version, record.numpy_version, record.numba_version) == (
        result.engine_version, np.__version__, numba.__version__)
    assert record.content_hash == revision.content_hash
    assert record.duration_s == 0.002
    # the documented size of a 5,000-step run (docs/storage.md): compressed, well under
    # the 640 kB of raw float64 values
    assert 150_000 < record.size_bytes < 400_000


def test_runs_are_listed_per_scenario_and_revision(store: ScenarioStore) -> None:
    rev1 = store.save(make_scenario(alpha=1.0))
    first = store.record_run(rev1, simulate(rev1.scenario()))
    rev2 = store.save(make_scenario(alpha=2.0))
    second, result = store.run("baseline")  # simulate the latest revision and store it
    assert second.duration_s is not None and second.duration_s > 0
    assert second.started_at is not None
    assert second.revision == rev2.number
    assert [r.id for r in store.runs("baseline")] == [first.id, second.id]
    assert [r.id for r in store.runs("baseline", revision=1)] == [first.id]
    assert store.run_info(second.id).summary["final_N"] == result.final_N
    assert store.load_run(first.id).summary != store.load_run(second.id).summary


def test_a_run_of_other_content_is_refused(store: ScenarioStore) -> None:
    revision = store.save(make_scenario(alpha=1.0))
    other = simulate(make_scenario(alpha=1.1))
    with pytest.raises(ValidationError, match="result"):
        store.record_run(revision, other)
    assert store.runs("baseline") == []


def test_missing_runs_are_reported(store: ScenarioStore) -> None:
    with pytest.raises(NotFoundError, match="no stored run with id 99"):
        store.load_run(99)
    with pytest.raises(NotFoundError, match="no stored run with id 99"):
        store.run_info(99)


def test_save_with_its_run_stores_the_run_once(store: ScenarioStore) -> None:
    """Issue 10.6: a save can carry the scenario's run (one transaction); saving the
    same content again adds neither a revision nor a second identical run."""
    scenario = random_scenario()
    result = simulate(scenario)
    revision = store.save(scenario, message="with its run", run=result)
    [run] = store.runs("shocks")
    assert (run.revision, run.content_hash) == (1, revision.content_hash)
    assert run.summary["final_N"] == result.summary["final_N"]
    assert run.summary["mean_issuance"] == result.summary["mean_issuance"]
    assert_same_result(store.load_run(run.id), result)
    again = store.save(scenario, run=result)
    assert again.created is False
    assert [r.id for r in store.runs("shocks")] == [run.id]
    changed = scenario.copy()
    changed.params.alpha = 2.0
    store.save(changed, run=simulate(changed))
    assert [r.revision for r in store.runs("shocks")] == [1, 2]


def test_reimporting_a_bundle_adds_no_runs(store: ScenarioStore) -> None:
    result = simulate(random_scenario())
    store.save(random_scenario(), run=result)
    bundle = store.export_bundle("shocks")
    first, runs = store.import_data(bundle, name="copy")
    again, runs_again = store.import_data(bundle, name="copy")
    assert (again.number, again.created) == (first.number, False)
    assert [r.id for r in runs_again] == [r.id for r in runs]
    assert len(store.runs("copy")) == 1
