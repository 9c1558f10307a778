"""Browser benchmark: what a user waits for, measured in Debian's chromium.

Run it (about a minute and a half; it starts its own server on a free port, with a
temporary SQLite database and disk cache)::

    .venv/bin/python -m nexus_panel.benchmarks.ui            # table + JSON on stdout
    .venv/bin/python -m nexus_panel.benchmarks.ui --json-out ui-bench.json --changes 20

Figures (targets from issue 4):

* ``home_first_load_s`` — navigation start to the N(t) plot holding its data and the KPI
  cards shown, for the first visitor after the server starts (target ≤ 3 s), and the
  median of the next visits (``home_load_median_s``), each in a fresh browser context
  (empty cache). ``..._first_byte_s`` (server built the page) and ``..._dom_loaded_s``
  (scripts loaded) split the first load.
* ``slider_to_N_plot_ms`` — keydown on the alpha slider of a 5,000-step scenario to the
  first animation frame after the N(t) data source changed, median of ``--changes``
  changes (target ≤ 250 ms). ``slider_to_all_plots_ms`` is the same up to the frame after
  the LAST time-series source changed (every plot updated).
* ``rss_1_session_mb`` / ``rss_6_sessions_mb`` — resident memory of the server (all its
  processes) with 1 and with 6 home pages open; ``mb_per_extra_session`` is their
  difference over 5.

Timestamps are taken inside the page (``performance.now()``), so Playwright's own
round-trips are not counted. Each change waits until the previous one has fully landed.

This module defines no ``figures()``: it needs chromium and a server, so ``nexus-panel
bench`` (which must run anywhere, fast) does not discover it.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from nexus_panel.benchmarks.ui_server import CHROMIUM, CHROMIUM_ARGS, Server, rss_bytes
from nexus_panel.models import EngineParams, Scenario
from nexus_panel.pages.links import scenario_query

TARGETS = {"home_first_load_s": 3.0, "slider_to_N_plot_ms": 250.0}
VIEWPORT = {"width": 1400, "height": 1000}
BENCH_STEPS = 5_000

# Resolves (in page time, ms since navigation start) once the N(t) source holds data and
# the KPI cards are on screen, at the first animation frame after that.
_LOADED_JS = """
() => new Promise((resolve) => {
  const ready = () => {
    const doc = window.Bokeh && Bokeh.documents[0];
    const src = doc && doc.get_model_by_name("nx-source-N");
    const n = src && (src.data instanceof Map ? src.data.get("N") : src.data["N"]);
    const kpi = document.querySelector("body") && window.__nxKpi && window.__nxKpi();
    return n && n.length > 0 && kpi;
  };
  const tick = () => ready() ? requestAnimationFrame(() => resolve(performance.now()))
                             : setTimeout(tick, 10);
  tick();
})
"""

# A KPI probe that looks inside shadow roots (Panel renders components in shadow DOM).
_KPI_PROBE_JS = """
() => {
  window.__nxKpi = () => {
    const find = (root) => {
      const hit = root.querySelector("[data-testid=kpi-final-N]");
      if (hit && hit.textContent.trim()) return hit;
      for (const el of root.querySelectorAll("*")) {
        if (el.shadowRoot) { const found = find(el.shadowRoot); if (found) return found; }
      }
      return null;
    };
    return find(document) !== null;
  };
}
"""

# Records, for every ColumnDataSource, when its data changed and the next frame after.
_INSTRUMENT_JS = """
() => {
  const nx = window.__nx = {t0: 0, changes: []};
  document.addEventListener("keydown", () => { nx.t0 = performance.now(); nx.changes = []; },
                            true);
  for (const m of Bokeh.documents[0].all_models) {
    if (m.type !== "ColumnDataSource") continue;
    m.properties.data.change.connect(() => {
      const entry = {name: m.name, t: performance.now(), frame: null};
      nx.changes.push(entry);
      requestAnimationFrame(() => { entry.frame = performance.now(); });
    });
  }
}
"""

_READ_JS = """
() => ({t0: window.__nx.t0, changes: window.__nx.changes.map((c) => ({...c}))})
"""


def _wait_change_settled(page: Any, quiet_ms: float = 400, timeout_s: float = 15) -> dict:
    """Poll until the N source changed and no source changed for ``quiet_ms``."""
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        state = page.evaluate(_READ_JS)
        changes = state["changes"]
        n_done = any(c["name"] == "nx-source-N" and c["frame"] for c in changes)
        if n_done and all(c["frame"] for c in changes):
            now = page.evaluate("() => performance.now()")
            if now - max(c["t"] for c in changes) >= quiet_ms:
                return state
        page.wait_for_timeout(25)
    raise TimeoutError("the plots did not update within "
                       f"{timeout_s} s of a slider change")


_NAV_TIMING_JS = """
() => { const n = performance.getEntriesByType("navigation")[0];
        return [n.responseStart, n.domContentLoadedEventEnd]; }
"""


def measure_loads(browser: Any, url: str, visits: int) -> list[tuple[float, float, float]]:
    """Per visit (fresh context each): seconds from navigation start to the first byte of
    the page (the server builds the session's document before answering), to
    DOMContentLoaded (scripts loaded), and to plots + KPIs on screen."""
    out = []
    for _ in range(visits):
        context = browser.new_context(viewport=VIEWPORT)
        page = context.new_page()
        page.goto(url, wait_until="commit")
        page.evaluate(_KPI_PROBE_JS)
        ready = page.evaluate(_LOADED_JS)
        first_byte, dom_loaded = page.evaluate(_NAV_TIMING_JS)
        out.append((first_byte / 1000, dom_loaded / 1000, ready / 1000))
        context.close()
    return out


def measure_slider(browser: Any, url: str, changes: int) -> tuple[list[float], list[float]]:
    """(ms to the N plot, ms to every plot) for ``changes`` keyboard steps of alpha."""
    context = browser.new_context(viewport=VIEWPORT)
    page = context.new_page()
    page.goto(url, wait_until="commit")
    page.evaluate(_KPI_PROBE_JS)
    page.evaluate(_LOADED_JS)
    page.wait_for_timeout(1000)  # let the first render and URL sync finish
    page.evaluate(_INSTRUMENT_JS)
    handle = page.locator(".nx-param-alpha .noUi-handle").first
    handle.focus()
    to_n, to_all = [], []
    for i in range(changes):
        # up from alpha = 1.0 in 0.1 steps: every value is new (no memo hit), all in range
        handle.press("ArrowRight" if i < 30 else "ArrowLeft")
        state = _wait_change_settled(page)
        t0 = state["t0"]
        n_frames = [c["frame"] for c in state["changes"] if c["name"] == "nx-source-N"]
        to_n.append(min(n_frames) - t0)
        to_all.append(max(c["frame"] for c in state["changes"]) - t0)
    context.close()
    return to_n, to_all


def measure_memory(browser: Any, server: Server, url: str, sessions: int = 6,
                   settle_s: float = 2.0) -> tuple[float, float]:
    """Server RSS (MB) with 1 and with ``sessions`` home pages open."""
    contexts = []

    def open_one() -> None:
        context = browser.new_context(viewport=VIEWPORT)
        page = context.new_page()
        page.goto(url, wait_until="commit")
        page.evaluate(_KPI_PROBE_JS)
        page.evaluate(_LOADED_JS)
        contexts.append(context)

    open_one()
    time.sleep(settle_s)
    one = rss_bytes(server) / 2**20
    for _ in range(sessions - 1):
        open_one()
    time.sleep(settle_s)
    many = rss_bytes(server) / 2**20
    for context in contexts:
        context.close()
    return one, many


def run(changes: int = 20, visits: int = 5) -> dict[str, Any]:
    from playwright.sync_api import sync_playwright

    token = scenario_query(Scenario(name="bench", params=EngineParams(num_steps=BENCH_STEPS)))
    with tempfile.TemporaryDirectory(prefix="nexus-ui-bench-") as tmp:
        server = Server(Path(tmp))
        started = time.perf_counter()
        try:
            server.wait_ready()
            ready_s = time.perf_counter() - started
            with sync_playwright() as pw:
                browser = pw.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
                loads = measure_loads(browser, server.url + "/", visits + 1)
                rss_one, rss_many = measure_memory(browser, server, server.url + "/")
                to_n, to_all = measure_slider(browser, server.url + "/" + token, changes)
                browser.close()
        finally:
            server.stop()
    return {
        "server_start_to_live_s": round(ready_s, 3),
        "home_first_load_s": round(loads[0][2], 3),
        "home_first_load_first_byte_s": round(loads[0][0], 3),
        "home_first_load_dom_loaded_s": round(loads[0][1], 3),
        "home_load_median_s": round(statistics.median(v[2] for v in loads[1:]), 3),
        "slider_to_N_plot_ms": round(statistics.median(to_n), 1),
        "slider_to_N_plot_p90_ms": round(sorted(to_n)[int(0.9 * (len(to_n) - 1))], 1),
        "slider_to_all_plots_ms": round(statistics.median(to_all), 1),
        "slider_changes": changes,
        "slider_steps": BENCH_STEPS,
        "rss_1_session_mb": round(rss_one, 1),
        "rss_6_sessions_mb": round(rss_many, 1),
        "mb_per_extra_session": round((rss_many - rss_one) / 5, 1),
        "load_average_1min": round(os.getloadavg()[0], 2),
        "cpus": os.cpu_count(),
    }


def format_table(figures: dict[str, Any]) -> str:
    rows = [("figure", "value", "target", "")]
    for key, value in figures.items():
        target = TARGETS.get(key)
        verdict = "" if target is None else ("ok" if value <= target else "MISSED")
        rows.append((key, str(value), "" if target is None else f"≤ {target:g}", verdict))
    widths = [max(len(r[i]) for r in rows) for i in range(4)]
    return "\n".join("  ".join(c.ljust(w) for c, w in zip(r, widths, strict=True)).rstrip()
                     for r in rows)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--changes", type=int, default=20, help="slider changes to time")
    parser.add_argument("--visits", type=int, default=5, help="home page loads after the first")
    parser.add_argument("--json-out", type=Path, default=None, help="also write the JSON here")
    args = parser.parse_args(argv)
    if not 1 <= args.changes <= 40 or args.visits < 1:
        parser.error("--changes must be 1..40 (alpha stays in range) and --visits >= 1")
    figures = run(changes=args.changes, visits=args.visits)
    print(format_table(figures))
    text = json.dumps(figures, indent=2)
    print(text)
    if args.json_out:
        args.json_out.write_text(text + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
