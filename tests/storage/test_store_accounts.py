"""Accounts on SQLite and PostgreSQL: argon2id hashes (never the password), the password
policy, user-name text rules, logins (audited, rehashed when the parameters change),
private scenarios hidden from others, and no signing in another's name."""

from __future__ import annotations

import pytest
import sqlalchemy as sa
from argon2 import PasswordHasher
from storage_helpers import execute, make_scenario

from nexus_panel.engine import simulate
from nexus_panel.models import ValidationError
from nexus_panel.storage import NotFoundError, PermissionDenied, ScenarioStore, passwords

SECRET = "a long enough secret"


def _hashes(url: str) -> dict[str, str]:
    engine = sa.create_engine(url)
    try:
        with engine.connect() as conn:
            return dict(conn.execute(sa.text("SELECT name, password_hash FROM users")).all())
    finally:
        engine.dispose()


def test_passwords_are_stored_as_argon2id_hashes_only(db_url: str) -> None:
    with ScenarioStore(db_url) as store:
        store.add_user("ann", "editor", SECRET, display_name="Ann Lee")
        store.reset_password("ann", "another long secret")
        trail = [str(e.details) for e in store.audit_events()]
        assert [(u.name, u.display_name, u.role) for u in store.users()] == [
            ("ann", "Ann Lee", "editor")]
    stored = _hashes(db_url)["ann"]
    assert stored.startswith("$argon2id$v=19$m=19456,t=2,p=1$")
    assert SECRET not in stored and "another long secret" not in stored
    assert not any("secret" in t or "argon2" in t for t in trail)


@pytest.mark.parametrize("password", ["elevenchars", "ann", " ANN ", "tab\tin the middle",
                                      "x" * 1025, None])
def test_a_password_outside_the_policy_is_refused_without_echoing_it(
        db_url: str, password: object) -> None:
    with ScenarioStore(db_url) as store, pytest.raises(ValidationError) as err:
        store.add_user("ann", "editor", password)  # type: ignore[arg-type]
    assert err.value.fields == ["password"]
    assert "12 to 1024 characters, not the user name" in str(err.value)
    if isinstance(password, str) and password.strip():
        assert password.strip() not in str(err.value).replace("the user name", "")
    assert _hashes(db_url) == {}


@pytest.mark.parametrize(("field", "name", "role"), [
    ("name", "bad\x00name", "editor"), ("name", "line\nbreak", "editor"),
    ("name", " padded", "editor"), ("name", "x" * 201, "editor"), ("name", "", "editor"),
    ("role", "ann", "superuser")])
def test_bad_user_names_and_roles_name_the_field(db_url: str, field: str, name: str,
                                                 role: str) -> None:
    with ScenarioStore(db_url) as store, pytest.raises(ValidationError) as err:
        store.add_user(name, role, SECRET)
    assert err.value.fields == [field]


def test_a_second_account_of_the_same_name_is_refused(db_url: str) -> None:
    with ScenarioStore(db_url) as store:
        store.add_user("ann", "editor", SECRET)
        with pytest.raises(Exception, match="an account named 'ann' already exists"):
            store.add_user("ann", "admin", SECRET)
        assert [u.role for u in store.users()] == ["editor"]


def test_login_answers_the_same_for_unknown_wrong_and_disabled(db_url: str) -> None:
    with ScenarioStore(db_url) as store:
        store.add_user("ann", "editor", SECRET)
        store.add_user("dan", "viewer", SECRET)
        store.set_disabled("dan")
        assert store.authenticate("ann", "wrong password!") is None
        assert store.authenticate("nobody", SECRET) is None
        assert store.authenticate("dan", SECRET) is None
        assert store.authenticate("ann\x00", SECRET) is None
        user = store.authenticate("ann", SECRET)
        assert user is not None and user.last_login_at is not None
        logins = [(e.actor, e.details["outcome"]) for e in store.audit_events()
                  if e.action == "login"]
        assert logins == [("ann", "ok"), ("dan", "account disabled"),
                          ("nobody", "unknown user"), ("ann", "wrong password")]
        assert store.users()[0].last_login_at == user.last_login_at
        assert store.verify_audit().ok


def test_a_hash_with_old_parameters_is_replaced_at_the_next_login(db_url: str) -> None:
    with ScenarioStore(db_url) as store:
        store.add_user("ann", "editor", SECRET)
        old = PasswordHasher(time_cost=1, memory_cost=8192, parallelism=1).hash(SECRET)
        execute(db_url, f"UPDATE users SET password_hash = '{old}' WHERE name = 'ann'")
        assert passwords.needs_rehash(old)
        assert store.authenticate("ann", "not the secret") is None
        assert _hashes(db_url)["ann"] == old  # a failed login changes nothing
        assert store.authenticate("ann", SECRET) is not None
    new = _hashes(db_url)["ann"]
    assert new != old and not passwords.needs_rehash(new) and passwords.verify(new, SECRET)


def test_a_private_scenario_is_hidden_from_everyone_but_its_owner_and_admins(
        db_url: str) -> None:
    with ScenarioStore(db_url) as local:
        for name, role in (("ann", "editor"), ("bob", "editor"), ("vic", "viewer"),
                           ("ada", "admin")):
            local.add_user(name, role, SECRET)
    with ScenarioStore(db_url, user="ann") as ann:
        run = ann.save(make_scenario("secret-plan"), run=simulate(make_scenario("secret-plan")))
        run_id = ann.runs("secret-plan")[0].id
        ann.save(make_scenario("shared"))
        assert ann.set_visibility("secret-plan", "private").visibility == "private"
        assert [s.name for s in ann.list()] == ["secret-plan", "shared"]
    for other in ("bob", "vic"):
        with ScenarioStore(db_url, user=other) as store:
            assert [s.name for s in store.list()] == ["shared"]
            with pytest.raises(NotFoundError, match="no scenario named 'secret-plan'"):
                store.load("secret-plan")
            with pytest.raises(NotFoundError):
                store.revisions("secret-plan")
            with pytest.raises(NotFoundError, match=f"no stored run with id {run_id}"):
                store.load_run(run_id)
            with pytest.raises(NotFoundError):
                store.run_info(run_id)
    with ScenarioStore(db_url, user="bob") as bob, pytest.raises(PermissionDenied,
                                                                  match="private to 'ann'"):
        bob.save(make_scenario("secret-plan", alpha=1.9))
    with ScenarioStore(db_url, user="ada") as ada:
        assert [s.name for s in ada.list()] == ["secret-plan", "shared"]
        assert ada.load("secret-plan").name == "secret-plan"
        assert ada.run_info(run_id).scenario_name == run.scenario_name == "secret-plan"
    with ScenarioStore(db_url) as local, pytest.raises(ValidationError) as err:
        local.set_visibility("shared", "public")
    assert err.value.fields == ["visibility"]


def test_a_named_user_cannot_write_in_another_name(db_url: str) -> None:
    with ScenarioStore(db_url) as local:
        local.add_user("ann", "admin", SECRET)
    with ScenarioStore(db_url, user="ann") as ann:
        with pytest.raises(PermissionDenied, match="in the name of 'bob'"):
            ann.save(make_scenario(), author="bob")
        assert ann.list() == []
        assert ann.save(make_scenario(), author="ann").author == "ann"


def test_a_role_change_applies_to_an_open_store_at_its_next_write(db_url: str) -> None:
    with ScenarioStore(db_url) as local:
        local.add_user("ann", "editor", SECRET)
        with ScenarioStore(db_url, user="ann") as ann:
            ann.save(make_scenario("one"))
            local.set_role("ann", "viewer")
            with pytest.raises(PermissionDenied, match="'ann' is a viewer"):
                ann.save(make_scenario("two"))
            local.set_disabled("ann")
            with pytest.raises(PermissionDenied, match="the account 'ann' is disabled"):
                ann.export_bundle("one")
