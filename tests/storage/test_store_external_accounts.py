"""Accounts kept for single sign-on (``ScenarioStore.external_sign_in``) on SQLite and
PostgreSQL: created on first sign-in, role synced from the claims at each sign-in, no
password ever verifies, a disabled account stays out, a password account's name cannot be
taken over, every outcome audited, bad input refused unwritten."""

from __future__ import annotations

import pytest

from nexus_panel.models import ValidationError
from nexus_panel.storage import PermissionDenied, ScenarioStore
from nexus_panel.storage.accounts import EXTERNAL_HASH


def logins(store: ScenarioStore, name: str) -> list[dict[str, object]]:
    return [dict(e.details) for e in reversed(store.audit_events(limit=50))
            if e.action == "login" and e.object == f"user:{name}"]


def test_first_sign_in_creates_the_account_and_later_ones_sync_the_role(
        store: ScenarioStore) -> None:
    first = store.external_sign_in("olga", "editor", "10.0.0.7", display_name=" Olga K ")
    assert first.user is not None and not first.refused
    assert (first.user.name, first.user.role, first.user.display_name) == (
        "olga", "editor", "Olga K")
    again = store.external_sign_in("olga", "viewer", None)
    assert again.user is not None and again.user.role == "viewer"
    assert store.account("olga").role == "viewer"
    assert store.account("olga").last_login_at is not None
    assert [d["outcome"] for d in logins(store, "olga")] == ["ok", "ok"]
    assert logins(store, "olga")[0] == {"outcome": "ok", "source": "oidc",
                                        "address": "10.0.0.7"}
    changes = [e.details for e in store.audit_events(limit=50) if e.action == "user"]
    assert {"change": "update", "role": "viewer", "source": "oidc"} in changes
    assert {"change": "add", "role": "editor", "source": "oidc"} in changes


def test_the_role_from_the_database_is_what_the_store_enforces(store: ScenarioStore) -> None:
    from storage_helpers import make_scenario

    store.external_sign_in("vic", "viewer", None)
    with pytest.raises(PermissionDenied, match="editor or admin"):
        store.acting_as("vic").save(make_scenario("s1"))
    store.external_sign_in("vic", "editor", None)
    store.acting_as("vic").save(make_scenario("s1"))
    assert store.get("s1").owner == "vic"


def test_no_password_verifies_an_external_account(store: ScenarioStore) -> None:
    store.external_sign_in("olga", "admin", None)
    for guess in ("", EXTERNAL_HASH, "!external", "a long enough password"):
        assert store.authenticate("olga", guess) is None


def test_a_disabled_account_stays_disabled(store: ScenarioStore) -> None:
    store.external_sign_in("olga", "editor", None)
    store.set_disabled("olga")
    refused = store.external_sign_in("olga", "admin", "10.0.0.8")
    assert refused.user is None and refused.refused == "account disabled"
    account = store.account("olga")
    assert account.disabled and account.role == "editor"  # neither enabled nor promoted
    assert logins(store, "olga")[-1]["outcome"] == "account disabled"


def test_a_password_accounts_name_is_not_taken_over(store: ScenarioStore) -> None:
    store.add_user("ada", "viewer", "a long enough secret")
    refused = store.external_sign_in("ada", "admin", None)
    assert refused.user is None and refused.refused == "name held by a password account"
    assert store.account("ada").role == "viewer"
    assert store.authenticate("ada", "a long enough secret") is not None


@pytest.mark.parametrize(("field", "name", "role"), [
    ("name", "bad\x00name", "editor"), ("name", " padded", "editor"),
    ("name", "x" * 201, "editor"), ("role", "olga", "root")])
def test_bad_names_and_roles_are_refused_unwritten(store: ScenarioStore, field: str,
                                                   name: str, role: str) -> None:
    with pytest.raises(ValidationError) as err:
        store.external_sign_in(name, role, None)
    assert err.value.fields == [field]
    assert store.users() == []


def test_a_hostile_display_name_is_dropped_not_stored(store: ScenarioStore) -> None:
    user = store.external_sign_in("olga", "viewer", None, display_name="evil\x00name").user
    assert user is not None and user.display_name == ""


def test_simultaneous_first_sign_ins_add_the_account_once(db_url: str) -> None:
    from concurrent.futures import ThreadPoolExecutor

    stores = [ScenarioStore(db_url) for _ in range(4)]
    try:
        with ThreadPoolExecutor(4) as pool:
            results = list(pool.map(lambda st: st.external_sign_in("olga", "editor", None),
                                    stores))
        assert all(r.user is not None for r in results)
        adds = [e for e in stores[0].audit_events(limit=50)
                if e.action == "user" and e.details.get("change") == "add"]
        assert len(adds) == 1
    finally:
        for opened in stores:
            opened.close()
