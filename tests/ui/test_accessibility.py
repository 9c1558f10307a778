"""Issue 10 item 16: slider handles are named after their slider, and the editors' tab
headers are tabs a screen reader announces (role=tab, aria-selected) and a keyboard reaches."""

from __future__ import annotations

from playwright.sync_api import Page, expect
from pw_helpers import ConsoleErrors, wait_for_page


def test_slider_handles_are_named_and_tabs_have_tab_roles(page: Page) -> None:
    errors = ConsoleErrors(page)
    page.goto("/")
    wait_for_page(page)
    expect(page.locator(".nx-param-alpha .noUi-handle").first).to_have_attribute(
        "aria-label", "Issuance gain α")
    expect(page.locator(".nx-param-beta .noUi-handle").first).to_have_attribute(
        "aria-label", "Burn gain β")
    parameters = page.get_by_role("tab", name="Parameters")
    inputs = page.get_by_role("tab", name="Inputs")
    expect(parameters).to_have_attribute("aria-selected", "true")
    expect(inputs).to_have_attribute("aria-selected", "false")
    expect(page.get_by_role("tablist")).to_have_count(1)
    inputs.focus()  # reachable by keyboard (tabindex 0)
    inputs.press("Enter")
    expect(inputs).to_have_attribute("aria-selected", "true")
    expect(parameters).to_have_attribute("aria-selected", "false")
    inputs.press("ArrowLeft")  # back to the neighbouring tab
    expect(parameters).to_have_attribute("aria-selected", "true")
    expect(page.locator(".nx-param-alpha .noUi-handle").first).to_be_visible()
    errors.assert_none()
