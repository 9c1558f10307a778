"""What a closed page leaves behind, and whether one session's long run holds up another.

Sessions: 33 pages (every page, three times) are opened in fresh browser contexts and
closed; after the server's session expiry (one second here) every ScenarioSession object
must have been collected (``/status?gc=1`` counts them weakly) and the process's resident
memory must come back to within MEMORY_MARGIN of where it was after a first visit of each
page. Before the fix, a HoloViews option hook held each closed session forever (60
sessions kept +365 MB).
"""

from __future__ import annotations

import json
import time
import urllib.request
from typing import Any

from playwright.sync_api import Browser, Page, expect
from pw_helpers import source_column, wait_for_page
from test_simulate import nudge_alpha, scenario_in

from nexus_panel.pages.registry import available_pages

MEMORY_MARGIN = 60 * 2**20
"""Allowed growth after 33 closed sessions: allocator fragmentation and caches that
fill once (the disk memo's SQLite pages, numba dispatchers), not per-session state."""


def status(server: Any) -> dict[str, Any]:
    with urllib.request.urlopen(f"{server.url}/status?gc=1", timeout=30) as response:
        return json.loads(response.read())


def settled(server: Any, sessions: int, timeout: float = 30.0) -> dict[str, Any]:
    """/status once the live sessions have dropped to ``sessions`` (or the timeout)."""
    deadline = time.monotonic() + timeout
    while True:
        now = status(server)
        if now["sessions"] <= sessions or time.monotonic() > deadline:
            return now
        time.sleep(0.5)


def visit(browser: Browser, base_url: str, slug: str, **context_args: Any) -> None:
    context = browser.new_context(base_url=base_url, **context_args)
    try:
        page = context.new_page()
        page.goto(f"/{slug}")
        wait_for_page(page)
    finally:
        context.close()


def test_closed_sessions_are_freed(browser: Browser, base_url: str, server: Any,
                                   browser_context_args: dict[str, Any]) -> None:
    slugs = [p.slug for p in available_pages()]
    args = {k: v for k, v in browser_context_args.items() if k != "base_url"}
    for slug in slugs:  # first visits fill the caches every page needs once
        visit(browser, base_url, slug, **args)
    before = settled(server, 0)
    assert before["sessions"] == 0, f"sessions still alive after closing: {before}"
    for _ in range(3):
        for slug in slugs:
            visit(browser, base_url, slug, **args)
    after = settled(server, 0)
    assert after["sessions"] == 0, f"{after['sessions']} closed sessions were not freed"
    assert after["documents"] == 0
    grown = after["rss_bytes"] - before["rss_bytes"]
    assert grown < MEMORY_MARGIN, f"memory grew {grown / 2**20:.0f} MiB over 33 sessions"


def test_a_long_run_in_one_session_does_not_stall_another(
        page: Page, browser: Browser, base_url: str,
        browser_context_args: dict[str, Any]) -> None:
    """A million-step run is computed off the event loop: while it runs, a second
    session's slider redraws its plot, and the first session says that it is computing."""
    args = {k: v for k, v in browser_context_args.items() if k != "base_url"}
    other_context = browser.new_context(base_url=base_url, **args)
    try:
        page.goto("/simulate?num_steps=200")
        wait_for_page(page)
        other = other_context.new_page()
        other.goto("/simulate?num_steps=1000000&alpha=1.3")
        other.locator("a.nx-nav-link").first.wait_for(state="attached", timeout=30_000)
        expect(other.locator(".nx-busy")).to_be_visible()
        for presses in (1, 2, 3):
            before = source_column(page, "nx-source-N", "N")[-1]
            nudge_alpha(page, presses=1)
            page.wait_for_function(
                "(old) => { const m = Bokeh.documents[0].get_model_by_name('nx-source-N');"
                " const d = m.data instanceof Map ? Object.fromEntries(m.data) : m.data;"
                " return d.N[d.N.length - 1] !== old; }", arg=before, timeout=10_000)
            assert scenario_in(page.url).params.alpha == round(1.0 + 0.1 * presses, 10)
        # the long run finishes and is shown in its own session
        expect(other.locator(".nx-busy")).to_be_hidden(timeout=120_000)
        assert scenario_in(other.url).params.num_steps == 1_000_000
        assert other.locator("[data-testid=kpi-final-N]").inner_text() != ""
    finally:
        other_context.close()
