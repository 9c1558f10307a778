"""The browser benchmark's probes still find what they time (so the script cannot rot).

Runs each measurement once, briefly, against the session's server; the real numbers come
from ``python -m nexus_panel.benchmarks.ui`` on a quiet machine.
"""

from __future__ import annotations

from typing import Any

from playwright.sync_api import Browser

from nexus_panel.benchmarks import live_browser, ui
from nexus_panel.models import EngineParams, Scenario
from nexus_panel.pages.links import scenario_query


def test_benchmark_measurements_run(browser: Browser, server: Any) -> None:
    loads = ui.measure_loads(browser, server.url + "/", visits=1)
    first_byte, dom_loaded, ready = loads[0]
    assert 0 < first_byte <= dom_loaded <= ready < 30
    token = scenario_query(Scenario(params=EngineParams(num_steps=ui.BENCH_STEPS)))
    to_n, to_all = ui.measure_slider(browser, server.url + "/" + token, changes=2)
    assert len(to_n) == 2 and all(0 < n <= a < 15_000 for n, a in zip(to_n, to_all,
                                                                       strict=True))
    one, many = ui.measure_memory(browser, server, server.url + "/", sessions=2,
                                  settle_s=0.2)
    assert 50 < one <= many + 5  # MB; a second session does not free memory


def test_live_browser_benchmark_measures_every_figure(browser: Browser, server: Any,
                                                      mqtt_port: int) -> None:
    """Two pages instead of ten, two messages each: every probe finds its target."""
    figures = {f.name: f for f in live_browser.measure(browser, server, mqtt_port=mqtt_port,
                                                       samples=2, seconds=1.0, viewers=2)}
    assert set(figures) == set(live_browser.NAMES)
    assert 0 < figures["live_browser.mqtt_to_drawn"].seconds < 5
    assert 0 < figures["live_browser.mqtt_to_drawn_10_browsers"].seconds < 5
    assert 0.9 < figures["live_browser.rate_with_10_browsers"].seconds < 3  # ~1 s/1,000
    assert 0 < figures["live_browser.pause_with_10_browsers"].seconds < 30
