"""What the browser tests read from a page: Bokeh plot data, Panel widgets, screenshots,
console errors.

Plots are canvases, so "the N(t) curve changed" is read from the Bokeh document in the
page (the ColumnDataSources the browser actually draws), not from pixels.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlparse

from playwright.sync_api import Browser, ConsoleMessage, Error, Page, expect

from nexus_panel.benchmarks.auth_server import ACCOUNTS
from nexus_panel.models import Scenario
from nexus_panel.pages.links import decode_scenario

SCREENSHOTS = Path(__file__).resolve().parents[2] / "test-artifacts" / "screenshots"

# Every ColumnDataSource holding column ``y``: its x (first of ``xs`` present) and y arrays.
_SOURCES_JS = """
([y, xs]) => {
  const out = [];
  for (const doc of (window.Bokeh ? Bokeh.documents : [])) {
    for (const m of doc.all_models) {
      if (m.type !== "ColumnDataSource") continue;
      const data = m.data instanceof Map ? Object.fromEntries(m.data) : m.data;
      if (!(y in data)) continue;
      const xkey = xs.find((k) => k in data);
      out.push({id: m.id, x: xkey ? Array.from(data[xkey]) : null, y: Array.from(data[y])});
    }
  }
  return out;
}
"""

# Labels of every legend item in the page (legends are drawn on canvas, not in the DOM).
_LEGEND_JS = """
() => {
  const out = [];
  for (const doc of (window.Bokeh ? Bokeh.documents : [])) {
    for (const m of doc.all_models) {
      if (m.type !== "LegendItem") continue;
      const label = m.label;
      const text = label && typeof label === "object" ? (label.value ?? label.field) : label;
      const visible = m.renderers.some((r) => r.visible);
      if (text && visible) out.push(String(text));
    }
  }
  return out;
}
"""


def sources(page: Page, y: str, xs: tuple[str, ...] = ("t",)) -> list[dict[str, Any]]:
    return page.evaluate(_SOURCES_JS, [y, list(xs)])


def wait_for_sources(page: Page, y: str, *, count: int, length: int,
                     xs: tuple[str, ...] = ("t",), timeout: float = 30_000) -> None:
    """Until at least ``count`` data sources hold a column ``y`` of ``length`` points."""
    page.wait_for_function(
        f"([y, xs, count, length]) => ({_SOURCES_JS})([y, xs])"
        ".filter((s) => s.y.length === length).length >= count",
        arg=[y, list(xs), count, length], timeout=timeout)


def wait_for_drawn(page: Page, timeout: float = 30_000) -> None:
    """Until every Bokeh document of the page has drawn its latest state (``is_idle``),
    e.g. before a screenshot."""
    page.wait_for_function(
        "() => window.Bokeh && Bokeh.documents.length > 0"
        " && Bokeh.documents.every((d) => d.is_idle)", timeout=timeout)


def legend_labels(page: Page) -> list[str]:
    return page.evaluate(_LEGEND_JS)


def wait_for_bokeh(page: Page, timeout: float = 20_000) -> None:
    """Until Bokeh has rendered the session's document (the websocket has delivered it)."""
    page.wait_for_function(
        "() => window.Bokeh && Bokeh.documents.length > 0 && "
        "document.querySelector('.bk-root, .bk-panel-models-layout-Column, body') !== null",
        timeout=timeout)
    page.wait_for_load_state("networkidle")


def screenshot(page: Page, name: str) -> Path:
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    path = SCREENSHOTS / f"{re.sub(r'[^A-Za-z0-9_.-]+', '_', name)}.png"
    page.screenshot(path=str(path), full_page=True)
    return path


class ConsoleErrors:
    """Collects console errors and uncaught exceptions of one page."""

    def __init__(self, page: Page) -> None:
        self.messages: list[str] = []
        page.on("console", self._on_console)
        page.on("pageerror", self._on_pageerror)

    def _on_console(self, msg: ConsoleMessage) -> None:
        if msg.type == "error":
            where = msg.location.get("url", "") if msg.location else ""
            self.messages.append(f"console.error: {msg.text} ({where})")

    def _on_pageerror(self, exc: Error) -> None:
        self.messages.append(f"uncaught: {exc}")

    def assert_none(self) -> None:
        assert not self.messages, "browser console errors:\n" + "\n".join(self.messages)


def wait_for_page(page: Page, timeout: float = 30_000) -> None:
    """Until the site shell (navigation) has rendered and the network has settled."""
    page.locator("a.nx-nav-link").first.wait_for(state="attached", timeout=timeout)
    wait_for_bokeh(page, timeout)


def source_column(page: Page, source_name: str, column: str) -> list[float]:
    """One column of the Bokeh ColumnDataSource named ``source_name``."""
    return page.evaluate(
        "([name, col]) => { const m = Bokeh.documents[0].get_model_by_name(name);"
        " const d = m.data instanceof Map ? Object.fromEntries(m.data) : m.data;"
        " return Array.from(d[col]); }", [source_name, column])


def scenario_in(url: str) -> Scenario:
    """The scenario a page's address (``?s=``) carries."""
    return decode_scenario(parse_qs(urlparse(url).query)["s"][0])


def wait_for_address(page: Page, accept: Callable[[Scenario], bool],
                     timeout: float = 15_000) -> Scenario:
    """Until the address bar holds a scenario ``accept`` takes; returns it.

    The page rewrites its address with ``history.replaceState``, which fires no event a
    test can wait on, so this waits for each change of ``location.href`` and checks the
    scenario it carries (a condition wait, not a fixed sleep)."""
    while True:
        url = page.evaluate("() => window.location.href")
        if "s=" in url and accept(scenario_in(url)):
            return scenario_in(url)
        page.wait_for_function("(seen) => window.location.href !== seen", arg=url,
                               timeout=timeout)


# --- signed-in pages (the sign-in tests: tests/ui/test_sign_in.py, test_hosted.py) -------
def signed_in_page(browser: Browser, base_url: str, name: str, path: str) -> Page:
    """A fresh browser context, signed in as ``name`` through the login form."""
    context = browser.new_context(base_url=base_url, viewport={"width": 1400, "height": 1000})
    page = context.new_page()
    page.goto(path)
    expect(page).to_have_url(f"{base_url}/login?next=%2F{path.lstrip('/')}")
    page.fill("#nx-username", name)
    page.fill("#nx-password", ACCOUNTS[name][1])
    page.click(".nx-login-submit")
    expect(page).to_have_url(f"{base_url}{path}", timeout=60_000)
    wait_for_page(page)
    expect(page.locator(".nx-identity")).to_have_text(f"{name} ({ACCOUNTS[name][0]})")
    return page


def fill(page: Page, css: str, text: str) -> None:
    """Type ``text`` into the text box under ``css`` and commit it (Enter, or blur for a
    text area), as a user does, so the server receives the value."""
    box = page.locator(f"{css} input, {css} textarea").first
    box.fill(text)
    box.press("Enter") if box.evaluate("e => e.tagName") == "INPUT" else box.blur()


def row(page: Page, name: str) -> Any:
    """The Scenarios page's list row of scenario ``name``."""
    return page.locator(".nx-scenario-list .tabulator-row", has_text=name)
