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


def test_a_narrow_window_folds_the_navigation_into_group_menus(page: Page) -> None:
    from nexus_panel.pages.registry import GROUPS
    from nexus_panel.pages.site import NAV_NARROW_PX

    page.set_viewport_size({"width": 1024, "height": 800})
    assert NAV_NARROW_PX > 1024
    page.goto("/stability")
    wait_for_page(page)
    menus = page.locator(".nx-nav-menu")
    expect(menus).to_have_count(len(GROUPS))
    # one line of menus; the current page's menu names it
    tops = {round(box["y"]) for box in (m.bounding_box() for m in menus.all()) if box}
    assert len(tops) == 1, tops
    expect(page.locator(".nx-nav-group-active .nx-nav-menu")).to_have_text("Analyse: Stability ▾")
    compare = page.locator("a.nx-nav-link[data-page=compare]")
    expect(compare).to_be_hidden()
    page.locator(".nx-nav-group[data-group=Scenarios] .nx-nav-menu").hover()
    expect(compare).to_be_visible()
    compare.click()
    page.wait_for_url("**/compare**")
    wait_for_page(page)
    expect(page.locator(".nx-nav-group-active .nx-nav-menu")).to_have_text("Scenarios: Compare ▾")
    # by keyboard: focusing a menu opens it, Tab walks into its links
    page.locator(".nx-nav-group[data-group=Operate] .nx-nav-menu").focus()
    live = page.locator("a.nx-nav-link[data-page=live]")
    expect(live).to_be_visible()
    page.keyboard.press("Tab")
    expect(live).to_be_focused()
    page.keyboard.press("Enter")
    page.wait_for_url("**/live**")
    # wide again: every link shown, no menus
    page.set_viewport_size({"width": NAV_NARROW_PX, "height": 800})
    expect(menus.first).to_be_hidden()
    for slug in PAGE_SLUGS:
        expect(page.locator(f"a.nx-nav-link[data-page={slug}]")).to_be_visible()
