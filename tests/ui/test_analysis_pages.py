"""Each analysis runs from its page in a real browser and draws its charts."""

from __future__ import annotations

import pytest
from playwright.sync_api import Page, expect
from pw_helpers import ConsoleErrors, screenshot, wait_for_bokeh

RUN_TIMEOUT = 60_000
LINK = "?num_steps=200"  # the page's scenario comes from its link: short runs

_GLYPHS = """() => {
  let n = 0;
  for (const doc of Bokeh.documents)
    for (const m of doc.all_models) if (m.type === "GlyphRenderer") n += 1;
  return n;
}"""


def open_page(page: Page, slug: str) -> None:
    page.goto(f"/{slug}{LINK}")
    wait_for_bokeh(page)


def add_parameter(page: Page, name: str) -> None:
    choice = page.locator(".bk-input-group").filter(has_text="Parameter").locator("select")
    choice.first.select_option(name)
    page.get_by_role("button", name="Add", exact=True).click()


def run_and_wait(page: Page, expected: str) -> None:
    before = page.evaluate(_GLYPHS)
    page.get_by_role("button", name="Run", exact=True).click()
    status = page.locator(".nx-analysis-status")
    expect(status).to_contain_text("Done:", timeout=RUN_TIMEOUT)
    expect(status).to_contain_text(expected)
    page.wait_for_function(f"() => ({_GLYPHS})() > {before}", timeout=RUN_TIMEOUT)


@pytest.mark.parametrize(("slug", "expected"), [
    ("stability", "441 runs"), ("controller", "1 run ")])
def test_map_and_controller_pages_run(page: Page, slug: str, expected: str) -> None:
    errors = ConsoleErrors(page)
    open_page(page, slug)
    run_and_wait(page, expected)
    screenshot(page, f"analysis-{slug}")
    errors.assert_none()


def test_monte_carlo_page_runs_with_a_sampled_parameter(page: Page) -> None:
    errors = ConsoleErrors(page)
    open_page(page, "montecarlo")
    add_parameter(page, "alpha")
    expect(page.get_by_text("Distribution").first).to_be_visible()
    run_and_wait(page, "1,000 runs")
    expect(page.get_by_text("95 % confidence interval").first).to_be_visible()
    screenshot(page, "analysis-montecarlo")
    errors.assert_none()


def test_sensitivity_page_runs_sobol(page: Page) -> None:
    errors = ConsoleErrors(page)
    open_page(page, "sensitivity")
    expect(page.locator(".nx-analysis-about")).to_contain_text("Ranks the parameters")
    run_and_wait(page, "384 runs")  # the defaults as shown: alpha, beta; N = 64 x (2 x 2 + 2)
    expect(page.get_by_text("S1_conf").first).to_be_visible()
    add_parameter(page, "K_p")  # the form moved on: the result is marked out of date
    expect(page.locator(".nx-analysis-stale")).to_be_visible()
    run_and_wait(page, "512 runs")  # 64 x (2 x 3 + 2)
    expect(page.locator(".nx-analysis-stale")).to_be_hidden()
    screenshot(page, "analysis-sensitivity")
    errors.assert_none()


def test_progress_and_cancel_of_a_long_ensemble(page: Page) -> None:
    errors = ConsoleErrors(page)
    page.goto("/montecarlo?num_steps=5000")
    wait_for_bokeh(page)
    runs = page.locator(".bk-input-group, .bk-slider-title").filter(has_text="Runs")
    page.locator(".noUi-handle").first.focus()
    page.keyboard.press("End")  # 100,000 runs x 5,000 steps: tens of seconds
    expect(runs.first).to_contain_text("100000")
    page.get_by_role("button", name="Run", exact=True).click()
    status = page.locator(".nx-analysis-status")
    expect(status).to_contain_text("Running", timeout=RUN_TIMEOUT)
    page.wait_for_function(  # the progress bar moves (read from the page's Bokeh model)
        "() => { for (const d of Bokeh.documents) for (const m of d.all_models)"
        " if (String(m.type).endsWith('Progress') && Number(m.value) > 0) return true;"
        " return false; }", timeout=RUN_TIMEOUT)
    page.mouse.move(700, 900)  # away from Run, whose help tooltip covers Cancel
    page.get_by_role("button", name="Cancel", exact=True).click()
    expect(status).to_contain_text("Cancelled", timeout=RUN_TIMEOUT)
    errors.assert_none()
