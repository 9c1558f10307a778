"""The Live page in a real browser: a live run produced by the server, followed by two
browser contexts that see the same values (the batch run's, exactly), a late joiner that
gets the window at once, and the pause control."""

from __future__ import annotations

import uuid
from typing import Any

import numpy as np
from playwright.sync_api import Browser, Page, expect
from pw_helpers import source_column, wait_for_page

from nexus_panel.engine import simulate
from nexus_panel.models import Scenario, Signal
from nexus_panel.storage.live_runs import LiveStore

TIMEOUT = 60_000


def _scenario() -> Scenario:
    sc = Scenario(name="ui live")
    sc.params.num_steps = 50_000
    sc.inputs.C_cons = Signal(kind="random_walk", initial=60, volatility=2.0, seed=11)
    return sc


def _follow(browser: Browser, base_url: str, name: str) -> Page:
    page = browser.new_context(base_url=base_url, viewport={"width": 1400, "height": 1000}
                               ).new_page()
    page.goto("/live")
    wait_for_page(page)
    page.locator(".nx-live-picker select").select_option(name)
    expect(page.locator(f".nx-live-status-line:has-text('{name}')")).to_be_visible(
        timeout=TIMEOUT)
    return page


def _step(page: Page) -> int:
    return int(page.locator(".nx-live-status-line").get_attribute("data-step") or 0)


def _curve(page: Page) -> dict[float, float]:
    ts = source_column(page, "nx-live-source-N", "t")
    ns = source_column(page, "nx-live-source-N", "N")
    return dict(zip(ts, ns, strict=True))


def test_two_viewers_see_the_same_stream(browser: Browser, base_url: str,
                                        server_store: Any) -> None:
    name = f"ui-live-{uuid.uuid4().hex[:8]}"
    sc = _scenario()
    live = LiveStore(server_store)
    live.create(name, sc.to_dict(), [], steps_per_second=100, max_steps=50_000,
                checkpoint_every=50, state={})
    try:
        first = _follow(browser, base_url, name)
        first.wait_for_function(
            "() => { const m = Bokeh.documents[0].get_model_by_name('nx-live-source-N');"
            " return m && (m.data instanceof Map ? m.data.get('N') : m.data.N).length > 200 }",
            timeout=TIMEOUT)
        second = _follow(browser, base_url, name)  # a late joiner: the window at once
        assert len(_curve(second)) >= 200
        first.wait_for_timeout(1500)  # both keep receiving
        a, b = _curve(first), _curve(second)
        shared = sorted(set(a) & set(b))
        assert len(shared) >= 200
        assert [a[t] for t in shared] == [b[t] for t in shared]  # the same values
        batch = simulate(sc).frame.set_index("t")["N"]
        assert np.array_equal([a[t] for t in shared], batch.loc[shared].to_numpy())
        first.locator(".nx-live-pause button").click()
        expect(second.locator(".nx-live-status-line")).to_have_attribute(
            "data-state", "paused", timeout=TIMEOUT)
        held = _step(second)
        second.wait_for_timeout(1500)
        assert _step(second) <= held + 100  # at most the last second's steps, then no more
    finally:
        info = live.get(name)
        if info.status in ("running", "paused"):
            live.control(name, "stop")
