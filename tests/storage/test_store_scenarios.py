"""Saving, loading, listing, diffing, deleting and duplicating scenarios (SQLite and PG)."""

from __future__ import annotations

import math
from datetime import UTC, datetime

import pytest
from storage_helpers import make_scenario

from nexus_panel.models import Inputs, ValidationError
from nexus_panel.storage import ConflictError, NotFoundError, ScenarioStore


def test_revisions_are_numbered_and_keep_every_saved_state(store: ScenarioStore) -> None:
    first = store.save(make_scenario(alpha=1.0), message="start", author="ann")
    second = store.save(make_scenario(alpha=1.7, K_p=0.25), message="more issuance")
    assert (first.number, second.number) == (1, 2)
    assert first.created and second.created
    assert [(r.number, r.message, r.author) for r in store.revisions("baseline")] == [
        (1, "start", "ann"), (2, "more issuance", "local")]
    assert store.load("baseline").params.alpha == 1.7
    old = store.load("baseline", revision=1)
    assert old.params.alpha == 1.0 and old.params.K_p == 0.1
    assert old.to_dict() == make_scenario(alpha=1.0).to_dict()
    assert store.load(first.scenario_id).params.K_p == 0.25  # by id
    assert second.created_at.tzinfo is not None
    assert abs((datetime.now(UTC) - second.created_at).total_seconds()) < 60


def test_saving_identical_content_creates_no_revision(store: ScenarioStore) -> None:
    first = store.save(make_scenario(), message="one")
    again = store.save(make_scenario(), message="two")
    assert not again.created
    assert (again.number, again.message, again.id) == (1, "one", first.id)
    assert len(store.revisions("baseline")) == 1
    described = make_scenario()
    described.description = "now with notes"
    assert store.save(described).number == 2  # the description is part of a revision


def test_stored_values_are_exact_and_typed(store: ScenarioStore) -> None:
    scenario = make_scenario(alpha=0.1 + 0.2, kappa=1 / 30, num_steps=1234)
    scenario.inputs = Inputs.from_dict({"M": {"kind": "ramp", "start": 1e-300, "end": 7.25}})
    record = store.save(scenario)
    loaded = store.load("baseline")
    assert loaded.params.alpha == 0.1 + 0.2 and loaded.params.kappa == 1 / 30
    assert isinstance(loaded.params.num_steps, int) and loaded.params.num_steps == 1234
    assert loaded.inputs.M.start == 1e-300
    assert loaded.content_hash() == scenario.content_hash() == record.content_hash


def test_base_revision_refuses_to_supersede_a_newer_save(store: ScenarioStore) -> None:
    store.save(make_scenario(alpha=1.0))
    store.save(make_scenario(alpha=2.0), author="bob")
    with pytest.raises(ConflictError, match="revision 2 by bob after revision 1"):
        store.save(make_scenario(alpha=3.0), base_revision=1)
    assert store.save(make_scenario(alpha=3.0), base_revision=2).number == 3


def test_list_filters_by_text_and_parameter_ranges(store: ScenarioStore) -> None:
    store.save(make_scenario("low", alpha=0.5))
    store.save(make_scenario("mid", alpha=1.5))
    store.save(make_scenario("high", alpha=2.5, K_p=0.5))
    later = make_scenario("mid", alpha=0.9)
    later.description = "Tuned DOWN for 100% coverage"
    store.save(later)  # only the latest revision counts
    assert [s.name for s in store.list()] == ["high", "low", "mid"]
    assert [s.name for s in store.list(alpha=(1.5, None))] == ["high"]
    assert [s.name for s in store.list(alpha=(None, 1.0))] == ["low", "mid"]
    assert [s.name for s in store.list(alpha=(0.5, 2.5), K_p=(0.2, 1))] == ["high"]
    assert [s.name for s in store.list(num_steps=200)] == ["high", "low", "mid"]
    assert [s.name for s in store.list("tuned down")] == ["mid"]
    assert [s.name for s in store.list("100%")] == ["mid"]  # % is literal, not a wildcard
    assert [s.name for s in store.list("0%")] == ["mid"]
    assert store.list("_") == []
    info = store.list("mid")[0]
    assert (info.revision, info.params["alpha"], info.owner) == (2, 0.9, "local")


def test_list_rejects_unknown_parameters_and_bad_ranges(store: ScenarioStore) -> None:
    with pytest.raises(ValidationError) as caught:
        store.list(alpah=(1, 2), beta="high")
    assert caught.value.fields == ["alpah", "beta"]
    assert "alpha" in str(caught.value)  # the allowed names are listed


def test_diff_of_parameters_inputs_and_description(store: ScenarioStore) -> None:
    store.save(make_scenario(alpha=1.0))
    changed = make_scenario(alpha=1.5, beta=0.5)
    changed.description = "shock"
    changed.inputs = Inputs.from_dict({"H": {"kind": "step", "initial": 100, "final": 150}})
    store.save(changed)
    diff = store.diff("baseline@1", "baseline@2")
    assert diff.params == {"alpha": (1.0, 1.5), "beta": (1.0, 0.5)}
    assert diff.inputs == {"H": ({"kind": "constant", "value": 100.0},
                                 {"kind": "step", "final": 150.0, "initial": 100.0,
                                  "step_at": None})}
    assert diff.meta == {"description": ("", "shock")}
    assert "alpha: 1 → 1.5" in diff.lines()
    assert store.diff(("baseline", 2), changed).empty  # the unsaved copy is the same
    changed.params.K_i = 0.05
    unsaved = store.diff("baseline", changed)
    assert (unsaved.b, unsaved.params) == ("baseline (unsaved)", {"K_i": (0.01, 0.05)})
    assert store.diff("baseline@2", "baseline").params == {}
    with pytest.raises(NotFoundError, match="no revision 9"):
        store.diff("baseline@1", "baseline@9")


def test_delete_hides_and_restore_brings_back_intact(store: ScenarioStore) -> None:
    store.save(make_scenario("keep"))
    store.save(make_scenario("old", alpha=2.0))
    store.save(make_scenario("old", alpha=3.0))
    assert store.delete("old").deleted
    assert [s.name for s in store.list()] == ["keep"]
    assert [s.name for s in store.list(deleted=True)] == ["old"]
    with pytest.raises(NotFoundError, match="'old' is deleted"):
        store.load("old")
    with pytest.raises(ConflictError, match="deleted: restore it"):
        store.save(make_scenario("old", alpha=4.0))
    assert len(store.revisions("old")) == 2  # history stays visible
    assert not store.restore("old").deleted
    assert store.load("old").params.alpha == 3.0
    assert store.load("old", revision=1).params.alpha == 2.0


def test_duplicate_copies_the_latest_revision(store: ScenarioStore) -> None:
    store.save(make_scenario(alpha=1.0))
    store.save(make_scenario(alpha=2.0))
    copy = store.duplicate("baseline", "variant")
    assert (copy.scenario_name, copy.number, copy.message) == ("variant", 1,
                                                               "Duplicate of baseline@2")
    assert store.load("variant").params.alpha == 2.0
    assert store.load("variant").name == "variant"
    with pytest.raises(ConflictError, match="'baseline' already exists"):
        store.duplicate("variant", "baseline")
    with pytest.raises(ValidationError, match="new_name"):
        store.duplicate("baseline", "  ")


def test_missing_and_bad_references_name_the_problem(store: ScenarioStore) -> None:
    with pytest.raises(NotFoundError, match="no scenario named 'nope'"):
        store.load("nope")
    with pytest.raises(NotFoundError, match="no scenario id 42"):
        store.revisions(42)
    store.save(make_scenario())
    with pytest.raises(NotFoundError, match=r"no revision 5 \(revisions 1 to 1\)"):
        store.load("baseline", revision=5)
    for bad in ("", "x" * 201, "name@3"):
        with pytest.raises(ValidationError, match="name"):
            store.save(make_scenario(bad))
    with pytest.raises(ValidationError, match="author"):
        store.save(make_scenario(), author="")


def test_invalid_scenario_is_refused_before_any_write(store: ScenarioStore) -> None:
    scenario = make_scenario()
    scenario.inputs.C_cons = Inputs.from_dict({"C_cons": {"kind": "pulse"}}).C_cons
    scenario.inputs.C_cons.pulse_width = 500  # wider than its period: legal for param alone
    with pytest.raises(ValidationError, match=r"inputs\.C_cons\.pulse_width"):
        store.save(scenario)
    assert store.list() == []
    assert store.audit_events() == []


def test_save_many_is_all_or_nothing(store: ScenarioStore) -> None:
    saved = store.save_many([make_scenario("a"), make_scenario("b", alpha=2.0)], message="bulk")
    assert [(r.scenario_name, r.number, r.message) for r in saved] == [
        ("a", 1, "bulk"), ("b", 1, "bulk")]
    store.delete("b")
    with pytest.raises(ConflictError, match="'b' is deleted"):
        store.save_many([make_scenario("c"), make_scenario("b", alpha=3.0)])
    assert not store.exists("c")


def test_names_with_control_characters_are_refused_on_both_databases(
        store: ScenarioStore) -> None:
    """PostgreSQL cannot hold NUL and SQLite can: the same name must get the same answer
    (a ValidationError naming the field) on both, and a line break would split listings."""
    for bad in ("a\x00b", "two\nlines", "tab\there"):
        with pytest.raises(ValidationError) as caught:
            store.save(make_scenario(bad))
        assert caught.value.fields == ["name"]
        assert "\n" not in str(caught.value)
    store.save(make_scenario("Café ☕ 2"))
    with pytest.raises(ValidationError) as caught:
        store.duplicate("Café ☕ 2", "copy\x00")
    assert caught.value.fields == ["new_name"]
    assert [s.name for s in store.list()] == ["Café ☕ 2"]


def test_ids_and_revision_numbers_beyond_the_integer_columns_are_not_found(
        store: ScenarioStore) -> None:
    """"baseline@99999999999999999999" from a link or the CLI: "no such revision", not an
    OverflowError from the SQLite driver or a DataError from PostgreSQL."""
    store.save(make_scenario())
    huge = 10**23
    with pytest.raises(NotFoundError, match=r"has no revision 100000000000000000000000 "):
        store.revision(f"baseline@{huge}")
    for number in (huge, 0, -1, 2):
        with pytest.raises(NotFoundError, match=r"\(revisions 1 to 1\)"):
            store.load("baseline", revision=number)
    with pytest.raises(NotFoundError, match="no scenario id"):
        store.revisions(huge)
    for run_id in (huge, -huge):
        with pytest.raises(NotFoundError, match="no stored run"):
            store.load_run(run_id)
        with pytest.raises(NotFoundError, match="no stored run"):
            store.run_info(run_id)
    with pytest.raises(ValidationError) as caught:
        store.analysis_info(huge)
    assert caught.value.fields == ["analysis"]
    assert store.load("baseline", revision=1).params.num_steps == 200


def test_list_refuses_nan_and_overflowing_range_bounds_on_both_databases(
        store: ScenarioStore) -> None:
    """PostgreSQL ranks NaN above every number and SQLite binds it as NULL, so the same
    filter gave different lists; a 400-digit int overflowed the SQLite driver."""
    store.save(make_scenario(alpha=2.0))
    for spec in ((math.nan, None), (None, math.nan), (10**400, None), math.nan):
        with pytest.raises(ValidationError) as caught:
            store.list(alpha=spec)
        assert caught.value.fields == ["alpha"]
    assert [s.name for s in store.list(alpha=(1.5, math.inf))] == ["baseline"]
    assert [s.name for s in store.list(alpha=(-math.inf, 1.5))] == []
