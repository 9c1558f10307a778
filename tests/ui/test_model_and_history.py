"""Issue 10 items 17/18 in the browser: the Model page (equation, drawn stock-and-flow
diagram, presets that load into the page and its links), Back undoing a change instead
of leaving the app, and the light/dark theme that follows the visitor from page to page."""

from __future__ import annotations

import re

from playwright.sync_api import Page, expect
from pw_helpers import ConsoleErrors, scenario_in, screenshot, wait_for_address, wait_for_page
from test_simulate import alpha_slider_value, nudge_alpha

from nexus_panel.models.presets import PRESETS


def test_model_page_draws_the_flows_and_a_preset_loads_into_every_link(page: Page) -> None:
    errors = ConsoleErrors(page)
    page.goto("/")
    wait_for_page(page)
    page.locator("a.nx-nav-link[data-page=model]").click()
    wait_for_page(page)
    expect(page.locator(".nx-model-equation")).to_contain_text("dN/dt = I − B − κ·N + Φ")
    svg = page.locator("svg.nx-model-diagram")
    expect(svg).to_be_visible()
    for flow, side in (("I", "in"), ("floor", "in"), ("B", "out"), ("decay", "out")):
        expect(svg.locator(f"g.nx-flow[data-flow={flow}]")).to_have_attribute("data-side", side)
    # the defaults overshoot N*, so on average the controller removes tokens
    expect(svg.locator("g.nx-flow[data-flow=Phi]")).to_have_attribute("data-side", "out")
    screenshot(page, "model-defaults")

    page.locator(".nx-preset-steady button").click()
    # balanced at N*: the controller hardly acts (mean |Φ| below 1 token per time unit)
    expect(svg.locator("g.nx-flow[data-flow=Phi]")).to_have_attribute(
        "data-value", re.compile(r"^0\.\d+$"))
    page.locator(".nx-preset-collapse button").click()
    expect(page.locator(".nx-preset-loaded")).to_contain_text("Collapse")
    loaded = wait_for_address(page, lambda s: s.name == "Collapse")
    assert loaded.to_dict() == PRESETS["collapse"].scenario().to_dict()
    expect(svg.locator("g.nx-stock")).to_have_attribute("data-value", "0")
    screenshot(page, "model-collapse")
    # the preset travels to Simulate through the navigation link
    page.locator("a.nx-nav-link[data-page=simulate]").click()
    wait_for_page(page)
    assert scenario_in(page.url).params.beta == 3.0
    expect(page.locator("[data-testid=kpi-final-N]")).to_have_text("0.00")
    errors.assert_none()


def go(page: Page, where: str) -> None:
    """Back or Forward, then wait until the page has reopened from that entry's address
    (a marker left on the old document is gone)."""
    page.evaluate("() => { window.nxOldDocument = true; }")
    page.go_back() if where == "back" else page.go_forward()
    page.wait_for_function("() => !window.nxOldDocument")
    wait_for_page(page)


def test_back_undoes_the_last_change_and_stays_in_the_app(page: Page) -> None:
    errors = ConsoleErrors(page)
    page.goto("/?alpha=1.0")
    wait_for_page(page)
    page.wait_for_function("() => window.location.search.includes('s=')")
    assert "alpha=" not in page.url  # the opening address was rewritten, not stacked
    assert nudge_alpha(page, presses=2) == 1.2  # two quick presses: one entry
    page.wait_for_timeout(1200)  # a pause: the next change is a new history entry
    assert nudge_alpha(page, presses=3) == 1.5

    go(page, "back")
    assert scenario_in(page.url).params.alpha == 1.2
    expect(page.locator(".nx-param-alpha .noUi-handle").first).to_have_attribute(
        "aria-valuenow", "1.2")
    go(page, "back")
    assert scenario_in(page.url).params.alpha == 1.0  # still the app, at its first state
    assert alpha_slider_value(page) == 1.0
    go(page, "forward")
    assert scenario_in(page.url).params.alpha == 1.2
    assert alpha_slider_value(page) == 1.2
    screenshot(page, "history-forward")
    errors.assert_none()


BACKGROUND_JS = """() => {
  const rgb = getComputedStyle(document.body).backgroundColor.match(/\\d+/g).map(Number);
  return (rgb[0] + rgb[1] + rgb[2]) / 3;
}"""


def test_dark_theme_toggle_follows_the_visitor_to_other_pages(page: Page) -> None:
    errors = ConsoleErrors(page)
    page.goto("/parameters?beta=2.5")
    wait_for_page(page)
    assert page.evaluate(BACKGROUND_JS) > 200  # light
    toggle = page.locator(".nx-theme-toggle button")
    expect(toggle).to_have_text("☾ Dark")
    toggle.click()
    page.wait_for_url("**theme=dark**")
    wait_for_page(page)
    assert page.evaluate(BACKGROUND_JS) < 60  # dark
    assert scenario_in(page.url).params.beta == 2.5  # the scenario survived the switch
    screenshot(page, "parameters-dark")
    page.locator("a.nx-nav-link[data-page=model]").click()
    wait_for_page(page)
    assert "theme=dark" in page.url and page.evaluate(BACKGROUND_JS) < 60
    screenshot(page, "model-dark")
    page.locator(".nx-theme-toggle button").click()
    page.wait_for_function("() => !window.location.search.includes('theme=dark')")
    wait_for_page(page)
    assert page.evaluate(BACKGROUND_JS) > 200
    errors.assert_none()
