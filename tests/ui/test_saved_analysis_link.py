"""A saved Monte Carlo reopens from its link in a fresh browser with the same numbers
(read from the statistics table the browser draws), without being rerun; an unknown
analysis id in a link says so on the page."""

from __future__ import annotations

import re
from typing import Any

import pytest
from playwright.sync_api import Browser, Page, expect
from pw_helpers import ConsoleErrors, screenshot, sources, wait_for_bokeh
from test_analysis_pages import RUN_TIMEOUT, add_parameter, open_page, run_and_wait

from nexus_panel.analysis.specs import slider_range


def statistics(page: Page) -> dict[str, float]:
    """metric -> Mean, from the data source of the statistics table in the page."""
    tables = [s for s in sources(page, "Mean", ("metric",)) if s["x"]]
    assert len(tables) == 1, tables
    return dict(zip(tables[0]["x"], tables[0]["y"], strict=True))


def widget_values(page: Page, title: str) -> list[Any]:
    """Values of the page's input widgets titled ``title`` (as the browser holds them)."""
    return page.evaluate(
        "(title) => { const out = []; for (const d of Bokeh.documents)"
        " for (const m of d.all_models) if (m.title === title && 'value' in m)"
        " out.push(m.value); return out; }", title)


def test_save_and_reopen_a_monte_carlo_in_a_fresh_browser(
        page: Page, browser: Browser, base_url: str, server_store: Any,
        browser_context_args: dict[str, Any]) -> None:
    errors = ConsoleErrors(page)
    open_page(page, "montecarlo")
    add_parameter(page, "alpha")
    run_and_wait(page, "1,000 runs")
    before = statistics(page)
    lo, hi = slider_range("alpha")
    std_default = 0.1 * (hi - lo)
    assert widget_values(page, "Std. deviation") == [pytest.approx(std_default)]
    name_box = page.locator(".nx-save-name input")
    name_box.fill("ui analysis")  # an unnamed scenario is not saved (issue 10, item 2)
    name_box.press("Enter")
    page.locator(".nx-save-analysis button").click()
    status = page.locator(".nx-analysis-status")
    expect(status).to_contain_text("Saved as analysis", timeout=RUN_TIMEOUT)
    page.wait_for_url(re.compile(r"[?&]analysis=\d+"), timeout=RUN_TIMEOUT)
    url = page.url
    assert "s=" in url  # the scenario stays in the address beside the analysis id
    analysis_id = int(re.search(r"[?&]analysis=(\d+)", url).group(1))  # type: ignore[union-attr]
    assert server_store.analysis_info(analysis_id).kind == "montecarlo"
    screenshot(page, "analysis-montecarlo-saved")
    errors.assert_none()

    fresh = browser.new_context(**{**browser_context_args, "base_url": base_url})
    try:
        other = fresh.new_page()
        other_errors = ConsoleErrors(other)
        other.goto(f"/montecarlo?analysis={analysis_id}")
        wait_for_bokeh(other)
        expect(other.locator(".nx-analysis-status")).to_contain_text("not rerun",
                                                                     timeout=RUN_TIMEOUT)
        assert statistics(other) == before
        assert widget_values(other, "Mean") == widget_values(page, "Mean") != [None]
        assert widget_values(other, "Std. deviation") == [pytest.approx(std_default)]
        other.wait_for_url(re.compile(rf"[?&]analysis={analysis_id}\b"))
        screenshot(other, "analysis-montecarlo-reopened")
        other_errors.assert_none()

        other.goto("/montecarlo?analysis=999999")
        wait_for_bokeh(other)
        expect(other.locator(".nx-analysis-alert")).to_contain_text(
            "Saved analysis 999999 cannot be opened: no saved analysis with id 999999")
        expect(other.locator(".nx-link-alert")).to_be_hidden()
        screenshot(other, "analysis-montecarlo-unknown-id")
    finally:
        fresh.close()
