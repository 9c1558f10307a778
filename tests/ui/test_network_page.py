"""The Network page in a real browser: run with progress, the summary and plots appear
(the drawn graph's nodes coloured by holdings), a bad edge-list upload names its line and
changes nothing, and a saved network reopens from its link without rerunning."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

from playwright.sync_api import Browser, Page, expect
from pw_helpers import ConsoleErrors, screenshot, wait_for_bokeh, wait_for_drawn
from test_analysis_pages import RUN_TIMEOUT, open_page, run_and_wait


def summary(page: Page) -> str:
    """The summary line as shown (its text lives in the pane's shadow root)."""
    host = page.locator(".nx-network-summary").first
    host.wait_for(timeout=RUN_TIMEOUT)
    return str(host.evaluate("(e) => (e.shadowRoot || e).textContent"))


def test_network_page_runs_uploads_saves_and_reopens(  # noqa: PLR0917 (pytest fixtures)
        page: Page, browser: Browser, base_url: str, server_store: Any, tmp_path: Path,
        browser_context_args: dict[str, Any]) -> None:
    errors = ConsoleErrors(page)
    open_page(page, "network")
    bad = tmp_path / "edges.csv"
    bad.write_text("source,target\n0,1\n1,5000\n")
    page.locator(".nx-upload-edges input[type=file]").set_input_files(str(bad))
    expect(page.get_by_text("edges.csv line 3 = [1, 5000]").first).to_be_visible(
        timeout=RUN_TIMEOUT)
    expect(page.locator(".nx-upload-note")).to_have_text("")

    good = tmp_path / "ring.csv"
    good.write_text("source,target,weight\n" + "".join(f"{i},{(i + 1) % 1000},1\n"
                                                      for i in range(1000)))
    page.locator(".nx-upload-edges input[type=file]").set_input_files(str(good))
    expect(page.locator(".nx-upload-note")).to_contain_text("Edge list ring.csv: 1,000 rows")
    run_and_wait(page, "1 run ")
    text = summary(page)
    assert "1,000 agents, 1,000 edges, 1 component(s), 200 steps" in text
    expect(page.get_by_text("Lorenz curves").first).to_be_visible()
    wait_for_drawn(page)
    screenshot(page, "analysis-network")
    errors.assert_none()

    name_box = page.locator(".nx-save-name input")
    name_box.fill("ui analysis")  # an unnamed scenario is not saved (issue 10, item 2)
    name_box.press("Enter")
    page.locator(".nx-save-analysis button").click()
    expect(page.locator(".nx-analysis-status")).to_contain_text("Saved as analysis",
                                                                timeout=RUN_TIMEOUT)
    page.wait_for_url(re.compile(r"[?&]analysis=\d+"), timeout=RUN_TIMEOUT)
    analysis_id = int(re.search(r"[?&]analysis=(\d+)", page.url).group(1))  # type: ignore[union-attr]
    assert server_store.analysis_info(analysis_id).kind == "network"

    fresh = browser.new_context(**{**browser_context_args, "base_url": base_url})
    try:
        other = fresh.new_page()
        other_errors = ConsoleErrors(other)
        other.goto(f"/network?analysis={analysis_id}")
        wait_for_bokeh(other)
        expect(other.locator(".nx-analysis-status")).to_contain_text("not rerun",
                                                                     timeout=RUN_TIMEOUT)
        assert summary(other) == text
        other_errors.assert_none()
    finally:
        fresh.close()
