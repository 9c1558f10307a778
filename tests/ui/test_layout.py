"""Issue 10 items 15 and 16 in the browser: pages that fit 800 px without horizontal
scrolling, a side panel that folds away (and says so to screen readers) so the plots
widen, editors that scroll on their own, card arrows that are drawn and named, slider
values announced at their precision, and the Network page's named PNGs and words."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import Browser, Page, expect
from pw_helpers import ConsoleErrors, wait_for_drawn, wait_for_page
from test_analysis_pages import open_page, run_and_wait

from nexus_panel.benchmarks.ui_server import ROOT, SERVER_START_TIMEOUT, free_port
from nexus_panel.views.plots import PLOT_MIN_WIDTH

CELL_APP = Path(__file__).with_name("notebook_cell_app.py")

# Every visible element (shadow trees included) reaching past the right edge of the page's
# scrolling area (#main in the Bootstrap template, else the document), and both scroll
# widths: an element clipped by an overflow:hidden box is as unusable as one behind a
# scrollbar, so both count.
_OVERFLOW_JS = """
() => {
  const main = document.querySelector("#main") || document.scrollingElement;
  const limit = main.getBoundingClientRect().left + main.clientWidth + 1;
  const out = [];
  const walk = (root) => {
    for (const el of root.querySelectorAll("*")) {
      const r = el.getBoundingClientRect();
      if (r.width > 0 && r.height > 0 && r.right > limit
          && getComputedStyle(el).visibility !== "hidden") {
        out.push(`${el.tagName}.${[...el.classList].join(".")} right=${Math.round(r.right)}`);
      }
      if (el.shadowRoot) { walk(el.shadowRoot); }
    }
  };
  walk(main);
  const doc = document.scrollingElement;
  return {main: [main.scrollWidth, main.clientWidth], document: [doc.scrollWidth, doc.clientWidth],
          overflowing: out.slice(0, 10)};
}
"""

_BOX_JS = "(e) => { const r = e.getBoundingClientRect(); return [r.x, r.y, r.width, r.height]; }"


def narrow_page(browser: Browser, base_url: str, browser_context_args: dict[str, Any],
                width: int) -> Page:
    context = browser.new_context(**{**browser_context_args, "base_url": base_url,
                                     "viewport": {"width": width, "height": 900}})
    return context.new_page()


@pytest.mark.parametrize("slug", ["simulate", "scenarios", "compare"])
def test_pages_fit_800_px_without_horizontal_scrolling(
        browser: Browser, base_url: str, browser_context_args: dict[str, Any],
        slug: str) -> None:
    page = narrow_page(browser, base_url, browser_context_args, 800)
    try:
        errors = ConsoleErrors(page)
        page.goto(f"/{slug}")
        wait_for_page(page)
        wait_for_drawn(page)
        fit = page.evaluate(_OVERFLOW_JS)
        assert fit["document"][0] <= fit["document"][1], fit
        assert fit["main"][0] <= fit["main"][1], fit
        assert fit["overflowing"] == [], fit
        errors.assert_none()
    finally:
        page.context.close()


def test_simulate_plots_stay_readable_at_800_px(
        browser: Browser, base_url: str, browser_context_args: dict[str, Any]) -> None:
    """Beside the editors at 800 px the plots go one a row, each at least
    PLOT_MIN_WIDTH wide (they were two a row of about 190 px)."""
    page = narrow_page(browser, base_url, browser_context_args, 800)
    try:
        page.goto("/simulate")
        wait_for_page(page)
        wait_for_drawn(page)
        n_box = page.locator(".nx-pane-N").evaluate(_BOX_JS)
        flows_box = page.locator(".nx-pane-flows").evaluate(_BOX_JS)
        assert n_box[2] >= PLOT_MIN_WIDTH and flows_box[2] >= PLOT_MIN_WIDTH
        assert flows_box[1] >= n_box[1] + n_box[3] - 1  # under it, not beside it
    finally:
        page.context.close()


def test_editors_fold_away_and_the_plots_widen(page: Page) -> None:
    errors = ConsoleErrors(page)
    page.goto("/simulate")
    wait_for_page(page)
    wait_for_drawn(page)
    hide = page.get_by_role("button", name="◀ Hide editors")
    expect(hide).to_have_attribute("aria-expanded", "true")
    alpha = page.locator(".nx-param-alpha .noUi-handle").first
    expect(alpha).to_be_visible()
    before = page.locator(".nx-pane-N").evaluate(_BOX_JS)[2]
    hide.click()
    show = page.get_by_role("button", name="▶ Show editors")
    expect(show).to_have_attribute("aria-expanded", "false")
    expect(alpha).to_be_hidden()
    pane = page.locator(".nx-pane-N").element_handle()
    page.wait_for_function("([e, w]) => e.getBoundingClientRect().width > w + 50",
                           arg=[pane, before], timeout=15_000)
    show.click()
    expect(page.get_by_role("button", name="◀ Hide editors")).to_have_attribute(
        "aria-expanded", "true")
    expect(alpha).to_be_visible()
    errors.assert_none()


def test_editors_scroll_on_their_own_beside_the_plots(page: Page) -> None:
    page.set_viewport_size({"width": 1400, "height": 700})
    page.goto("/simulate")
    wait_for_page(page)
    wait_for_drawn(page)
    sidebar = page.locator(".nx-sidebar")
    top = sidebar.evaluate(_BOX_JS)[1]
    # The page (Bootstrap's #main) scrolls to the last plot: the editors stay in view.
    page.evaluate("() => { const m = document.querySelector('#main');"
                  " m.scrollTop = m.scrollHeight; }")
    page.wait_for_function("() => document.querySelector('#main').scrollTop > 100")
    main_top = page.locator("#main").evaluate(_BOX_JS)[1]
    # stuck at the top (a few pixels higher where the row ends below it)
    assert main_top - 20 <= sidebar.evaluate(_BOX_JS)[1] <= top + 1
    # The editors scroll by themselves: the page does not move.
    scrolled = page.evaluate("() => document.querySelector('#main').scrollTop")
    sizes = sidebar.evaluate("(e) => [e.scrollHeight, e.clientHeight]")
    assert sizes[0] > sizes[1]  # taller than the screen: it has its own scrollbar
    sidebar.evaluate("(e) => { e.scrollTop = e.scrollHeight; }")
    page.wait_for_function("(e) => e.scrollTop > 100", arg=sidebar.element_handle())
    assert page.evaluate("() => document.querySelector('#main').scrollTop") == scrolled


def test_card_arrows_are_drawn_and_collapse_buttons_named(page: Page) -> None:
    page.goto("/simulate")
    wait_for_page(page)
    core = page.get_by_role("button", name="Collapse Core dynamics")
    expect(core).to_have_attribute("aria-expanded", "true")
    stroke = core.locator(".card-button svg").evaluate("(e) => getComputedStyle(e).stroke")
    assert stroke not in ("none", ""), stroke  # the arrow has a colour: it is visible
    health = page.get_by_role("button", name="Expand Health index")  # starts folded
    expect(health).to_have_attribute("aria-expanded", "false")
    core.click()
    folded = page.get_by_role("button", name="Expand Core dynamics")
    expect(folded).to_have_attribute("aria-expanded", "false")
    expect(page.locator(".nx-param-alpha .noUi-handle").first).to_be_hidden()
    folded.click()
    expect(page.get_by_role("button", name="Collapse Core dynamics")).to_be_visible()


def test_slider_values_are_announced_at_their_precision(page: Page) -> None:
    """K_i's step is 0.001: its handle said "0.01" for 0.011 (noUiSlider's two decimals),
    and the editable sliders of /parameters had no name at all."""
    page.goto("/parameters?K_i=0.011")
    wait_for_page(page)
    handle = page.get_by_role("slider", name="Integral gain K_i")
    expect(handle).to_have_attribute("aria-valuetext", "0.011")
    handle.focus()
    handle.press("ArrowRight")
    expect(handle).to_have_attribute("aria-valuetext", "0.012")
    page.goto("/simulate?N_target=1500")
    wait_for_page(page)
    expect(page.get_by_role("slider", name="Target state N*")).to_have_attribute(
        "aria-valuetext", "1,500")


_SAVE_TOOLS_JS = """
() => {
  const out = [];
  for (const doc of Bokeh.documents)
    for (const m of doc.all_models) if (m.type === "SaveTool") out.push(m.filename || "");
  return out;
}
"""


def test_network_plots_save_named_pngs_and_speak_words(page: Page) -> None:
    errors = ConsoleErrors(page)
    open_page(page, "network")
    run_and_wait(page, "run")
    wait_for_drawn(page)
    names = page.evaluate(_SAVE_TOOLS_JS)
    assert names and "" not in names, names  # no plot saves as bokeh_plot.png
    assert {"nexus-network-aggregate-n", "nexus-network-inequality",
            "nexus-network-lorenz-curves", "nexus-network-graph"} <= set(names), names
    summary = page.locator(".nx-network-summary").first.evaluate(
        "(e) => (e.shadowRoot || e).textContent")
    assert " tokens" in summary and "clamp events" in summary, summary
    errors.assert_none()


@pytest.fixture(scope="module")
def notebook_cell(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """The URL of ``nx.Dashboard`` in a 1000 px cell, served by ``panel serve``."""
    work = tmp_path_factory.mktemp("cell")
    port = free_port()
    env = {**os.environ, "NEXUS_DATA_DIR": str(work / "data"),
           "NEXUS_CACHE_DIR": str(work / "cache")}
    with (work / "serve.log").open("wb") as log:
        proc = subprocess.Popen(
            [sys.executable, "-m", "panel", "serve", str(CELL_APP), "--port", str(port),
             "--address", "127.0.0.1", "--allow-websocket-origin", f"127.0.0.1:{port}"],
            cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True)
    url = f"http://127.0.0.1:{port}/{CELL_APP.stem}"
    try:
        deadline = time.monotonic() + SERVER_START_TIMEOUT
        while True:
            try:
                with urllib.request.urlopen(url, timeout=30) as resp:
                    if resp.status == 200:
                        break
            except OSError:
                assert proc.poll() is None, (work / "serve.log").read_text()
                assert time.monotonic() < deadline, (work / "serve.log").read_text()
                time.sleep(0.5)
        yield url
    finally:
        os.killpg(proc.pid, signal.SIGTERM)
        proc.wait(timeout=30)


def test_dashboard_in_a_1000_px_notebook_cell_stays_readable(
        browser: Browser, browser_context_args: dict[str, Any], notebook_cell: str) -> None:
    """Beside the editors in a 1000 px cell the plots were two a row of about 300 px;
    now one a row until the editors fold away, then two, never under PLOT_MIN_WIDTH and
    never past the cell's edge."""
    context = browser.new_context(**{**browser_context_args,
                                     "viewport": {"width": 1100, "height": 900}})
    try:
        page = context.new_page()
        errors = ConsoleErrors(page)
        page.goto(notebook_cell)
        pane = page.locator(".nx-pane-N")
        pane.wait_for(timeout=60_000)
        wait_for_drawn(page)
        cell = page.locator(".nx-cell").evaluate(_BOX_JS)
        for key in ("N", "flows", "S", "Phi", "cumulative", "inputs"):
            box = page.locator(f".nx-pane-{key}").evaluate(_BOX_JS)
            assert box[2] >= PLOT_MIN_WIDTH, (key, box)
            assert box[0] + box[2] <= cell[0] + cell[2] + 1, (key, box, cell)
        before = pane.evaluate(_BOX_JS)
        page.get_by_role("button", name="◀ Hide editors").click()
        page.wait_for_function("([e, x]) => e.getBoundingClientRect().x < x - 100",
                               arg=[pane.element_handle(), before[0]], timeout=15_000)
        flows = page.locator(".nx-pane-flows").evaluate(_BOX_JS)
        after = pane.evaluate(_BOX_JS)
        assert abs(flows[1] - after[1]) < 2 and after[2] >= PLOT_MIN_WIDTH  # two a row
        errors.assert_none()
    finally:
        context.close()
