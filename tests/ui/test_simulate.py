"""The home page reacts to the alpha slider, and its address reproduces the run anywhere."""

from __future__ import annotations

from playwright.sync_api import Browser, Page, expect
from pw_helpers import (
    ConsoleErrors,
    scenario_in,
    screenshot,
    source_column,
    wait_for_address,
    wait_for_page,
)

from nexus_panel import simulate

__all__ = ["nudge_alpha", "scenario_in"]  # other browser tests import them from here


def nudge_alpha(page: Page, presses: int) -> float:
    """Move the alpha slider like a user does with the keyboard (one 0.1 step per press),
    and wait until the address bar holds the final value; returns that alpha."""
    start = scenario_in(page.url).params.alpha if "s=" in page.url else 1.0
    handle = page.locator(".nx-param-alpha .noUi-handle").first
    handle.focus()
    for _ in range(presses):
        handle.press("ArrowRight")
    target = round(start + 0.1 * presses, 10)
    wait_for_address(page, lambda s: s.params.alpha == target)
    return target


def alpha_slider_value(page: Page) -> float:
    """The value the alpha slider's handle shows (noUiSlider's aria-valuenow)."""
    handle = page.locator(".nx-param-alpha .noUi-handle").first
    return float(handle.get_attribute("aria-valuenow") or "nan")


def test_alpha_slider_changes_n_and_the_address(page: Page) -> None:
    errors = ConsoleErrors(page)
    page.goto("/")
    wait_for_page(page)
    page.wait_for_function("() => window.location.search.includes('s=')")
    before_url = page.url
    assert scenario_in(before_url).params.alpha == 1.0
    before_n = source_column(page, "nx-source-N", "N")
    assert len(before_n) == 1001

    assert nudge_alpha(page, presses=3) == 1.3
    page.wait_for_function(
        "(first) => { const m = Bokeh.documents[0].get_model_by_name('nx-source-N');"
        " return m && Array.from(m.data.N ?? m.data.get('N')).join() !== first; }",
        arg=",".join(repr(float(v)) for v in before_n))
    after_n = source_column(page, "nx-source-N", "N")
    # the plotted data is exactly the run of the scenario the address bar describes
    expected = simulate(scenario_in(page.url)).frame["N"].to_numpy()
    assert after_n == list(expected)
    assert after_n != before_n
    screenshot(page, "simulate-alpha-moved")
    errors.assert_none()


def test_copied_link_opens_the_same_run_in_a_fresh_context(page: Page, browser: Browser,
                                                           base_url: str) -> None:
    page.goto("/")
    wait_for_page(page)
    page.wait_for_function("() => window.location.search.includes('s=')")
    nudge_alpha(page, presses=5)
    # the last run's KPIs have arrived when they show that run's final N
    expected = simulate(scenario_in(page.url)).summary["final_N"]
    expect(page.locator("[data-testid=kpi-final-N]")).to_have_text(f"{expected:,.2f}")
    page.locator(".nx-copy-link button").click()
    page.wait_for_function("() => document.body.dataset.nxCopiedLink")
    link = page.evaluate("() => document.body.dataset.nxCopiedLink")
    assert link == page.url
    final_n = page.locator("[data-testid=kpi-final-N]").inner_text()
    alpha_shown = alpha_slider_value(page)
    assert alpha_shown == 1.5

    fresh = browser.new_context(base_url=base_url, viewport={"width": 1400, "height": 1000})
    try:
        other = fresh.new_page()
        errors = ConsoleErrors(other)
        other.goto(link)
        wait_for_page(other)
        expect(other.locator("[data-testid=kpi-final-N]")).to_have_text(final_n)
        assert alpha_slider_value(other) == alpha_shown
        assert source_column(other, "nx-source-N", "N") == source_column(page, "nx-source-N",
                                                                         "N")
        expect(other.locator(".nx-link-alert")).to_be_hidden()
        screenshot(other, "copied-link-fresh-context")
        errors.assert_none()
    finally:
        fresh.close()
