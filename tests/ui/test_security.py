"""Hostile names on every page, in a real browser: nothing runs, the name shows literally,
and the browser reports no Content-Security-Policy violation.

The hostile scenario reaches each page twice: inside a share link (``?s=``) and from the
database (``?scenario=NAME``, plus its description, revision message, a saved analysis
and the Scenarios/Compare pages that list it). The name carries an ``onerror`` handler,
a script tag, Markdown link/emphasis syntax and a bare URL; a page that renders any of it
as HTML or Markdown either runs the script (``window.__nx_xss`` is set, or a dialog
opens) or loses characters of the name.
"""

from __future__ import annotations

import urllib.error
import urllib.request
import uuid
from typing import Any

import pytest
from playwright.sync_api import Page, expect
from pw_helpers import ConsoleErrors, wait_for_page

from nexus_panel import Scenario
from nexus_panel.pages.links import encode_scenario
from nexus_panel.pages.registry import available_pages

TRAP = """
window.__nx_xss = [];
window.__nx_csp = [];
document.addEventListener("securitypolicyviolation",
  (e) => window.__nx_csp.push(e.violatedDirective + " " + e.blockedURI));
"""


def hostile_name() -> str:
    tag = uuid.uuid4().hex[:6]
    return (f'x{tag} <img src=x onerror="window.__nx_xss.push(1)"> '
            f"<script>window.__nx_xss.push(2)</script> **b** "
            f"[l](javascript:window.__nx_xss.push(3)) http://evil.example/{tag}")


def guarded(page: Page) -> list[str]:
    """Install the traps before any page script; collect dialogs (alert/confirm)."""
    dialogs: list[str] = []
    page.add_init_script(TRAP)
    page.on("dialog", lambda d: (dialogs.append(d.message), d.dismiss()))
    return dialogs


def assert_nothing_ran(page: Page, dialogs: list[str]) -> None:
    page.wait_for_timeout(300)  # an onerror handler fires after the image fails to load
    assert page.evaluate("window.__nx_xss") == [], "injected script ran"
    assert dialogs == []
    assert page.evaluate("window.__nx_csp") == [], "the page broke the security policy"


@pytest.fixture(scope="module")
def stored_hostile(server_store: Any) -> dict[str, Any]:
    from nexus_panel.analysis import MonteCarloSpec, run_monte_carlo

    name = hostile_name()
    scenario = Scenario(name=name, description=f"about {name}")
    scenario.params.num_steps = 200
    server_store.save(scenario, message=f"first {name}", author="mallory <b>x</b>")
    scenario.params.alpha = 1.4
    server_store.save(scenario, message=f"second {name}")
    spec = MonteCarloSpec.from_dict({
        "scenario": scenario.to_dict(), "n_runs": 8, "master_seed": 1,
        "parameters": [{"parameter": "alpha", "distribution": "uniform", "low": 1,
                        "high": 2}]})
    record = server_store.save_analysis(scenario, "montecarlo", run_monte_carlo(spec))
    return {"name": name, "analysis": record.id}


@pytest.mark.parametrize("slug", [p.slug for p in available_pages()])
def test_every_page_shows_a_hostile_name_from_a_link_inertly(page: Page, slug: str) -> None:
    dialogs = guarded(page)
    errors = ConsoleErrors(page)
    name = hostile_name()
    page.goto(f"/{slug}?s={encode_scenario(Scenario(name=name))}")
    wait_for_page(page)
    assert_nothing_ran(page, dialogs)
    if slug == "transfer":  # the page that shows the current scenario's name
        expect(page.locator(".nx-export-summary")).to_contain_text(name)
    errors.assert_none()


@pytest.mark.parametrize("slug", [p.slug for p in available_pages()])
def test_every_page_opens_a_hostile_stored_scenario_inertly(
        page: Page, slug: str, stored_hostile: dict[str, Any]) -> None:
    dialogs = guarded(page)
    from urllib.parse import quote

    page.goto(f"/{slug}?scenario={quote(stored_hostile['name'])}")
    wait_for_page(page)
    expect(page.locator(".nx-link-alert")).to_be_hidden()
    assert_nothing_ran(page, dialogs)


def test_scenarios_and_compare_list_the_hostile_name_literally(
        page: Page, stored_hostile: dict[str, Any]) -> None:
    dialogs = guarded(page)
    name = stored_hostile["name"]
    page.goto("/scenarios")
    wait_for_page(page)
    row = page.locator(".nx-scenario-list .tabulator-row", has_text=name[:7])
    expect(row).to_have_count(1)
    expect(row).to_contain_text(name)  # the list cell, as plain text
    row.click()
    expect(page.locator(".nx-revisions")).to_contain_text(f"second {name}")
    expect(page.locator(".nx-revisions")).to_contain_text("mallory <b>x</b>")
    expect(page.get_by_text(f"History of '{name}'")).to_have_count(1)
    expect(page.locator(".nx-revision-diff")).to_contain_text("alpha: 1 → 1.4")
    page.locator(".nx-delete button").click()
    expect(page.locator(".nx-delete-confirmation")).to_contain_text(f"Delete '{name}'?")
    page.get_by_role("button", name="Cancel").click()
    assert_nothing_ran(page, dialogs)

    page.goto("/compare")
    wait_for_page(page)
    page.locator(".nx-compare-search input").first.fill(name[:7])
    page.locator(".nx-compare-search input").first.press("Enter")
    option = page.locator(".nx-compare-choices option", has_text=name[:7])
    expect(option.first).to_be_attached()
    assert name in option.all_text_contents()  # the option's label, as plain text
    page.locator(".nx-compare-choices select").select_option(label=[name])
    expect(page.locator(".nx-compare-hint")).to_contain_text("(1 picked)")
    assert_nothing_ran(page, dialogs)

    page.goto(f"/montecarlo?analysis={stored_hostile['analysis']}")
    wait_for_page(page)
    expect(page.locator(".nx-analysis-status")).to_contain_text(name[:7])
    assert_nothing_ran(page, dialogs)


def response_headers(url: str) -> Any:
    try:
        with urllib.request.urlopen(url, timeout=60) as response:
            return response.headers
    except urllib.error.HTTPError as exc:  # a bad link: the headers are on errors too
        with exc:
            return exc.headers


def test_every_response_carries_the_security_headers(server: Any) -> None:
    for path in ("/", "/scenarios", "/export/csv?num_steps=100", "/liveness",
                 "/export/csv?alpha=99"):
        headers = response_headers(server.url + path)
        csp = headers["Content-Security-Policy"]
        assert "frame-ancestors 'self'" in csp and "object-src 'none'" in csp, path
        assert headers["X-Content-Type-Options"] == "nosniff", path
        assert headers["X-Frame-Options"] == "SAMEORIGIN", path
        assert headers["Referrer-Policy"] == "same-origin", path
        assert "Server" not in headers, path
