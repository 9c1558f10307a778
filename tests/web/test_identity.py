"""The identity seam and what the header and login page render of it: signatures and
expiry of the session cookie, escaping of hostile names, the admins-only navigation."""

from __future__ import annotations

import time
from collections.abc import Iterator

import pytest
from tornado.web import create_signed_value

from nexus_panel.pages.site import identity_html, nav_html
from nexus_panel.web import identity, login_page
from nexus_panel.web.identity import LOCAL, Identity
from nexus_panel.web.sign_in import safe_next

SECRET = "s" * 40


@pytest.fixture
def signing() -> Iterator[None]:
    identity.require_sign_in(SECRET)
    yield
    identity.local_mode()


def test_local_mode_is_every_session_without_sign_in() -> None:
    assert identity.identity_from_cookie(None) is LOCAL
    assert LOCAL.label == "local mode"
    assert identity_html(LOCAL).count("local mode") == 1
    assert "nx-logout" not in identity_html(LOCAL)


def test_signed_name_checks_signature_and_age(signing: None) -> None:
    good = create_signed_value(SECRET, "user", "ann")
    assert identity.signed_name(good) == "ann"
    assert identity.signed_name(create_signed_value("t" * 40, "user", "ann")) is None
    assert identity.signed_name(good[:-2] + b"00") is None
    assert identity.signed_name(create_signed_value(SECRET, "id_token", "ann")) is None
    old = create_signed_value(SECRET, "user", "ann", clock=lambda: time.time()
                              - identity.SESSION_HOURS * 3600 - 60)
    assert identity.signed_name(old) is None
    assert identity.signed_name("ann") is None and identity.signed_name(None) is None


def test_hostile_names_are_escaped_in_the_header() -> None:
    who = Identity('<img src=x onerror="alert(1)">', "editor", "password")
    shown = identity_html(who)
    assert "<img" not in shown and "&lt;img" in shown and "(editor)" in shown
    assert 'class="nx-logout"' in shown


def test_users_link_only_for_admins() -> None:
    viewer = Identity("vi", "viewer", "password")
    admin = Identity("ada", "admin", "password")
    assert 'data-page="users"' not in nav_html("simulate", "s=x", viewer)
    assert 'data-page="users"' in nav_html("simulate", "s=x", admin)
    shown = nav_html("stability", "s=x", viewer)
    assert 'data-group="Admin"' not in shown  # an empty group is no menu
    assert shown.count('class="nx-nav-group nx-nav-group-active"') == 1
    assert "Analyse: Stability ▾" in shown and "Model ▾" in shown


def test_login_page_escapes_everything() -> None:
    page = login_page.render(xsrf_field="", next_url='/x"><script>',
                             message="<b>bad</b>")
    assert "<script>" not in page and "<b>bad" not in page
    assert "&lt;b&gt;bad" in page


@pytest.mark.parametrize(("given", "expected"), [
    ("/scenarios?s=abc", "/scenarios?s=abc"), (None, "./"), ("", "./"),
    ("//evil.example", "./"), ("https://evil.example/", "./"), ("/\\evil", "./"),
    ("/ok\r\nSet-Cookie: x", "./"), ("scenarios", "./"),
])
def test_next_stays_on_the_site(given: str | None, expected: str) -> None:
    assert safe_next(given) == expected
