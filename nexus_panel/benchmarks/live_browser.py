"""Live-run figures measured in real browsers: what a person watching the Live page sees.

Targets (issue 13): 1,000 steps per second sustained with 10 viewers; from an MQTT message
to the point drawn in the browser at most 100 ms (median).

Set-up: a real ``nexus-panel serve`` (free port, temporary SQLite and disk cache, its own
supervisor producing the run), the real Mosquitto on 127.0.0.1:1883, and Debian's
chromium driven by Playwright. One live run at 1,000 steps/s whose consumption input
``C_cons`` comes from an MQTT topic. Figures:

* ``live_browser.mqtt_to_drawn`` -- one viewer: from ``publish()`` of a new consumption
  value to the first animation frame in which the page's burn curve shows it (the burn
  jumps between two levels far apart), median of several messages;
* ``live_browser.mqtt_to_drawn_10_browsers`` -- the same with 10 pages following the run,
  the median over every page and message (no target: see below);
* ``live_browser.rate_with_10_browsers`` -- seconds per 1,000 steps the server produced
  while 10 pages followed (paced at 1,000/s it cannot beat 1 s); the note gives how far
  the pages' last drawn step trailed the producer at the end, and the CPU the server and
  the browsers used meanwhile;
* ``live_browser.pause_with_10_browsers`` -- a click on Pause to the clicking page
  showing "paused", with 10 pages following (Playwright's click, round trips included).

Timestamps: the publisher's ``time.time()`` and the page's ``performance.timeOrigin +
performance.now()`` read the same system clock (one machine). The browsers share the 2
cores with the server here, which a deployment does not do: ten pages redrawing their plots
take about 1.5 of the 2 cores, so the 10-page latency and the click are upper bounds set
mostly by the browsers (the server answers a click within about 10 ms of receiving it).

Run alone: ``nexus-panel bench --only live_browser.`` (about a minute; ``--quick`` takes
fewer samples). Without chromium (``NEXUS_CHROMIUM``) it says so and measures nothing.
"""

from __future__ import annotations

import json
import statistics
import sys
import tempfile
import time
import uuid
from pathlib import Path
from typing import Any

from nexus_panel.benchmarks import Figure, quick, selected
from nexus_panel.benchmarks.ui_server import CHROMIUM, CHROMIUM_ARGS, Server
from nexus_panel.models import Scenario

RATE = 1000.0
VIEWERS = 10
LATENCY_TARGET_S = 0.100
HIGH, LOW = 400.0, 20.0
"""Consumption levels the messages alternate between (the burn follows at once)."""
BURN_SOURCE = "nx-live-source-B"
NAMES = ("live_browser.mqtt_to_drawn", "live_browser.mqtt_to_drawn_10_browsers",
         "live_browser.rate_with_10_browsers", "live_browser.pause_with_10_browsers")

# Arms a page: the first animation frame in which the burn's newest value is on the far
# side of `threshold` sets window.__nxDrawn (epoch ms, the same clock as time.time()).
_ARM_JS = """
([name, threshold, above]) => {
  window.__nxDrawn = null;
  const src = Bokeh.documents[0].get_model_by_name(name);
  const newest = () => { const d = src.data instanceof Map ? src.data.get("B") : src.data.B;
                         return d[d.length - 1]; };
  const frame = () => {
    const b = newest();
    if (above ? b > threshold : b < threshold)
      window.__nxDrawn = performance.timeOrigin + performance.now();
    else requestAnimationFrame(frame);
  };
  requestAnimationFrame(frame);
}
"""
_NEWEST_JS = """
([name, column]) => { const m = Bokeh.documents[0].get_model_by_name(name);
  const d = m.data instanceof Map ? m.data.get(column) : m.data[column];
  return d.length ? d[d.length - 1] : null; }
"""


def figures() -> list[Figure]:
    if not any(selected(name) for name in NAMES):
        return []
    if not Path(CHROMIUM).exists():
        print(f"live_browser: skipped, no chromium at {CHROMIUM} (set NEXUS_CHROMIUM)",
              file=sys.stderr)
        return []
    from playwright.sync_api import sync_playwright

    with tempfile.TemporaryDirectory(prefix="nexus-bench-") as folder:
        server = Server(Path(folder))
        try:
            server.wait_ready()
            with sync_playwright() as playwright:
                browser = playwright.chromium.launch(executable_path=CHROMIUM,
                                                     args=CHROMIUM_ARGS)
                try:
                    return measure(browser, server, mqtt_port=1883,
                                   samples=5 if quick() else 15,
                                   seconds=3.0 if quick() else 10.0)
                finally:
                    browser.close()
        finally:
            server.stop()


def measure(browser: Any, server: Server, *, mqtt_port: int, samples: int,
            seconds: float, viewers: int = VIEWERS) -> list[Figure]:
    """Every figure, on ``server`` (whose database this opens) with ``viewers`` pages.
    Also used, briefly, by the browser tests so the probes cannot rot."""
    import paho.mqtt.client as mqtt

    from nexus_panel.storage import ScenarioStore
    from nexus_panel.storage.live_runs import LiveStore

    store = ScenarioStore(f"sqlite:///{server.workdir / 'data' / 'nexus.db'}")
    live = LiveStore(store)
    topic = f"nexus/bench/{uuid.uuid4().hex}"
    name = _start_run(live, topic, mqtt_port)
    publisher = mqtt.Client(callback_api_version=mqtt.CallbackAPIVersion.VERSION2)
    publisher.connect("127.0.0.1", mqtt_port)
    publisher.loop_start()
    contexts: list[Any] = []
    try:
        pages = [_follow(browser, server.url, name, contexts)]
        threshold = _threshold(pages[0], publisher, topic)
        one = _latencies(pages, publisher, topic, threshold, samples)
        for _ in range(viewers - 1):
            pages.append(_follow(browser, server.url, name, contexts))
        pages[0].wait_for_timeout(2000)  # the late joiners settle
        many = _latencies(pages, publisher, topic, threshold, samples)
        per_1000, lag, split = _rate(live, name, pages, seconds, server)
        pause = _pause(pages[0])
    finally:
        publisher.loop_stop()
        for context in contexts:
            context.close()
        live.control(name, "stop")
        store.close()
    n = len(pages)
    return [
        Figure("live_browser.mqtt_to_drawn", statistics.median(one),
               target=LATENCY_TARGET_S,
               note=f"median of {len(one)} messages, 1 page, run at {RATE:g} steps/s: "
                    "publish -> producer -> hub -> page drain -> websocket -> drawn frame"),
        Figure("live_browser.mqtt_to_drawn_10_browsers", statistics.median(many),
               note=f"median over {n} pages x {len(many) // n} messages (slowest page's "
                    f"median {_slowest(many, n) * 1000:.0f} ms); the {n} chromium pages "
                    "share this machine's cores with the server (see the rate's note)"),
        Figure("live_browser.rate_with_10_browsers", per_1000, target=1.02,
               note=f"seconds per 1,000 steps over {seconds:g} s with {n} pages following; "
                    f"pages' newest drawn step trailed the producer by at most "
                    f"{lag:,} steps ({lag / RATE:.2f} s) at the end; {split}"),
        Figure("live_browser.pause_with_10_browsers", pause,
               note=f"click on Pause to 'paused' on the clicking page, {n} pages "
                    "following (Playwright's click and the page's own rendering included)"),
    ]


def _start_run(live: Any, topic: str, mqtt_port: int) -> str:
    from nexus_panel.feeds.store import FeedStore

    feeds = FeedStore(live.store)
    feeds.allow(f"127.0.0.1:{mqtt_port}")
    feed = f"bench-{uuid.uuid4().hex[:8]}"
    feeds.add(feed, {"source": "mqtt", "broker_url": f"mqtt://127.0.0.1:{mqtt_port}",
                     "topic": topic, "time_column": "time", "value_columns": ["C"]})
    sc = Scenario.from_dict({"name": "bench live browser",
                             "params": {"num_steps": 1_000_000},
                             "inputs": {"C_cons": {"kind": "feed", "feed": feed,
                                                   "column": "C"}}})
    name = f"bench-{uuid.uuid4().hex[:8]}"
    live.create(name, sc.to_dict(), [], steps_per_second=RATE, max_steps=1_000_000,
                checkpoint_every=100, state={})
    return name


def _follow(browser: Any, url: str, name: str, contexts: list[Any]) -> Any:
    context = browser.new_context(base_url=url, viewport={"width": 1400, "height": 1000})
    contexts.append(context)
    page = context.new_page()
    page.set_default_timeout(90_000)  # ten pages opening on a 2-core machine
    page.goto("/live")
    page.locator(".nx-live-picker select").select_option(name, timeout=60_000)
    page.wait_for_function(
        f"() => {{ const m = Bokeh.documents[0].get_model_by_name('{BURN_SOURCE}');"
        " return m && (m.data instanceof Map ? m.data.get('B') : m.data.B).length > 50 }",
        timeout=60_000)
    return page


def _publish(publisher: Any, topic: str, value: float) -> float:
    """Publish ``value`` as the newest consumption; returns the epoch second it was sent."""
    sent = time.time()
    publisher.publish(topic, json.dumps({"time": sent, "C": value}), qos=1)
    return sent


def _threshold(page: Any, publisher: Any, topic: str) -> float:
    """The burn halfway between its levels at HIGH and at LOW consumption. (Publishes
    until the burn moves first: a message sent before the producer has subscribed is not
    kept by the broker.)"""
    start = float(page.evaluate(_NEWEST_JS, [BURN_SOURCE, "B"]))
    deadline = time.monotonic() + 60
    while float(page.evaluate(_NEWEST_JS, [BURN_SOURCE, "B"])) == start:
        if time.monotonic() > deadline:
            raise RuntimeError("the burn never followed an MQTT message in 60 s")
        _publish(publisher, topic, HIGH)
        page.wait_for_timeout(500)
    levels = []
    for value in (HIGH, LOW):
        _publish(publisher, topic, value)
        page.wait_for_timeout(1000)
        levels.append(float(page.evaluate(_NEWEST_JS, [BURN_SOURCE, "B"])))
    high, low = levels
    if not high > low:
        raise RuntimeError(f"the burn did not follow the consumption ({high} vs {low})")
    return (high + low) / 2


def _latencies(pages: list[Any], publisher: Any, topic: str, threshold: float,
               samples: int) -> list[float]:
    """Seconds from publish to drawn, for every page and message (levels alternate)."""
    out: list[float] = []
    for k in range(samples):
        above = k % 2 == 0
        for page in pages:
            page.evaluate(_ARM_JS, [BURN_SOURCE, threshold, above])
        sent = _publish(publisher, topic, HIGH if above else LOW)
        for page in pages:
            page.wait_for_function("() => window.__nxDrawn !== null", timeout=10_000)
            out.append(page.evaluate("() => window.__nxDrawn") / 1000 - sent)
        pages[0].wait_for_timeout(150)
    return out


def _rate(live: Any, name: str, pages: list[Any], seconds: float,
          server: Server) -> tuple[float, int, str]:
    """Seconds per 1,000 steps produced over ``seconds``; how many steps behind the
    producer the furthest-behind page drew at the end; and where the CPU went."""
    first, began = _checkpoint(live, name)
    cpu = _cpu_seconds(server)
    time.sleep(seconds)
    last, ended = _checkpoint(live, name)
    elapsed = ended - began
    used = [after - before for before, after in zip(cpu, _cpu_seconds(server), strict=True)]
    drawn = [page.evaluate(_NEWEST_JS, [BURN_SOURCE, "t"]) for page in pages]
    delta_t = float(live.get(name).scenario.get("params", {}).get("delta_t", 1.0))
    newest = live.get(name).step
    lag = max([0] + [newest - round(t / delta_t) for t in drawn])
    split = (f"CPU meanwhile: server {used[0] / elapsed:.2f} cores, chromium "
             f"{used[1] / elapsed:.2f} cores")
    return 1000 * elapsed / max(last - first, 1), int(lag), split


def _checkpoint(live: Any, name: str) -> tuple[int, float]:
    """The stored step the moment a new checkpoint lands, and that moment: the stored step
    moves in checkpoints of 100 steps, so reading it at a checkpoint makes the count
    exact to the polling interval."""
    seen, deadline = live.get(name).step, time.monotonic() + 10
    while (step := live.get(name).step) == seen:
        if time.monotonic() > deadline:
            raise RuntimeError(f"live run {name!r} wrote no checkpoint in 10 s")
        time.sleep(0.002)
    return step, time.monotonic()


def _cpu_seconds(server: Server) -> tuple[float, float]:
    """CPU seconds used so far by the server's processes and by chromium's."""
    import psutil

    def used(process: psutil.Process) -> float:
        try:
            times = process.cpu_times()
        except psutil.NoSuchProcess:
            return 0.0
        return times.user + times.system

    ours = set(server.pids())
    chromium = [p for p in psutil.process_iter(["name"])
                if "chrom" in (p.info["name"] or "") and p.pid not in ours]
    return sum(used(psutil.Process(pid)) for pid in ours), sum(used(p) for p in chromium)


def _pause(page: Any) -> float:
    from playwright.sync_api import expect

    began = time.monotonic()
    page.locator(".nx-live-pause button").click()
    expect(page.locator(".nx-live-status-line")).to_have_attribute(
        "data-state", "paused", timeout=30_000)
    return time.monotonic() - began


def _slowest(latencies: list[float], pages: int) -> float:
    """The largest per-page median (samples are page-major within each message)."""
    return max(statistics.median(latencies[i::pages]) for i in range(pages))
