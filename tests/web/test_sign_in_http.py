"""Sign-in over HTTP against a real ``nexus-panel serve --auth`` (SQLite; one test on
PostgreSQL): redirects, the same answer for unknown users and wrong passwords, the
database rate limit, forged and expired cookies, XSRF, oversized and malformed requests,
the download route and sign-out. Each test acts from its own client address
(X-Forwarded-For), so the per-address limit of one test does not leak into the next."""

from __future__ import annotations

import re
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from tornado.web import create_signed_value

from nexus_panel.benchmarks.auth_server import (
    ACCOUNTS,
    COOKIE_SECRET,
    auth_server,
    client,
    sign_in,
    sqlite_url,
)
from nexus_panel.benchmarks.ui_server import Server
from nexus_panel.web.sign_in import FAILED, MAX_BODY_BYTES


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    srv = auth_server(tmp_path_factory.mktemp("nexus-auth"), extra_args=("--no-warm-up",))
    try:
        yield srv
    finally:
        srv.stop()


def password(name: str) -> str:
    return ACCOUNTS[name][1]


def without_token(page: str) -> str:
    """The page without its XSRF token (masked anew for every response)."""
    return re.sub(r'name="_xsrf" value="[^"]*"', "", page)


def login_events(server: Server, address: str) -> list[Any]:
    from nexus_panel.storage import ScenarioStore

    with ScenarioStore(sqlite_url(server.workdir)) as store:
        return [e for e in store.audit_events(limit=500)
                if e.action == "login" and e.details.get("address") == address]


def test_pages_redirect_to_login_until_signed_in(server: Server) -> None:
    with client(server.url, "10.0.0.1") as http:
        first = http.get("/")
        assert first.status_code == 302
        assert first.headers["Location"].endswith("login?next=%2F")
        form = http.get("/login")
        assert form.status_code == 200 and 'name="_xsrf"' in form.text
        assert 'name="username"' in form.text and 'name="password"' in form.text
        ok = sign_in(http, "ed", password("ed"), next_url="/scenarios")
        assert ok.status_code == 302 and ok.headers["Location"] == "/scenarios"
        cookie = ok.headers["Set-Cookie"]
        assert "HttpOnly" in cookie and "expires=" in cookie and "SameSite=Lax" in cookie
        page = http.get("/scenarios")
        assert page.status_code == 200
    outcomes = [e.details["outcome"] for e in login_events(server, "10.0.0.1")]
    assert outcomes == ["ok"]


def test_wrong_password_and_unknown_user_get_the_same_answer(server: Server) -> None:
    with client(server.url, "10.0.0.2") as http:
        wrong = sign_in(http, "ed", "not-the-password-at-all")
        unknown = sign_in(http, "nobody-here", "not-the-password-at-all")
        for answer in (wrong, unknown):
            assert answer.status_code == 401
            assert FAILED in answer.text
            assert "user" not in answer.cookies
        assert without_token(wrong.text) == without_token(unknown.text)
        assert http.get("/").status_code == 302
    outcomes = sorted(e.details["outcome"] for e in login_events(server, "10.0.0.2"))
    assert outcomes == ["unknown user", "wrong password"]


def test_five_failures_for_one_user_answer_429_with_retry_after(server: Server) -> None:
    # Five different addresses: only the per-user count can trip.
    for i in range(5):
        with client(server.url, f"10.1.0.{i}") as http:
            assert sign_in(http, "vi", f"wrong-password-{i:04d}").status_code == 401
    with client(server.url, "10.1.0.9") as http:
        refused = sign_in(http, "vi", password("vi"))  # even the right password waits
        assert refused.status_code == 429
        assert 1 <= int(refused.headers["Retry-After"]) <= 60
        assert "Too many failed sign-ins" in refused.text
    assert [e.details["outcome"] for e in login_events(server, "10.1.0.9")] == [
        "rate limited"]
    with client(server.url, "10.1.0.10") as http:  # another user is not affected
        assert sign_in(http, "ada", password("ada")).status_code == 302


def test_five_failures_from_one_address_answer_429(server: Server) -> None:
    with client(server.url, "10.2.0.1") as http:
        for i in range(5):
            assert sign_in(http, f"guess{i}", "wrong-password-xx").status_code == 401
        refused = sign_in(http, "ada", password("ada"))
        assert refused.status_code == 429 and int(refused.headers["Retry-After"]) >= 1
    with client(server.url, "10.2.0.2") as http:
        assert sign_in(http, "ada", password("ada")).status_code == 302


def test_forged_and_expired_cookies_go_back_to_login(server: Server) -> None:
    with client(server.url, "10.3.0.1") as http:
        assert sign_in(http, "ed", password("ed")).status_code == 302
        good = http.cookies["user"]
    forged = good[:-4] + ("0000" if not good.endswith("0000") else "1111")
    other_secret = create_signed_value("x" * 40, "user", "ada").decode()
    expired = create_signed_value(COOKIE_SECRET, "user", "ada",
                                  clock=lambda: time.time() - 13 * 3600).decode()
    for value in (forged, other_secret, expired, "ada"):
        with client(server.url, "10.3.0.2") as http:
            http.cookies.set("user", value, domain="127.0.0.1")
            answer = http.get("/scenarios")
            assert answer.status_code == 302, value
            assert "login" in answer.headers["Location"]
            assert http.get("/export/csv").status_code == 401


def test_missing_xsrf_is_refused(server: Server) -> None:
    with client(server.url, "10.4.0.1") as http:
        http.get("/login")
        answer = http.post("/login", data={"username": "ed", "password": password("ed")})
        assert answer.status_code == 403
        assert "did not come from this site" in answer.text
        assert "user" not in answer.cookies
    [event] = login_events(server, "10.4.0.1")
    assert event.details["outcome"] == "refused"


def test_oversized_body_is_refused_unread(server: Server) -> None:
    with client(server.url, "10.5.0.1") as http:
        http.get("/login")
        answer = http.post("/login", data={"username": "ed", "password": "x" * 100_000,
                                           "_xsrf": http.cookies.get("_xsrf")})
        assert answer.status_code == 413
        assert f"at most {MAX_BODY_BYTES} bytes" in answer.text
    [event] = login_events(server, "10.5.0.1")
    assert event.details["outcome"] == "refused"


def test_control_characters_in_user_names_are_refused(server: Server) -> None:
    with client(server.url, "10.6.0.1") as http:
        answer = sign_in(http, "ed\x00<b>", password("ed"))
        assert answer.status_code == 400
        assert "user name" in answer.text and "control" in answer.text
        assert "<b>" not in answer.text  # never echoed, let alone unescaped
    [event] = login_events(server, "10.6.0.1")
    assert event.details["outcome"] == "refused"
    assert "\\x00" in event.details["name"]


def test_export_needs_a_session(server: Server) -> None:
    with client(server.url, "10.7.0.1") as http:
        assert http.get("/export/csv").status_code == 401
        assert http.get("/status").status_code == 401
        assert sign_in(http, "ada", password("ada")).status_code == 302
        download = http.get("/export/csv", params={"num_steps": "100"})
        assert download.status_code == 200
        assert download.text.startswith("t,")


def test_logout_forgets_the_session(server: Server) -> None:
    with client(server.url, "10.8.0.1") as http:
        assert sign_in(http, "ed", password("ed")).status_code == 302
        cookie = http.cookies["user"]
        assert http.get("/").status_code == 200
        with client(server.url, "10.8.0.2") as other:  # another sign-in of the same user
            assert sign_in(other, "ed", password("ed")).status_code == 302
            out = http.get("/logout")
            assert out.status_code == 200 and "Signed out" in out.text
            assert "user" not in http.cookies
            assert http.get("/").status_code == 302
            assert other.get("/").status_code == 200  # only the signed-out one ended
        # A copy of the signed-out cookie (a shared machine, a leaked proxy log) is still
        # signed correctly and not expired, but the server refuses it.
        with client(server.url, "10.8.0.3") as copy:
            copy.cookies.set("user", cookie)
            assert copy.get("/").status_code == 302
            assert copy.get("/export/csv").status_code == 401
    [out] = [e for e in login_events(server, "10.8.0.1")
             if e.details["outcome"] == "signed out"]
    assert out.actor == "ed"


def test_a_password_reset_ends_the_sign_ins_made_before_it(server: Server) -> None:
    from nexus_panel.storage import ScenarioStore

    old, new = "the-old-password-1", "the-new-password-2"
    with ScenarioStore(sqlite_url(server.workdir)) as store:
        store.add_user("pw-reset", "viewer", old)
    with client(server.url, "10.8.1.1") as before:
        assert sign_in(before, "pw-reset", old).status_code == 302
        assert before.get("/").status_code == 200
        with ScenarioStore(sqlite_url(server.workdir)) as store:  # the admin's reset
            record = store.reset_password("pw-reset", new)
        assert record.sessions_after is not None
        deadline = time.monotonic() + 15  # (the server caches an account for 5 s)
        while before.get("/").status_code == 200:
            assert time.monotonic() < deadline, "the old sign-in still works"
            time.sleep(0.5)
        assert before.get("/export/csv").status_code == 401
    with client(server.url, "10.8.1.2") as after:  # the new password signs in at once
        assert sign_in(after, "pw-reset", old).status_code == 401
        assert sign_in(after, "pw-reset", new).status_code == 302
        assert after.get("/").status_code == 200


def test_next_cannot_leave_the_site(server: Server) -> None:
    with client(server.url, "10.9.0.1") as http:
        for target in ("//evil.example/x", "https://evil.example/", "/\\evil.example"):
            answer = sign_in(http, "ed", password("ed"), next_url=target)
            assert answer.status_code == 302 and answer.headers["Location"] == "./"


@pytest.mark.postgres
def test_sign_in_and_rate_limit_on_postgres(tmp_path: Path, pg_url: str) -> None:
    srv = auth_server(tmp_path, database_url=pg_url, extra_args=("--no-warm-up",))
    try:
        with client(srv.url, "10.20.0.1") as http:
            assert sign_in(http, "ed", password("ed")).status_code == 302
            assert http.get("/scenarios").status_code == 200
        for i in range(5):
            with client(srv.url, f"10.20.1.{i}") as http:
                assert sign_in(http, "ed", f"wrong-password-{i:04d}").status_code == 401
        with client(srv.url, "10.20.2.1") as http:
            refused = sign_in(http, "ed", password("ed"))
            assert refused.status_code == 429 and int(refused.headers["Retry-After"]) >= 1
    finally:
        srv.stop()


def test_a_disabled_account_loses_its_session(server: Server) -> None:
    from nexus_panel.storage import ScenarioStore

    with ScenarioStore(sqlite_url(server.workdir)) as store:
        store.add_user("temp", "editor", "temp-password-12345")
        with client(server.url, "10.10.0.1") as http:
            assert sign_in(http, "temp", "temp-password-12345").status_code == 302
            assert http.get("/").status_code == 200
            store.set_disabled("temp", True)
            deadline = time.monotonic() + 30  # pages learn it within identity.CACHE_S
            while http.get("/").status_code != 302:
                assert time.monotonic() < deadline, "the disabled account kept its session"
                time.sleep(0.5)
            assert http.get("/export/csv").status_code == 401
            assert sign_in(http, "temp", "temp-password-12345").status_code == 401
