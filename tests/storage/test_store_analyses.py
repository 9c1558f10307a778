"""Saved analyses on SQLite and PostgreSQL: saved with their scenario revision, reopened
with the same numbers, audited, refused when they do not belong to the scenario, and
their table added and removed by migration 0002, their kinds checked against the analysis
registry (0003) rather than a database constraint."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
import sqlalchemy as sa
from storage_helpers import count_rows, execute, make_scenario

from nexus_panel.analysis import MonteCarloSpec, run_monte_carlo
from nexus_panel.analysis.registry import BY_KIND, restore_result
from nexus_panel.models import Scenario, ValidationError
from nexus_panel.storage import NotFoundError, ScenarioStore, StorageError, database


def small_mc(scenario: Scenario, n_runs: int = 40) -> object:
    spec = MonteCarloSpec.from_dict({
        "scenario": scenario.to_dict(), "n_runs": n_runs, "master_seed": 11, "keep_sample": 10,
        "parameters": [{"parameter": "alpha", "distribution": "uniform", "low": 0.8,
                        "high": 1.6}]})
    return run_monte_carlo(spec)


def test_a_newly_registered_kind_is_saved_without_a_migration(
        store: ScenarioStore, db_url: str, monkeypatch: pytest.MonkeyPatch) -> None:
    scenario = make_scenario("new kind", num_steps=120)
    result = small_mc(scenario, 10)
    with pytest.raises(ValidationError, match=r"kind.*one of .*montecarlo"):
        store.save_analysis(scenario, "tuning", result)
    monkeypatch.setitem(BY_KIND, "tuning", BY_KIND["montecarlo"])
    record = store.save_analysis(scenario, "tuning", result)
    assert record.kind == "tuning" and count_rows(db_url, "analyses") == 1
    # 0002's constraint would refuse it again: downgrading says why instead of failing
    # half-way, and leaves the database at head.
    engine = database.make_engine(database.resolve_url(db_url))
    try:
        with pytest.raises(RuntimeError, match="analyses of kinds tuning exist"):
            database.downgrade(engine, "0002")
        assert database.current_revision(engine) == database.head_revision()
    finally:
        engine.dispose()


def test_save_and_reopen_a_monte_carlo_with_the_same_numbers(store: ScenarioStore) -> None:
    scenario = make_scenario("mc base", num_steps=120, K_p=0.2)
    result = small_mc(scenario)
    record = store.save_analysis(scenario, "montecarlo", result, message="first look")
    assert (record.kind, record.scenario_name, record.revision) == ("montecarlo", "mc base", 1)
    assert record.author == "local" and record.message == "first look"
    assert record.size_bytes > 0 and record.duration_s == pytest.approx(result.seconds)

    loaded, spec, results = store.load_analysis(record.id)
    assert loaded.content_hash() == scenario.content_hash() and loaded.name == "mc base"
    assert "scenario" not in spec and spec["n_runs"] == 40
    again = restore_result(loaded, spec, results)
    np.testing.assert_array_equal(again.bands, result.bands)
    np.testing.assert_array_equal(again.band_error, result.band_error)
    np.testing.assert_array_equal(again.sample, result.sample)
    pd.testing.assert_frame_equal(again.runs, result.runs)
    pd.testing.assert_frame_equal(again.statistics, result.statistics)
    assert again.spec.to_dict() == result.spec.to_dict()

    # The same scenario again: no new revision, a second analysis of revision 1.
    second = store.save_analysis(scenario, "montecarlo", small_mc(scenario, 20))
    assert second.revision_id == record.revision_id and len(store.revisions("mc base")) == 1
    assert [a.id for a in store.analyses("mc base")] == [record.id, second.id]
    assert store.analyses("nobody") == []
    events = store.audit_events(f"analysis:{record.id}")
    assert [(e.action, e.details["kind"]) for e in events] == [("run", "montecarlo")]
    assert store.verify_audit().ok


def test_a_changed_scenario_is_saved_as_a_new_revision_first(store: ScenarioStore) -> None:
    store.save(make_scenario("evolving", num_steps=120))
    changed = make_scenario("evolving", num_steps=120, alpha=1.4)
    record = store.save_analysis(changed, "montecarlo", small_mc(changed, 10))
    assert record.revision == 2
    assert store.load_analysis(record.id)[0].params.alpha == 1.4


def test_an_analysis_of_another_scenario_is_refused_and_nothing_is_saved(
        store: ScenarioStore, db_url: str) -> None:
    ran_on = make_scenario("a", num_steps=120)
    claimed = make_scenario("a", num_steps=120, alpha=2.0)
    with pytest.raises(ValidationError, match="the scenario the analysis was run on"):
        store.save_analysis(claimed, "montecarlo", small_mc(ran_on, 10))
    with pytest.raises(ValidationError, match="kind"):
        store.save_analysis(ran_on, "tarot", small_mc(ran_on, 10))
    with pytest.raises(ValidationError, match="an analysis result"):
        store.save_analysis(ran_on, "montecarlo", {"not": "a result"})
    assert count_rows(db_url, "analyses") == 0 and count_rows(db_url, "scenarios") == 0


def test_unknown_and_bad_ids_name_the_problem(store: ScenarioStore) -> None:
    with pytest.raises(NotFoundError, match="no saved analysis with id 99"):
        store.load_analysis(99)
    for bad in ("abc", "0", -3, "1.5"):
        with pytest.raises(ValidationError, match="a saved analysis id"):
            store.load_analysis(bad)


def test_a_damaged_arrays_blob_is_a_storage_error(store: ScenarioStore, db_url: str) -> None:
    scenario = make_scenario("damaged", num_steps=120)
    record = store.save_analysis(scenario, "montecarlo", small_mc(scenario, 10))
    execute(db_url, f"UPDATE analyses SET arrays = NULL WHERE id = {record.id}")
    with pytest.raises(ValidationError, match="a complete saved Monte Carlo result"):
        restore_result(*store.load_analysis(record.id))  # loads; rebuilding needs arrays
    blob = "X'00ff'" if db_url.startswith("sqlite") else "'\\x00ff'::bytea"
    execute(db_url, f"UPDATE analyses SET arrays = {blob} WHERE id = {record.id}")
    with pytest.raises(StorageError, match=f"stored analysis {record.id} is unreadable"):
        store.load_analysis(record.id)


def test_migration_0002_adds_and_removes_only_the_analyses_table(db_url: str) -> None:
    with ScenarioStore(db_url) as store:
        scenario = make_scenario("kept", num_steps=120)
        store.save_analysis(scenario, "montecarlo", small_mc(scenario, 10))
    engine = database.make_engine(database.resolve_url(db_url))
    try:
        database.downgrade(engine, "0001")
        tables = set(sa.inspect(engine).get_table_names())
        assert "analyses" not in tables and "scenarios" in tables
        database.upgrade(engine)
        assert "analyses" in set(sa.inspect(engine).get_table_names())
    finally:
        engine.dispose()
    with ScenarioStore(db_url) as store:
        assert [s.name for s in store.list()] == ["kept"] and store.analyses() == []
