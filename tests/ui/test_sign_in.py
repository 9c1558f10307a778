"""Signing in, in a real browser, against ``nexus-panel serve --auth``: an editor saves a
scenario, a viewer (another browser context) opens it without being offered delete, and
the store refuses the viewer's crafted delete; an admin manages accounts on the Users
page, a viewer gets "admins only".

This module's ``server`` replaces the suite's (local mode) server for these tests only,
so the rest of the browser suite runs unchanged without sign-in."""

from __future__ import annotations

import re
import uuid
from collections.abc import Iterator
from typing import Any

import pytest
from playwright.sync_api import Browser, expect
from pw_helpers import ConsoleErrors, fill, row, signed_in_page

from nexus_panel.benchmarks.auth_server import auth_server, sqlite_url
from nexus_panel.benchmarks.ui_server import Server


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    srv = auth_server(tmp_path_factory.mktemp("nexus-auth-ui"))
    try:
        yield srv
    finally:
        srv.stop()


@pytest.fixture(scope="module")
def store_as(server: Server) -> Iterator[Any]:
    """Open the server's database as a named user (to check what the store refuses)."""
    from nexus_panel.storage import ScenarioStore

    opened: list[Any] = []

    def open_as(user: str | None) -> Any:
        opened.append(ScenarioStore(sqlite_url(server.workdir), user=user))
        return opened[-1]
    yield open_as
    for store in opened:
        store.close()


def test_editor_saves_viewer_opens_but_may_not_delete(browser: Browser, server: Server,
                                                      store_as: Any) -> None:
    from nexus_panel.storage import PermissionDenied

    name = f"shared-{uuid.uuid4().hex[:6]}"
    editor = signed_in_page(browser, server.url, "ed", "/scenarios")
    errors = ConsoleErrors(editor)
    fill(editor, ".nx-save-name", name)
    editor.locator(".nx-save button").click()
    expect(editor.locator(".nx-scenarios-message")).to_contain_text(
        f"Saved '{name}' as revision 1")
    expect(row(editor, name)).to_contain_text("ed")
    expect(row(editor, name)).to_contain_text("team")
    row(editor, name).click()
    expect(editor.locator(".nx-delete button")).to_be_enabled()
    expect(editor.locator(".nx-make-private button")).to_be_visible()
    errors.assert_none()

    viewer = signed_in_page(browser, server.url, "vi", "/scenarios")
    expect(viewer.locator(".nx-viewer-note")).to_contain_text("a viewer")
    expect(viewer.locator(".nx-save")).to_have_count(0)
    row(viewer, name).click()
    viewer.locator(".nx-load button").click()
    expect(viewer.locator(".nx-scenarios-message")).to_contain_text(
        f"Loaded '{name}' revision 1")
    expect(viewer.locator(".nx-delete button")).to_be_hidden()
    expect(viewer.locator(".nx-make-private button")).to_be_hidden()

    # A crafted delete (the store call any websocket message would end in) is refused.
    with pytest.raises(PermissionDenied, match="that needs an editor or admin"):
        store_as("vi").delete(name)
    assert not store_as(None).get(name).deleted
    refusals = [e for e in store_as(None).audit_events(limit=20)
                if e.action == "refuse" and e.actor == "vi"]
    assert refusals and "delete" in refusals[0].details["operation"]
    for page in (editor, viewer):
        page.context.close()


def test_users_page_for_admins_only(browser: Browser, server: Server,
                                    store_as: Any) -> None:
    name = f"new-{uuid.uuid4().hex[:6]}"
    admin = signed_in_page(browser, server.url, "ada", "/users")
    errors = ConsoleErrors(admin)
    expect(admin.locator("a.nx-nav-link[data-page=users]")).to_have_count(1)
    expect(admin.locator(".nx-user-list")).to_contain_text("vi")
    fill(admin, ".nx-new-user-name", name)
    admin.locator(".nx-new-user-role select").select_option("editor")
    admin.locator(".nx-new-user-password input").fill("a-long-enough-password")
    admin.locator(".nx-new-user-password input").press("Enter")
    admin.locator(".nx-add-user button").click()
    expect(admin.locator(".nx-users-message")).to_contain_text(f"Added '{name}' (editor)")
    admin.locator(".nx-user-list .tabulator-row", has_text=name).click()
    admin.locator(".nx-disable-user button").click()
    expect(admin.locator(".nx-users-message")).to_contain_text(f"'{name}' is disabled")
    account = store_as(None).account(name)
    assert account is not None and account.role == "editor" and account.disabled
    errors.assert_none()
    admin.context.close()

    viewer = signed_in_page(browser, server.url, "vi", "/users")
    expect(viewer.locator(".nx-admins-only")).to_contain_text("Admins only")
    expect(viewer.locator("a.nx-nav-link[data-page=users]")).to_have_count(0)
    viewer.context.close()


def test_open_pages_end_with_their_sign_in(browser: Browser, server: Server,
                                           store_as: Any) -> None:
    # Two tabs of one sign-in; signing out in one sends the other to the sign-in form
    # within a few seconds (before: it went on working on the ended sign-in).
    page = signed_in_page(browser, server.url, "ed", "/model")
    other = page.context.new_page()
    other.goto("/compare")
    expect(other.locator(".nx-identity")).to_have_text("ed (editor)", timeout=60_000)
    page.goto("/logout")
    expect(page.get_by_text("Signed out")).to_be_visible()
    expect(other).to_have_url(re.compile(r"/login\?next=%2Fcompare"), timeout=30_000)
    page.context.close()

    # An admin disables an account: its open page ends too; enabled again, the same
    # form signs in and comes back to the page.
    store = store_as(None)
    name = f"gone-{uuid.uuid4().hex[:6]}"
    store.add_user(name, "viewer", "a-long-enough-password")
    context = browser.new_context(base_url=server.url, viewport={"width": 1400, "height": 1000})
    tab = context.new_page()
    tab.goto("/signals")
    tab.fill("#nx-username", name)
    tab.fill("#nx-password", "a-long-enough-password")
    tab.click(".nx-login-submit")
    expect(tab.locator(".nx-identity")).to_have_text(f"{name} (viewer)", timeout=60_000)
    store.set_disabled(name)
    expect(tab).to_have_url(re.compile(r"/login\?next=%2Fsignals"), timeout=30_000)
    store.set_disabled(name, False)
    tab.fill("#nx-username", name)
    tab.fill("#nx-password", "a-long-enough-password")
    tab.click(".nx-login-submit")
    expect(tab).to_have_url(re.compile(r"/signals"), timeout=60_000)
    expect(tab.locator(".nx-identity")).to_have_text(f"{name} (viewer)", timeout=60_000)
    context.close()
