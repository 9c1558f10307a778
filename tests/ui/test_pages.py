"""Every page opens cleanly, and a bad link says what is wrong instead of failing."""

from __future__ import annotations

import pytest
from playwright.sync_api import Page, expect
from pw_helpers import ConsoleErrors, screenshot, wait_for_page

from nexus_panel.pages.registry import available_pages

PAGE_SLUGS = [entry.slug for entry in available_pages()]


@pytest.mark.parametrize("slug", ["", *PAGE_SLUGS])
def test_page_opens_without_console_errors(page: Page, slug: str) -> None:
    errors = ConsoleErrors(page)
    page.goto(f"/{slug}")
    wait_for_page(page)
    current = slug or "simulate"
    expect(page.locator(f"a.nx-nav-link[data-page={current}]")).to_have_class(
        "nx-nav-link nx-nav-active")
    # every registered page is reachable from the navigation of every page
    for other in PAGE_SLUGS:
        expect(page.locator(f"a.nx-nav-link[data-page={other}]")).to_have_count(1)
    screenshot(page, f"page-{slug or 'home'}")
    errors.assert_none()


def test_bad_link_shows_the_message(page: Page) -> None:
    errors = ConsoleErrors(page)
    page.goto("/simulate?alpha=banana&beta=99&s=not-a-token")
    wait_for_page(page)
    alert = page.locator(".nx-link-alert")
    expect(alert).to_be_visible()
    for text in ("alpha", "'banana'", "beta", "99", "link value s"):
        expect(alert).to_contain_text(text)
    # the page itself still works: the default scenario's plots are there
    expect(page.locator("[data-testid=kpi-final-N]")).to_be_visible()
    screenshot(page, "bad-link")
    errors.assert_none()
