"""The Live page in a real browser: a live run produced by the server, followed by two
browser contexts that see the same values (the batch run's, exactly), a late joiner that
gets the window at once, and the pause control; a live run fed from Mosquitto, whose
messages both viewers see."""

from __future__ import annotations

import json
import uuid
from collections.abc import Callable, Iterator
from typing import Any

import numpy as np
import pytest
from playwright.sync_api import Browser, BrowserContext, Page, expect
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


@pytest.fixture
def follow(browser: Browser, base_url: str) -> Iterator[Callable[[str], Page]]:
    """``follow(name)``: a new browser context on /live following run ``name``. Every
    context is closed after the test, so no session outlives it (the sessions test
    counts them)."""
    contexts: list[BrowserContext] = []

    def open_page(name: str) -> Page:
        context = browser.new_context(base_url=base_url,
                                      viewport={"width": 1400, "height": 1000})
        contexts.append(context)
        return _follow(context.new_page(), name)
    yield open_page
    for context in contexts:
        context.close()


def _follow(page: Page, name: str) -> Page:
    page.goto("/live")
    wait_for_page(page)
    page.locator(".nx-live-picker select").select_option(name)
    expect(page.locator(f".nx-live-status-line:has-text('{name}')")).to_be_visible(
        timeout=TIMEOUT)
    return page


def _step(page: Page) -> int:
    return int(page.locator(".nx-live-status-line").get_attribute("data-step") or 0)


def _curve(page: Page, column: str = "N") -> dict[float, float]:
    """t -> value of one live curve, both columns read at the same moment."""
    ts, values = page.evaluate(
        "([name, col]) => { const m = Bokeh.documents[0].get_model_by_name(name);"
        " const d = m.data instanceof Map ? Object.fromEntries(m.data) : m.data;"
        " return [Array.from(d.t), Array.from(d[col])]; }",
        [f"nx-live-source-{column}", column])
    return dict(zip(ts, values, strict=True))


def test_two_viewers_see_the_same_stream(follow: Callable[[str], Page],
                                        server_store: Any) -> None:
    name = f"ui-live-{uuid.uuid4().hex[:8]}"
    sc = _scenario()
    live = LiveStore(server_store)
    live.create(name, sc.to_dict(), [], steps_per_second=100, max_steps=50_000,
                checkpoint_every=50, state={})
    try:
        first = follow(name)
        first.wait_for_function(
            "() => { const m = Bokeh.documents[0].get_model_by_name('nx-live-source-N');"
            " return m && (m.data instanceof Map ? m.data.get('N') : m.data.N).length > 200 }",
            timeout=TIMEOUT)
        second = follow(name)  # a late joiner: the window at once
        assert len(_curve(second)) >= 200
        first.wait_for_timeout(1500)  # both keep receiving
        a, b = _curve(first), _curve(second)
        shared = sorted(set(a) & set(b))
        assert len(shared) >= 200
        assert [a[t] for t in shared] == [b[t] for t in shared]  # the same values
        batch = simulate(sc).frame.set_index("t")["N"]
        assert np.array_equal([a[t] for t in shared], batch.loc[shared].to_numpy())
        for curve in (a, b):  # every step, none skipped where the window met the stream
            assert np.allclose(np.diff(sorted(curve)), sc.params.delta_t)
        # Both viewers stay: a click is handled at once while two sessions follow the
        # run (it once waited seconds, or for ever, behind the sessions' busy indicators).
        first.locator(".nx-live-pause button").click()
        for page in (first, second):
            expect(page.locator(".nx-live-status-line")).to_have_attribute(
                "data-state", "paused", timeout=10_000)
        held = _step(first)
        first.wait_for_timeout(1500)
        assert _step(first) <= held + 100  # at most the last second's steps, then no more
        first.locator(".nx-live-save button").click()  # the history as an ordinary run
        link = first.locator(".nx-live-saved a")
        expect(link).to_contain_text(f"live {name}", timeout=TIMEOUT)
        stored = server_store.runs(f"live {name}")
        assert len(stored) == 1 and stored[0].summary["final_N"] > 0
    finally:
        info = live.get(name)
        if info.status in ("running", "paused"):
            live.control(name, "stop")


def test_a_run_fed_from_mosquitto_reaches_every_viewer(follow: Callable[[str], Page],
                                                       server_store: Any,
                                                       mqtt_port: int) -> None:
    import paho.mqtt.client as mqtt

    from nexus_panel.feeds.store import FeedStore

    topic = f"nexus/ui/{uuid.uuid4().hex}"
    feeds = FeedStore(server_store)
    feeds.allow(f"127.0.0.1:{mqtt_port}")
    feed = f"ui-mqtt-{uuid.uuid4().hex[:8]}"
    feeds.add(feed, {"source": "mqtt", "broker_url": f"mqtt://127.0.0.1:{mqtt_port}",
                     "topic": topic, "time_column": "time", "value_columns": ["C"]})
    sc = Scenario.from_dict({"name": "ui mqtt", "params": {"num_steps": 50_000},
                             "inputs": {"C_cons": {"kind": "feed", "feed": feed,
                                                   "column": "C"}}})
    name = f"ui-mqtt-{uuid.uuid4().hex[:8]}"
    live = LiveStore(server_store)
    live.create(name, sc.to_dict(), [], steps_per_second=50, max_steps=50_000,
                checkpoint_every=25, state={})
    publisher = mqtt.Client(callback_api_version=mqtt.CallbackAPIVersion.VERSION2)
    publisher.connect("127.0.0.1", mqtt_port)
    publisher.loop_start()
    try:
        first = follow(name)
        second = follow(name)
        burn = "nx-live-source-B"
        first.wait_for_function(
            f"() => {{ const m = Bokeh.documents[0].get_model_by_name('{burn}');"
            " return m && (m.data instanceof Map ? m.data.get('B') : m.data.B).length > 20 }",
            timeout=TIMEOUT)
        before = source_column(first, burn, "B")[-1]
        publisher.publish(topic, json.dumps({"time": 1, "C": 500}), qos=1).wait_for_publish(5)
        for page in (first, second):  # the message moves the burn on both pages
            page.wait_for_function(
                f"() => {{ const m = Bokeh.documents[0].get_model_by_name('{burn}');"
                " const b = m.data instanceof Map ? m.data.get('B') : m.data.B;"
                f" return b[b.length - 1] > {before} + 1 }}", timeout=TIMEOUT)
        a, b = _curve(first, "B"), _curve(second, "B")
        shared = sorted(set(a) & set(b))
        assert len(shared) > 20 and [a[t] for t in shared] == [b[t] for t in shared]
    finally:
        publisher.loop_stop()
        live.control(name, "stop")
