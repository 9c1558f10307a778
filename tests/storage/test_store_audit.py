"""The audit trail: every change is logged, the log refuses edits, and tampering by
someone who bypasses that is caught by the hash chain (`nexus-panel db verify-audit`)."""

from __future__ import annotations

import itertools

import pytest
import sqlalchemy as sa
from storage_helpers import execute, make_scenario

from nexus_panel.cli import main
from nexus_panel.engine import simulate
from nexus_panel.storage import ScenarioStore


def _allow_tampering(url: str) -> None:
    """What an attacker with DDL rights would do first: drop the append-only guard."""
    if url.startswith("postgresql"):
        execute(url, "ALTER TABLE audit_events DISABLE TRIGGER audit_events_append_only")
    else:
        execute(url, "DROP TRIGGER audit_events_no_update", "DROP TRIGGER audit_events_no_delete")


def _history(store: ScenarioStore) -> None:
    rev = store.save(make_scenario(), message="first", author="ann")
    store.save(make_scenario(alpha=2.0), message="second")
    store.record_run(rev, simulate(rev.scenario()))
    store.delete("baseline", author="bob")
    store.restore("baseline")


def test_every_change_is_an_audit_event(store: ScenarioStore) -> None:
    _history(store)
    events = list(reversed(store.audit_events()))
    assert [(e.action, e.actor) for e in events] == [
        ("create", "ann"), ("revise", "local"), ("run", "local"), ("delete", "bob"),
        ("restore", "local")]
    assert events[0].object == events[1].object == f"scenario:{store.get('baseline').id}"
    assert events[1].details["revision"] == 2 and events[1].details["message"] == "second"
    assert all(b.prev_hash == a.hash for a, b in itertools.pairwise(events))
    check = store.verify_audit()
    assert check.ok and check.checked == 5
    assert str(check) == "audit chain intact: 5 events verified; revisions intact: 2 checked"


def test_the_log_refuses_updates_and_deletes(store: ScenarioStore, db_url: str) -> None:
    _history(store)
    for statement in ("UPDATE audit_events SET actor = 'eve'", "DELETE FROM audit_events"):
        with pytest.raises(sa.exc.DatabaseError, match="append-only"):
            execute(db_url, statement)
    assert store.verify_audit().checked == 5


def test_an_altered_event_is_the_first_broken_link(store: ScenarioStore, db_url: str,
                                                    capsys: pytest.CaptureFixture[str]) -> None:
    _history(store)
    target = sorted(e.id for e in store.audit_events())[2]
    _allow_tampering(db_url)
    execute(db_url, f"UPDATE audit_events SET actor = 'eve' WHERE id = {target}")
    check = store.verify_audit()
    assert (check.ok, check.broken_id, check.checked) == (False, target, 2)
    assert "altered" in check.reason
    assert main(["db", "verify-audit", "--database-url", db_url]) == 1
    out = capsys.readouterr().out.strip()
    assert out == (f"audit chain broken at event {target}: {check.reason}; "
                   "revisions intact: 2 checked")


def test_a_removed_event_breaks_the_link_after_it(store: ScenarioStore, db_url: str) -> None:
    _history(store)
    ids = sorted(e.id for e in store.audit_events())
    _allow_tampering(db_url)
    execute(db_url, f"DELETE FROM audit_events WHERE id = {ids[1]}")
    check = store.verify_audit()
    assert check.broken_id == ids[2]
    assert f"does not follow event {ids[0]}" in check.reason


def test_verify_audit_on_an_intact_chain(store: ScenarioStore, db_url: str,
                                         capsys: pytest.CaptureFixture[str]) -> None:
    _history(store)
    assert main(["db", "verify-audit", "--database-url", db_url]) == 0
    assert capsys.readouterr().out.strip() == (
        "audit chain intact: 5 events verified; revisions intact: 2 checked")


@pytest.mark.parametrize("tamper", ["value", "value and hash"])
def test_a_revision_edited_behind_the_apps_back_is_reported(
        store: ScenarioStore, db_url: str, tamper: str,
        capsys: pytest.CaptureFixture[str]) -> None:
    """Issue 10.7: revisions have no append-only trigger; an edited value (even with its
    content hash recomputed to match) must fail verify-audit, naming the revision."""
    _history(store)
    first = store.revision("baseline@1")
    edited = first.scenario()
    edited.params.alpha = 4.5
    sets = "alpha = 4.5" + (f", content_hash = '{edited.content_hash()}'"
                            if tamper == "value and hash" else "")
    execute(db_url, f"UPDATE scenario_revisions SET {sets} WHERE id = {first.id}")
    check = store.verify_audit()
    assert (check.ok, check.broken_id, check.checked, check.revisions_checked) == (
        False, None, 5, 2)
    [problem] = check.bad_revisions
    assert problem.startswith(f"revision baseline@1 (id {first.id}): ")
    assert ("do not match its content hash" if tamper == "value" else
            "differs from the one the audit trail recorded") in problem
    assert main(["db", "verify-audit", "--database-url", db_url]) == 1
    out = capsys.readouterr().out.strip().splitlines()
    assert out == ["audit chain intact: 5 events verified; 1 of 2 revisions tampered with:",
                   problem]
