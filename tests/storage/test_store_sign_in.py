"""``ScenarioStore.sign_in``: the database rate limit per user name and per address, on
SQLite and PostgreSQL, and the refusals it audits."""

from __future__ import annotations

from datetime import timedelta

import pytest

from nexus_panel.storage import ScenarioStore
from nexus_panel.storage import login_limits as limits

SECRET = "correct horse battery"


@pytest.fixture
def store(db_url: str) -> ScenarioStore:
    s = ScenarioStore(db_url)
    s.add_user("ann", "editor", SECRET)
    s.add_user("bob", "viewer", SECRET)
    yield s
    s.close()


def test_five_failures_per_user_then_refused_without_checking(store: ScenarioStore) -> None:
    for i in range(limits.MAX_FAILURES):
        result = store.sign_in("ann", f"wrong {i:012d}", f"10.0.0.{i}")
        assert result.user is None and result.retry_after == 0
    limited = store.sign_in("ann", SECRET, "10.0.1.1")
    assert limited.user is None and 1 <= limited.retry_after <= limits.WINDOW_S
    assert store.sign_in("bob", SECRET, "10.0.1.1").user is not None  # others unaffected
    outcomes = [e.details["outcome"] for e in store.audit_events(limit=7)
                if e.action == "login"]
    assert outcomes[:2] == ["ok", "rate limited"]


def test_five_failures_per_address(store: ScenarioStore) -> None:
    for i in range(limits.MAX_FAILURES):
        store.sign_in(f"guess{i}", "wrong password!!", "10.9.9.9")
    assert store.sign_in("bob", SECRET, "10.9.9.9").retry_after > 0
    assert store.sign_in("bob", SECRET, "10.9.9.8").user is not None


def test_the_window_passes(store: ScenarioStore) -> None:
    for i in range(limits.MAX_FAILURES):
        store.sign_in("ann", f"wrong {i:012d}", "10.0.0.1")
    def check(seconds_after: float) -> int:
        return store._read(lambda s: limits.check(
            s, "ann", "10.0.0.1", now=_newest(s) + timedelta(seconds=seconds_after)),
            "check").retry_after
    assert check(1) > 0
    assert check(limits.WINDOW_S + 1) == 0


def _newest(session: object) -> object:
    import sqlalchemy as sa

    from nexus_panel.storage.schema import AuditEventRow
    return session.scalar(sa.select(sa.func.max(AuditEventRow.at)))  # type: ignore[attr-defined]


def test_bad_names_are_refused_and_audited(store: ScenarioStore) -> None:
    result = store.sign_in("ann\x07", SECRET, "10.1.1.1")
    assert result.user is None and "control" in result.refused
    [event] = [e for e in store.audit_events(limit=3) if e.action == "login"][:1]
    assert event.details["outcome"] == "refused" and "\\x07" in event.details["name"]


def test_a_signed_out_session_stays_revoked_until_its_cookie_expires(
        store: ScenarioStore) -> None:
    from datetime import UTC, datetime

    from nexus_panel.storage.schema import RevokedSessionRow

    now = datetime.now(UTC)
    assert not store.session_revoked("a" * 64)
    store.revoke_session("a" * 64, "ann", now + timedelta(hours=12), address="10.3.0.1")
    store.revoke_session("a" * 64, "ann", now + timedelta(hours=12))  # twice: no error
    store.revoke_session("b" * 64, "bob", now - timedelta(seconds=1))  # already expired
    assert store.session_revoked("a" * 64) and store.session_revoked("b" * 64)
    assert not store.session_revoked("c" * 64)
    signed_out = [e for e in store.audit_events(limit=5) if e.action == "login"]
    assert [(e.actor, e.details["outcome"]) for e in signed_out] == [
        ("bob", "signed out"), ("ann", "signed out"), ("ann", "signed out")]
    assert signed_out[-1].details["address"] == "10.3.0.1"
    # the next sign-out drops rows whose cookies have expired: the table stays small
    store.revoke_session("c" * 64, "ann", now + timedelta(hours=12))
    from sqlalchemy.orm import Session

    with Session(store.engine) as s:
        kept = sorted(r.digest[0] for r in s.query(RevokedSessionRow))
    assert kept == ["a", "c"]
    # a sign-out is no failed sign-in: it does not count toward the rate limit
    for _ in range(limits.MAX_FAILURES):
        store.revoke_session("d" * 64, "ann", now + timedelta(hours=12), address="10.3.0.1")
    assert store.sign_in("ann", SECRET, "10.3.0.1").user is not None


def test_other_audited_work_cannot_push_failures_out_of_view(store: ScenarioStore) -> None:
    from nexus_panel.storage import audit

    for i in range(limits.MAX_FAILURES):
        store.sign_in("ann", f"wrong {i:012d}", f"10.4.0.{i}")
    # More audited work than the scan bound, between the failures and the next attempt
    # (as exports or runs by another account would write): it used to hide the failures.
    store._write_once(lambda s: [audit.append(s, "bob", "export", "scenario:1", {"n": n})
                                 for n in range(limits.SCAN_EVENTS + 100)], "audit work")
    limited = store.sign_in("ann", SECRET, "10.4.1.1")
    assert limited.user is None and limited.retry_after > 0


def test_a_password_reset_marks_when_sign_ins_end(store: ScenarioStore) -> None:
    from datetime import UTC, datetime

    assert store.account("ann").sessions_after is None
    store.set_role("ann", "viewer")
    assert store.account("ann").sessions_after is None  # a role change ends nothing
    before = datetime.now(UTC)
    store.reset_password("ann", "another fine password")
    after = store.account("ann").sessions_after
    assert after is not None and after.microsecond == 0  # whole seconds, as cookies
    assert before.replace(microsecond=0) <= after <= datetime.now(UTC)
