"""The Tune page in a real browser: run a study, apply its best trial (opens Simulate on the
new revision), reopen it from the studies list's share link, hover the Pareto front,
cancel a long study, and see adaptive gains beat fixed ones on a regime shift."""

from __future__ import annotations

import json
import re
from typing import Any

import pytest
from playwright.sync_api import Page, expect
from pw_helpers import ConsoleErrors, screenshot, wait_for_address, wait_for_page

from nexus_panel.analysis.tuning_spec import TuningSpec
from nexus_panel.models import Scenario
from nexus_panel.pages.links import scenario_query

RUN_TIMEOUT = 90_000
SHIFT = {"name": "ui-tune-shift", "params": {"num_steps": 300},
         "inputs": {"C_cons": {"kind": "step", "initial": 60, "final": 100, "step_at": 100}}}


def _open(page: Page, scenario: dict[str, Any], extra: str = "") -> None:
    page.goto("/tune" + scenario_query(Scenario.from_dict(scenario)) + extra)
    wait_for_page(page)


def _set_study_name(page: Page, name: str) -> None:
    box = page.locator(".nx-study-name input")
    box.fill(name)
    box.press("Enter")


def _run(page: Page, expected: str) -> None:
    page.get_by_role("button", name="Run", exact=True).first.click()
    status = page.locator(".nx-analysis-status").first
    expect(status).to_contain_text(expected, timeout=RUN_TIMEOUT)


def test_run_apply_and_reopen_a_study(page: Page, server_store: Any) -> None:
    errors = ConsoleErrors(page)
    _open(page, SHIFT)
    _set_study_name(page, "ui-gains")
    _run(page, "Done: 100 trials added to 'ui-gains'")
    expect(page.locator(".nx-tune-summary")).to_contain_text("best trial")
    expect(page.get_by_text("Optimisation history")).to_have_count(0)  # drawn on canvas
    screenshot(page, "tune-study")
    page.locator(".nx-apply-trial button").click()
    page.wait_for_url("**/simulate?*", timeout=RUN_TIMEOUT)
    wait_for_page(page)
    revision = server_store.revisions("ui-tune-shift")[-1]
    assert revision.number == 2
    assert "tuning study 'ui-gains'" in revision.message and "trial" in revision.message
    assert revision.params["K_p"] != 0.1  # the tuned gain, not the scenario's own
    # Simulate's link, once the page has written it (the apply opened ?scenario=&rev=)
    shown = wait_for_address(page, lambda sc: sc.name == "ui-tune-shift")
    assert shown.params.to_dict() == revision.params and shown.name == "ui-tune-shift"
    # the studies list links to the study; the link reopens it without running
    _open(page, SHIFT)
    page.locator(".bk-tab", has_text="Studies").click()
    link = page.locator("a.nx-study-link", has_text="ui-gains")
    expect(link).to_have_attribute("href", "./tune?study=ui-gains")
    link.click()
    wait_for_page(page)
    expect(page.locator(".nx-analysis-status").first).to_contain_text(
        "Study ui-gains: 100 trials, as stored.")
    errors.assert_none()


def test_pareto_front_hover_shows_the_parameters(page: Page, server_store: Any) -> None:
    from nexus_panel.storage.studies import StudyStore

    spec = TuningSpec.from_dict({
        "scenario": {**SHIFT, "name": "ui-tune-pareto"}, "n_trials": 60, "batch_size": 20,
        "parameters": [{"parameter": "K_p"}, {"parameter": "K_d"}],
        "objectives": [{"metric": "rms_error"}, {"metric": "volatility_N"}]})
    with StudyStore(server_store) as studies:
        studies.run(spec, "ui-pareto <b>")  # a hostile name is shown as text
    errors = ConsoleErrors(page)
    page.goto("/tune?study=" + "ui-pareto%20%3Cb%3E")
    wait_for_page(page)
    expect(page.locator(".nx-tune-summary")).to_contain_text("ui-pareto <b>")
    tooltips = page.evaluate("""() => {
      const out = [];
      for (const d of Bokeh.documents) for (const m of d.all_models)
        if (m.type === "HoverTool" && Array.isArray(m.tooltips))
          out.push(m.tooltips.map((t) => t[0]));
      return out; }""")
    assert any({"number", "K_p", "K_d"} <= set(t) for t in tooltips), json.dumps(tooltips)
    screenshot(page, "tune-pareto")
    errors.assert_none()


def test_cancel_keeps_the_finished_trials(page: Page, server_store: Any) -> None:
    errors = ConsoleErrors(page)
    _open(page, {**SHIFT, "name": "ui-tune-cancel", "params": {"num_steps": 2000}})
    _set_study_name(page, "ui-cancel")
    members = page.locator(".bk-input-group, .bk-slider-title").filter(has_text="members")
    members.locator(".noUi-handle").first.focus()
    page.keyboard.press("End")  # K = 1,024 members: each batch takes seconds
    expect(members.first).to_contain_text("1024")
    page.get_by_role("button", name="Run", exact=True).first.click()
    page.wait_for_function(
        "() => { for (const d of Bokeh.documents) for (const m of d.all_models)"
        " if (String(m.type).endsWith('Progress') && Number(m.value) > 0) return true;"
        " return false; }", timeout=RUN_TIMEOUT)
    page.mouse.move(700, 900)
    page.get_by_role("button", name="Cancel", exact=True).first.click()
    expect(page.locator(".nx-analysis-status").first).to_contain_text(
        "Cancelled: the study keeps its", timeout=RUN_TIMEOUT)
    from nexus_panel.storage.studies import StudyStore

    with StudyStore(server_store) as studies:
        kept = studies.outcome("ui-cancel").trials
    assert (kept["state"] == "COMPLETE").all() and len(kept) < 100
    errors.assert_none()


@pytest.mark.slow
def test_adaptive_tab_beats_fixed_gains_on_a_regime_shift(page: Page) -> None:
    errors = ConsoleErrors(page)
    _open(page, {**SHIFT, "name": "ui-adaptive", "params": {"num_steps": 1000},
                 "inputs": {"C_cons": {"kind": "step", "initial": 60, "final": 120,
                                       "step_at": 500}}})
    page.locator(".bk-tab", has_text="Adaptive control").click()
    page.get_by_role("button", name="Run", exact=True).last.click()
    status = page.locator(".nx-analysis-status").last
    expect(status).to_contain_text("adaptive vs", timeout=RUN_TIMEOUT)
    text = status.evaluate("e => (e.shadowRoot || e).textContent")
    found = re.search(r"RMS error ([\d.]+) adaptive vs ([\d.]+) fixed", text)
    assert found is not None, text
    adaptive, fixed = float(found.group(1)), float(found.group(2))
    assert adaptive < fixed
    screenshot(page, "tune-adaptive")
    errors.assert_none()
