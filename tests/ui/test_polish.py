"""Issue 10 (product polish) in the browser: the Scenarios page's revision picker,
history rows, stored description and stored runs; the parameter boxes' refusals and
precision; the honest conservation card."""

from __future__ import annotations

from typing import Any

from playwright.sync_api import Page, expect
from pw_helpers import ConsoleErrors, screenshot, wait_for_page
from test_scenarios import click, fill, row, unique
from test_simulate import scenario_in

from nexus_panel import EngineParams, Scenario


def test_picker_keeps_the_loaded_revision_and_history_rows_pick_the_diff(
        page: Page, server_store: Any) -> None:
    errors = ConsoleErrors(page)
    name = unique("ui-picker")
    server_store.save(Scenario(name=name, params=EngineParams(alpha=1.5)), message="one")
    server_store.save(Scenario(name=name, params=EngineParams(alpha=3.0)), message="two")
    page.goto("/scenarios")
    wait_for_page(page)
    fill(page, ".nx-search", name)
    expect(page.locator(".nx-scenario-list .tabulator-row")).to_have_count(1)
    row(page, name).click()
    picker = page.locator(".nx-revision select")
    expect(picker).to_have_value("2")
    picker.select_option("1")
    click(page, ".nx-load")
    expect(page.locator(".nx-scenarios-message")).to_contain_text(f"Loaded '{name}' revision 1")
    page.wait_for_timeout(300)
    expect(picker).to_have_value("1")  # was 2: the page jumped back to the latest
    assert scenario_in(page.url).params.alpha == 1.5

    page.locator(".nx-revisions .tabulator-row", has_text="two").click()
    expect(page.locator(".nx-revision-diff")).to_contain_text(
        "Changes in revision 2 (from 1)")
    expect(page.locator(".nx-revision-diff")).to_contain_text("alpha: 1.5 → 3")
    expect(picker).to_have_value("2")
    errors.assert_none()


def test_saving_over_a_stored_name_keeps_its_description_and_stores_the_run(
        page: Page, server_store: Any) -> None:
    name = unique("ui-described")
    server_store.save(Scenario(name=name, description="the baseline for the board"))
    page.goto("/scenarios?alpha=2.5")  # a fresh page: no name, no description
    wait_for_page(page)
    fill(page, ".nx-save-name", name)
    expect(page.locator(".nx-save-description textarea")).to_have_value(
        "the baseline for the board")
    click(page, ".nx-save")
    click(page, ".nx-conflict-overwrite")  # it exists and the page did not start from it
    expect(page.locator(".nx-scenarios-message")).to_contain_text(
        f"Saved '{name}' as revision 2")
    assert server_store.revision(name).description == "the baseline for the board"
    [run] = server_store.runs(name)
    assert (run.revision, run.summary["final_N"]) == (2, run.summary["final_N"])
    runs = page.locator(".nx-runs")
    expect(runs).to_contain_text("final N (tokens)")
    expect(runs).to_contain_text(f"{run.summary['final_N']:,.2f}")
    screenshot(page, "scenarios-stored-runs")


def test_a_number_typed_outside_the_bounds_says_why(page: Page) -> None:
    page.goto("/parameters")
    wait_for_page(page)
    box = page.locator(".nx-param-alpha .slider-edit input").first
    box.fill("99")
    box.press("Enter")
    refusal = page.locator(".nx-param-alpha .nx-input-error")
    expect(refusal).to_be_visible()
    expect(refusal).to_have_text(
        "1 invalid value: alpha = 99 (allowed: a finite number in [0, 5])")
    expect(box).to_have_value("1.0")
    handle = page.locator(".nx-param-alpha .noUi-handle").first
    assert float(handle.get_attribute("aria-valuemax") or "nan") == 5.0  # not widened to 99
    box.fill("4.5")
    box.press("Enter")
    page.wait_for_function("() => window.location.search.includes('s=')")
    expect(refusal).to_be_hidden()
    deadline = 50
    while scenario_in(page.url).params.alpha != 4.5 and deadline:
        page.wait_for_timeout(100)
        deadline -= 1
    assert scenario_in(page.url).params.alpha == 4.5
    screenshot(page, "parameters-refusal")


def test_k_i_steps_show_three_decimals_and_links_hold_clean_values(page: Page) -> None:
    page.goto("/parameters")
    wait_for_page(page)
    handle = page.locator(".nx-param-K_i .noUi-handle").first
    handle.focus()
    box = page.locator(".nx-param-K_i .slider-edit input").first
    for shown in ("0.011", "0.012", "0.013"):  # one step at a time: each press round-trips
        handle.press("ArrowRight")
        expect(box).to_have_value(shown)
    deadline = 50
    while scenario_in(page.url).params.K_i < 0.0125 and deadline:
        page.wait_for_timeout(100)
        deadline -= 1
    assert repr(scenario_in(page.url).params.K_i) == "0.013"


def test_clamp_top_ups_turn_the_conservation_card_amber(page: Page) -> None:
    page.goto("/?num_steps=1&N_initial=0&alpha=0&eta=0&K_p=0&K_i=0&K_d=0")
    wait_for_page(page)
    card = page.locator(".nx-kpi-conservation")
    expect(card).to_have_class("nx-kpi nx-kpi-conservation nx-kpi-warn")
    expect(page.locator("[data-testid=kpi-conservation]")).to_have_text("top-ups +4.20 tokens")
    expect(page.locator("[data-testid=kpi-target-gap]")).to_have_text("-1,000.00")
