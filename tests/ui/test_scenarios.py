"""Scenarios and Compare pages: save, list after reload, history diff, load, delete and
restore, and an overlay of two saved scenarios."""

from __future__ import annotations

import uuid
from typing import Any

from playwright.sync_api import Page, expect
from pw_helpers import (
    ConsoleErrors,
    legend_labels,
    screenshot,
    sources,
    wait_for_address,
    wait_for_page,
)

from nexus_panel import EngineParams, Scenario


def unique(prefix: str) -> str:
    return f"{prefix}-{uuid.uuid4().hex[:6]}"


def fill(page: Page, css: str, text: str) -> None:
    box = page.locator(f"{css} input, {css} textarea").first
    box.fill(text)
    box.press("Enter") if box.evaluate("e => e.tagName") == "INPUT" else box.blur()


def click(page: Page, css: str) -> None:
    page.locator(f"{css} button").first.click()


def row(page: Page, name: str) -> Any:
    return page.locator(".nx-scenario-list .tabulator-row", has_text=name)


def test_saved_scenario_is_listed_after_reload_with_history_and_load(
        page: Page, server_store: Any) -> None:
    errors = ConsoleErrors(page)
    name = unique("ui-saved")
    page.goto("/scenarios?alpha=2.2")
    wait_for_page(page)
    fill(page, ".nx-save-name", name)
    fill(page, ".nx-save-message", "first try")
    click(page, ".nx-save")
    expect(page.locator(".nx-scenarios-message")).to_contain_text(f"Saved '{name}' as revision 1")

    page.reload()
    wait_for_page(page)
    expect(row(page, name)).to_have_count(1)
    assert server_store.load(name).params.alpha == 2.2

    # a second revision written elsewhere shows up with a diff of what changed
    server_store.save(server_store.load(name).copy(), message="kept")
    changed = server_store.load(name)
    changed.params.alpha = 3.0
    server_store.save(changed, message="more issuance")
    page.reload()
    wait_for_page(page)
    row(page, name).click()
    expect(page.locator(".nx-revisions")).to_contain_text("more issuance")
    expect(page.locator(".nx-revision-diff")).to_contain_text("alpha: 2.2 → 3")

    # loading revision 2 puts alpha = 3 into the page and the address bar
    click(page, ".nx-load")
    expect(page.locator(".nx-scenarios-message")).to_contain_text(f"Loaded '{name}' revision 2")
    loaded = wait_for_address(page, lambda s: s.params.alpha == 3.0)
    assert loaded.name == name
    screenshot(page, "scenarios-history")
    errors.assert_none()


def test_delete_asks_first_then_restore_brings_it_back(page: Page, server_store: Any) -> None:
    name = unique("ui-delete")
    server_store.save(Scenario(name=name, description="to be deleted"), message="v1")
    page.goto("/scenarios")
    wait_for_page(page)
    fill(page, ".nx-search", name)
    # wait, as a user would, until the list shows only the match before clicking it
    expect(page.locator(".nx-scenario-list .tabulator-row")).to_have_count(1)
    row(page, name).click()
    click(page, ".nx-delete")
    expect(page.locator(".nx-delete-confirmation")).to_contain_text(f"Delete '{name}'?")
    assert server_store.exists(name) and not server_store.get(name).deleted
    screenshot(page, "scenarios-confirm-delete")
    click(page, ".nx-confirm-delete")
    expect(row(page, name)).to_have_count(0)
    assert server_store.get(name).deleted

    page.locator(".nx-show-deleted input").check()
    expect(row(page, name)).to_have_count(1)
    row(page, name).click()
    screenshot(page, "scenarios-deleted-list")
    click(page, ".nx-restore")
    expect(page.locator(".nx-scenarios-message")).to_contain_text(f"Restored '{name}'")
    assert not server_store.get(name).deleted


def test_duplicate_and_parameter_range_filter(page: Page, server_store: Any) -> None:
    tag = unique("ui-range")
    server_store.save(Scenario(name=f"{tag}-low", params=EngineParams(kappa=0.002)))
    server_store.save(Scenario(name=f"{tag}-high", params=EngineParams(kappa=0.09)))
    page.goto("/scenarios")
    wait_for_page(page)
    fill(page, ".nx-search", tag)
    expect(page.locator(".nx-scenario-list .tabulator-row")).to_have_count(2)
    page.locator(".nx-filter-param select").select_option("kappa")
    fill(page, ".nx-filter-min", "0.05")
    expect(row(page, f"{tag}-high")).to_have_count(1)
    expect(row(page, f"{tag}-low")).to_have_count(0)

    row(page, f"{tag}-high").click()
    fill(page, ".nx-duplicate-name", f"{tag}-high-copy")
    click(page, ".nx-duplicate")
    expect(row(page, f"{tag}-high-copy")).to_have_count(1)
    assert server_store.load(f"{tag}-high-copy").params.kappa == 0.09
    screenshot(page, "scenarios-filtered")


def test_compare_two_saved_scenarios_shows_both_curves(page: Page, server_store: Any) -> None:
    errors = ConsoleErrors(page)
    a, b = unique("cmp-a"), unique("cmp-b")
    server_store.save(Scenario(name=a))
    server_store.save(Scenario(name=b, params=EngineParams(alpha=2.5, beta=0.8)))
    page.goto("/compare")
    wait_for_page(page)
    page.locator(".nx-compare-choices select").select_option(label=[a, b])
    page.wait_for_function(
        "([a, b]) => { const labels = []; for (const m of Bokeh.documents[0].all_models)"
        " if (m.type === 'LegendItem') labels.push(String(m.label?.value ?? m.label));"
        " return labels.includes(a) && labels.includes(b); }", arg=[a, b], timeout=20_000)
    page.mouse.move(5, 5)  # no hover markers in the screenshot
    labels = legend_labels(page)
    assert labels.count(a) >= 5 and labels.count(b) >= 5  # one per plotted output
    curves = [s["y"] for s in sources(page, "N") if len(s["y"]) == 1001]
    assert len(curves) == 2 and curves[0] != curves[1]
    diff = page.locator(".nx-compare-diff")
    expect(diff).to_contain_text("alpha")
    expect(diff).to_contain_text("beta")
    expect(diff).not_to_contain_text("kappa")
    screenshot(page, "compare-two")
    errors.assert_none()
