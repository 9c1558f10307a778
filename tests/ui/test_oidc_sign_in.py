"""Single sign-on in a real browser: ``nexus-panel serve --auth --oidc-issuer ...`` against
a real OpenID Connect provider (npm oidc-provider, tests/oidc/provider.mjs).

An editor by group signs in at the provider, comes back signed in ("NAME (editor)"),
and the scenario they save is owned by them in the database; an account in no mapped
group is refused with the reason, keeps no session and the refusal is audited."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from typing import Any

import pytest
from playwright.sync_api import Browser, Page, expect
from pw_helpers import ConsoleErrors, wait_for_page

from nexus_panel.benchmarks.auth_server import COOKIE_SECRET, sqlite_url
from nexus_panel.benchmarks.ui_server import Server, free_port

IDP_ACCOUNTS = {
    "olga": {"password": "olga-idp-password", "name": "Olga K", "email": "olga@example.org",
             "groups": ["staff", "nexus-editors"]},
    "mallory": {"password": "mallory-idp-password", "name": "Mal", "groups": ["marketing"]},
}


@pytest.fixture(scope="module")
def idp(start_module_idp: Any, tmp_path_factory: pytest.TempPathFactory) -> Any:
    """The provider, knowing the one redirect URI of the server below (its port fixed
    first, since each must know the other's address)."""
    port = free_port()
    provider = start_module_idp([f"http://127.0.0.1:{port}/login"], IDP_ACCOUNTS)
    provider.app_port = port
    return provider


@pytest.fixture(scope="module")
def server(idp: Any, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    env = {"NEXUS_COOKIE_SECRET": COOKIE_SECRET, "NEXUS_OIDC_CLIENT_ID": idp.client_id,
           "NEXUS_OIDC_CLIENT_SECRET": idp.client_secret,
           "NEXUS_OIDC_ROLES": "nexus-admins=admin,nexus-editors=editor",
           "NEXUS_OIDC_SCOPES": "openid email profile groups"}
    srv = Server(tmp_path_factory.mktemp("nexus-oidc-ui"), port=idp.app_port, env=env,
                 extra_args=("--auth", "--oidc-issuer", idp.issuer))
    try:
        srv.wait_ready()
        yield srv
    finally:
        srv.stop()


def sign_in_at_provider(browser: Browser, server: Server, idp: Any, login: str,
                        path: str = "/") -> Page:
    """A fresh browser context that opens ``path``, is sent to the provider's sign-in
    form and submits it."""
    context = browser.new_context(base_url=server.url,
                                  viewport={"width": 1400, "height": 1000})
    page = context.new_page()
    page.goto(path)
    page.wait_for_url(f"{idp.issuer}/interaction/**", timeout=60_000)
    page.fill("input[name=login]", login)
    page.fill("input[name=password]", str(IDP_ACCOUNTS[login]["password"]))
    page.click("button[type=submit]")
    return page


def test_an_editor_by_group_signs_in_and_owns_what_they_save(
        browser: Browser, server: Server, idp: Any) -> None:
    from nexus_panel.storage import ScenarioStore

    page = sign_in_at_provider(browser, server, idp, "olga", "/scenarios")
    expect(page).to_have_url(f"{server.url}/scenarios", timeout=60_000)
    wait_for_page(page)
    errors = ConsoleErrors(page)
    expect(page.locator(".nx-identity")).to_have_text("olga (editor)")
    name = f"sso-{uuid.uuid4().hex[:6]}"
    box = page.locator(".nx-save-name input").first
    box.fill(name)
    box.press("Enter")
    page.locator(".nx-save button").click()
    expect(page.locator(".nx-scenarios-message")).to_contain_text(
        f"Saved '{name}' as revision 1")
    errors.assert_none()
    # HTTP routes resolve the same identity (the signed user and id_token cookies).
    assert page.request.get(f"{server.url}/status").status == 200
    page.context.close()
    with ScenarioStore(sqlite_url(server.workdir)) as store:
        assert store.get(name).owner == "olga"
        account = store.account("olga")
        assert account is not None and (account.role, account.display_name) == (
            "editor", "Olga K")
        assert store.authenticate("olga", "olga-idp-password") is None  # no password


def test_an_account_in_no_mapped_group_is_refused(browser: Browser, server: Server,
                                                  idp: Any) -> None:
    from nexus_panel.storage import ScenarioStore

    page = sign_in_at_provider(browser, server, idp, "mallory")
    page.wait_for_url(f"{server.url}/login?**", timeout=60_000)
    expect(page.locator(".nx-login-error")).to_contain_text(
        "Not signed in: your account has no role in this app")
    assert not [c for c in page.context.cookies() if c["name"] in ("user", "id_token")]
    home = page.request.get(f"{server.url}/", max_redirects=0)
    assert home.status == 302 and "login?next=" in home.headers["location"]
    assert page.request.get(f"{server.url}/status").status == 401
    page.context.close()
    with ScenarioStore(sqlite_url(server.workdir)) as store:
        assert store.account("mallory") is None
        refusals = [e.details for e in store.audit_events(limit=20)
                    if e.action == "login" and "single sign-on" in str(e.details)]
        assert refusals and "no role in this app" in refusals[0]["why"]


def test_an_admin_can_still_shut_an_sso_user_out(browser: Browser, server: Server,
                                                 idp: Any) -> None:
    from nexus_panel.storage import ScenarioStore

    first = sign_in_at_provider(browser, server, idp, "olga")
    expect(first).to_have_url(f"{server.url}/", timeout=60_000)
    expect(first.locator(".nx-identity")).to_have_text("olga (editor)")
    first.context.close()
    with ScenarioStore(sqlite_url(server.workdir)) as store:
        store.set_disabled("olga")  # (local mode: the machine's admin)
    try:
        page = sign_in_at_provider(browser, server, idp, "olga")
        page.wait_for_url(f"{server.url}/login?**", timeout=60_000)
        expect(page.locator(".nx-login-error")).to_contain_text(
            "Not signed in: this app refused the account (account disabled)")
        page.context.close()
    finally:
        with ScenarioStore(sqlite_url(server.workdir)) as store:
            assert store.account("olga").disabled
            store.set_disabled("olga", False)
