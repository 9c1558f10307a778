"""An open page's sign-in watch (``pages/sign_in_watch.py``) against a real SQLite store:
it keeps the page while the cookie signs in, ends it once the sign-in was signed out or
the account disabled, and keeps it when the database cannot be asked (a blip must not
send every open page to the sign-in form)."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from tornado.web import create_signed_value

from nexus_panel.pages import site
from nexus_panel.pages.sign_in_watch import SignInWatch
from nexus_panel.storage import ScenarioStore, StorageError
from nexus_panel.web import identity

SECRET = "w" * 40


@pytest.fixture
def store(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[ScenarioStore]:
    opened = ScenarioStore(f"sqlite:///{tmp_path / 'watch.db'}")
    opened.add_user("ann", "editor", "a-long-enough-password")
    monkeypatch.setattr(site, "base_store", lambda: opened)
    identity.require_sign_in(SECRET)
    yield opened
    identity.local_mode()
    opened.close()


def watching(cookie: Any) -> SignInWatch:
    watch = SignInWatch()  # (no served session here: give it the page's cookies)
    watch._cookies = (cookie, None)
    return watch


def test_a_signed_out_sign_in_ends_the_page(store: ScenarioStore) -> None:
    cookie = create_signed_value(SECRET, identity.SESSION_COOKIE, "ann").decode()
    watch = watching(cookie)
    assert watch.check() and watch.sink.value == ""
    store.revoke_session(identity.session_digest(cookie), "ann",
                         datetime.now(UTC) + timedelta(hours=1))
    identity.local_mode()
    identity.require_sign_in(SECRET)  # (drops the 5 s caches: as another process sees it)
    assert not watch.check()
    assert watch.sink.value == "signed out"  # its JS sends the browser to /login


def test_a_disabled_account_or_a_forged_cookie_ends_the_page(store: ScenarioStore) -> None:
    cookie = create_signed_value(SECRET, identity.SESSION_COOKIE, "ann").decode()
    store.set_disabled("ann")
    assert not watching(cookie).check()
    forged = create_signed_value("x" * 40, identity.SESSION_COOKIE, "ann").decode()
    assert not watching(forged).check()


def test_an_unreachable_database_keeps_the_page(store: ScenarioStore,
                                                monkeypatch: pytest.MonkeyPatch) -> None:
    def down(*_args: Any) -> Any:
        raise StorageError("database unreachable (test)")

    monkeypatch.setattr(ScenarioStore, "session_revoked", down)
    cookie = create_signed_value(SECRET, identity.SESSION_COOKIE, "ann").decode()
    watch = watching(cookie)
    assert watch.check() and watch.sink.value == ""
    # ... while an HTTP request in the same state is not let in
    assert identity.identity_from_cookie(cookie) is None
