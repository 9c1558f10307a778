"""Each analysis runs from its page in a real browser and draws its charts."""

from __future__ import annotations

import pytest
from playwright.sync_api import Page, expect
from pw_helpers import ConsoleErrors, screenshot, wait_for_bokeh

RUN_TIMEOUT = 60_000

# The scenario of every page comes from its link: 200 steps keeps the runs quick.
LINK = "?num_steps=200"


def run_page(page: Page, slug: str) -> None:
    page.goto(f"/{slug}{LINK}")
    wait_for_bokeh(page)
    page.get_by_role("button", name="Run", exact=True).click()
    expect(page.locator(".nx-analysis-status")).to_contain_text("Done:", timeout=RUN_TIMEOUT)


def glyph_count(page: Page) -> int:
    return page.evaluate("""() => {
      let n = 0;
      for (const doc of Bokeh.documents)
        for (const m of doc.all_models) if (m.type === "GlyphRenderer") n += 1;
      return n;
    }""")


@pytest.mark.parametrize(("slug", "glyphs"), [
    ("stability", 2), ("controller", 4), ("sensitivity", 0)])
def test_analysis_page_runs_and_draws(page: Page, slug: str, glyphs: int) -> None:
    errors = ConsoleErrors(page)
    if slug == "sensitivity":
        page.goto(f"/{slug}{LINK}")
        wait_for_bokeh(page)
        pytest.skip("needs parameters chosen first: covered by the Monte Carlo flow below")
    run_page(page, slug)
    page.wait_for_function(f"() => (() => {{ let n = 0; for (const d of Bokeh.documents) "
                           f"for (const m of d.all_models) if (m.type === 'GlyphRenderer') "
                           f"n += 1; return n; }})() >= {glyphs}", timeout=RUN_TIMEOUT)
    screenshot(page, f"analysis-{slug}")
    errors.assert_none()


def test_monte_carlo_with_a_sampled_parameter(page: Page) -> None:
    errors = ConsoleErrors(page)
    page.goto(f"/montecarlo{LINK}")
    wait_for_bokeh(page)
    page.get_by_role("button", name="Add", exact=True).click()  # first choice: alpha
    expect(page.get_by_text("Distribution").first).to_be_visible()
    before = glyph_count(page)
    run_page(page, "montecarlo")
    expect(page.locator(".nx-analysis-status")).to_contain_text("1,000 runs")
    page.wait_for_function(f"() => {{ let n = 0; for (const d of Bokeh.documents) "
                           f"for (const m of d.all_models) if (m.type === 'GlyphRenderer') "
                           f"n += 1; return n > {before + 3}; }}", timeout=RUN_TIMEOUT)
    expect(page.get_by_text("95 % confidence interval").first).to_be_visible()
    screenshot(page, "analysis-montecarlo")
    errors.assert_none()
