"""The hosted topology as deployed: nginx (Debian's, running deploy/nginx.conf) in front of
``nexus-panel serve --auth --num-procs 2`` on a fresh PostgreSQL database.

Why a module of its own: this is what a team's server is, so the roles are checked
through everything a request crosses there -- nginx's proxying and limits, the websocket
upgrade, two worker processes sharing one port, the database rate limit. An editor signs
in through nginx and saves; a viewer opens the scenario, is offered no delete, and a
delete forced through the websocket is refused by the server. Over HTTP: downloads need a
session, and the sign-in rate limit holds whichever worker answers.

This module's ``server`` replaces the suite's local-mode server (the log checked for
tracebacks after each test is this server's, both workers writing to it)."""

from __future__ import annotations

import time
import uuid
from collections.abc import Iterator
from typing import Any

import pytest
from playwright.sync_api import Browser, Page, expect
from pw_helpers import ConsoleErrors, fill, row, signed_in_page

from nexus_panel.benchmarks.auth_server import (
    ACCOUNTS,
    COOKIE_SECRET,
    client,
    seed_accounts,
    sign_in,
)
from nexus_panel.benchmarks.nginx_front import NginxFront, hosted
from nexus_panel.benchmarks.ui_server import Server

WORKERS = 2


@pytest.fixture(scope="module")
def topology(tmp_path_factory: pytest.TempPathFactory, module_pg_url: str,
             nginx: str) -> Iterator[tuple[Server, NginxFront]]:
    seed_accounts(module_pg_url)
    server, front = hosted(tmp_path_factory.mktemp("nexus-hosted"), module_pg_url,
                           COOKIE_SECRET, num_procs=WORKERS)
    try:
        yield server, front
    finally:
        front.stop()
        server.stop()


@pytest.fixture(scope="module")
def server(topology: tuple[Server, NginxFront]) -> Server:
    return topology[0]


@pytest.fixture(scope="module")
def front(topology: tuple[Server, NginxFront]) -> NginxFront:
    return topology[1]


@pytest.fixture(scope="module")
def store(module_pg_url: str, server: Server) -> Iterator[Any]:
    """The server's database in local mode (to check what was written)."""
    from nexus_panel.storage import ScenarioStore

    with ScenarioStore(module_pg_url) as opened:
        yield opened


@pytest.fixture(scope="module")
def worker_clients(server: Server) -> Iterator[dict[int, Any]]:
    """worker pid -> an HTTP client kept connected to that worker (straight to the app's
    port: a kept-alive connection stays with the process that accepted it; /status names
    the process). Signed in as the viewer, since /status needs a session."""
    with client(server.url) as viewer:
        assert sign_in(viewer, "vi", ACCOUNTS["vi"][1]).status_code == 302
        cookie = viewer.cookies["user"]
    found: dict[int, Any] = {}
    spare: list[Any] = []
    for _ in range(60):  # the kernel hands each new connection to either worker
        http = client(server.url)
        http.cookies.set("user", cookie)
        pid = http.get("/status").json()["pid"]
        if pid in found:
            spare.append(http)
        else:
            found[pid] = http
        if len(found) == WORKERS:
            break
    for http in spare:
        http.close()
    assert len(found) == WORKERS, f"only workers {sorted(found)} answered 60 connections"
    yield found
    for http in found.values():
        http.close()


def workers(server: Server) -> set[int]:
    import psutil

    return {child.pid for child in psutil.Process(server.proc.pid).children()}


def test_both_workers_stay_up(server: Server, worker_clients: dict[int, Any]) -> None:
    """--num-procs 2 with the warm-up on: both forked workers serve and none restarts
    (an event loop made before the fork once made every second worker fail at once)."""
    first = workers(server)
    assert len(first) == WORKERS and set(worker_clients) == first
    deadline = time.monotonic() + 5
    while time.monotonic() < deadline:  # watched for some seconds: a restart changes pids
        assert workers(server) == first, server.log()
        time.sleep(0.5)
    log = server.log_path.read_text(errors="replace")
    assert "restarting" not in log and "cannot listen" not in log, log[-3000:]


def force_delete(page: Page) -> None:
    """What a crafted client can do: show and enable the hidden delete button in the
    page's Bokeh document (the change and the click both go to the server over the
    websocket), click it and confirm."""
    found = page.evaluate("""() => {
      for (const doc of Bokeh.documents) for (const m of doc.all_models) {
        if (m.type.endsWith("Button") && (m.css_classes || []).includes("nx-delete")) {
          m.visible = true; m.disabled = false; return true;
        }
      }
      return false;
    }""")
    assert found, "no delete button model in the viewer's page"
    page.locator(".nx-delete button").click()
    page.locator(".nx-confirm-delete button").click()


def test_editor_saves_viewer_opens_and_cannot_delete(browser: Browser, front: NginxFront,
                                                     store: Any) -> None:
    name = f"hosted-{uuid.uuid4().hex[:6]}"
    editor = signed_in_page(browser, front.url, "ed", "/scenarios")
    errors = ConsoleErrors(editor)
    fill(editor, ".nx-save-name", name)
    editor.locator(".nx-save button").click()
    expect(editor.locator(".nx-scenarios-message")).to_contain_text(
        f"Saved '{name}' as revision 1", timeout=30_000)
    expect(row(editor, name)).to_contain_text("ed")
    errors.assert_none()
    editor.context.close()

    viewer = signed_in_page(browser, front.url, "vi", "/scenarios")
    errors = ConsoleErrors(viewer)
    row(viewer, name).click()
    viewer.locator(".nx-load button").click()
    expect(viewer.locator(".nx-scenarios-message")).to_contain_text(
        f"Loaded '{name}' revision 1", timeout=30_000)
    expect(viewer.locator(".nx-delete button")).to_be_hidden()

    force_delete(viewer)
    expect(viewer.locator(".nx-scenarios-message")).to_contain_text(
        "that needs an editor or admin", timeout=30_000)
    assert not store.get(name).deleted
    refusals = [e for e in store.audit_events(limit=50)
                if e.action == "refuse" and e.actor == "vi"]
    assert refusals and "delete" in refusals[0].details["operation"]
    errors.assert_none()
    viewer.context.close()


def test_downloads_need_a_session_through_nginx(front: NginxFront) -> None:
    with client(front.url) as http:
        refused = http.get("/export/csv", params={"num_steps": "100"})
        assert refused.status_code == 401 and "Sign in first" in refused.text
        assert sign_in(http, "vi", ACCOUNTS["vi"][1]).status_code == 302
        download = http.get("/export/csv", params={"num_steps": "100"})
        assert download.status_code == 200, download.text
        assert download.text.startswith("t,")


def test_sign_in_rate_limit_holds_across_workers(front: NginxFront,
                                                 worker_clients: dict[int, Any]) -> None:
    """Five wrong passwords for one account, spread over both workers (each attempt from
    its own address, so only the per-account count trips): the next attempt answers 429
    on either worker and through nginx, even with the right password."""
    pinned = list(worker_clients.values())
    for i in range(5):
        http = pinned[i % WORKERS]
        http.headers["X-Forwarded-For"] = f"10.77.0.{i}"
        assert sign_in(http, "ada", f"wrong-password-{i:04d}").status_code == 401
    right = ACCOUNTS["ada"][1]
    for http in pinned:
        http.headers["X-Forwarded-For"] = "10.77.1.1"
        assert sign_in(http, "ada", right).status_code == 429
    with client(front.url) as http:
        refused = sign_in(http, "ada", right)
        assert refused.status_code == 429, refused.text
        assert 1 <= int(refused.headers["Retry-After"]) <= 60
