"""What a closed page leaves behind, and whether one session's long run holds up another.

Sessions: every page is opened three times in fresh browser contexts and closed; after
the server's session expiry (one second here) every ScenarioSession object of those pages
must have been collected (``/status?gc=1`` counts them weakly) and the process's resident
memory must come back to within MEMORY_MARGIN of where it was after a first visit of each
page. Before the fixes, a HoloViews option hook and Panel's link registry held each
closed session forever (60 sessions kept +365 MB).
"""

from __future__ import annotations

import json
import threading
import time
import urllib.request
from typing import Any

from playwright.sync_api import Browser, Page, expect
from pw_helpers import source_column, wait_for_page
from test_simulate import nudge_alpha, scenario_in

from nexus_panel import Scenario, Signal
from nexus_panel.pages.links import scenario_query
from nexus_panel.pages.registry import available_pages

MEMORY_MARGIN = 60 * 2**20
"""Allowed growth after 33 closed sessions: allocator fragmentation and caches that
fill once (the disk memo's SQLite pages, numba dispatchers), not per-session state."""


def status(server: Any) -> dict[str, Any]:
    with urllib.request.urlopen(f"{server.url}/status?gc=1", timeout=30) as response:
        return json.loads(response.read())


def settled(server: Any, sessions: int, timeout: float = 30.0) -> dict[str, Any]:
    """/status once the live sessions have dropped to ``sessions`` and Bokeh holds no
    document (or the timeout). Both: a page whose view does not keep its ScenarioSession
    (the Users page) lets the session go before Bokeh drops the closed document."""
    deadline = time.monotonic() + timeout
    while True:
        now = status(server)
        if (now["sessions"] <= sessions and now["documents"] == 0) or \
                time.monotonic() > deadline:
            return now
        time.sleep(0.5)


def quiet_count(server: Any, seconds: float = 4.0) -> int:
    """Live sessions once pages other tests closed have expired: the least seen."""
    deadline = time.monotonic() + seconds
    least = status(server)["sessions"]
    while time.monotonic() < deadline:
        time.sleep(0.5)
        least = min(least, status(server)["sessions"])
    return least


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
    # The server's own warm-up may keep one session (libraries' import-time state);
    # what matters is that closing pages brings the count back to it, every time.
    baseline = quiet_count(server)
    for slug in slugs:  # first visits fill the caches every page needs once
        visit(browser, base_url, slug, **args)
    before = settled(server, baseline)
    assert before["sessions"] == baseline, f"sessions still alive after closing: {before}"
    for _ in range(3):
        for slug in slugs:
            visit(browser, base_url, slug, **args)
    after = settled(server, baseline)
    assert after["sessions"] == baseline, (
        f"{after['sessions'] - baseline} of {3 * len(slugs)} closed sessions were not freed")
    assert after["documents"] == 0
    grown = after["rss_bytes"] - before["rss_bytes"]
    assert grown < MEMORY_MARGIN, f"memory grew {grown / 2**20:.0f} MiB over 33 sessions"


def test_a_long_run_in_one_session_does_not_stall_another(
        page: Page, browser: Browser, base_url: str, server: Any,
        browser_context_args: dict[str, Any]) -> None:
    """Long runs are computed off the event loop, in their own lane: while two
    million-step downloads occupy the large lane and a million-step page waits behind
    them (the server's /status counts them), a second session's slider still redraws that
    session's plot at once; the long page says it is computing, and its run then arrives."""
    args = {k: v for k, v in browser_context_args.items() if k != "base_url"}
    page.goto("/simulate?num_steps=200")
    wait_for_page(page)
    seed = int(time.time())
    downloads = [threading.Thread(target=_download, args=(server, long_link(seed + i)))
                 for i in range(2)]
    for thread in downloads:
        thread.start()
    other_context = browser.new_context(base_url=base_url, **args)
    try:
        assert wait_for_large_job(server), "the downloads never reached the large lane"
        other = other_context.new_page()
        other.goto(long_link(seed + 2), wait_until="commit")
        before = source_column(page, "nx-source-N", "N")[-1]
        nudge_alpha(page, presses=1)
        page.wait_for_function(
            "(old) => { const m = Bokeh.documents[0].get_model_by_name('nx-source-N');"
            " const d = m.data instanceof Map ? Object.fromEntries(m.data) : m.data;"
            " return d.N[d.N.length - 1] !== old; }", arg=before, timeout=10_000)
        assert status(server)["large_jobs"] >= 1  # redrawn while the long work went on
        wait_for_page(other)
        expect(other.locator(".nx-busy")).to_be_hidden(timeout=180_000)
        assert scenario_in(other.url).params.num_steps == 1_000_000
        expect(other.locator("[data-testid=kpi-final-N]")).not_to_be_empty()
    finally:
        other_context.close()
        for thread in downloads:
            thread.join(timeout=300)


def _download(server: Any, link: str) -> None:
    """Fetch a long run as JSON through the export route (many seconds of streaming)."""
    query = link.split("?", 1)[1]
    with urllib.request.urlopen(f"{server.url}/export/json?{query}", timeout=300) as response:
        while response.read(1 << 20):
            pass


def long_link(seed: int) -> str:
    """A million steps with five random walks."""
    scenario = Scenario()
    scenario.params.num_steps = 1_000_000
    for name in ("H", "M", "D", "C_cons", "C_disp"):
        setattr(scenario.inputs, name, Signal(kind="random_walk", seed=seed, volatility=1))
    return "/simulate" + scenario_query(scenario)


def wait_for_large_job(server: Any, timeout: float = 30) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if status(server)["large_jobs"] >= 1:
            return True
        time.sleep(0.05)
    return False
