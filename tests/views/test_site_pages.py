"""The site shell: every page builds, navigation carries the scenario, the address is
rewritten after each change, and a bad link shows an alert naming the bad values."""

from __future__ import annotations

import html
import re
from urllib.parse import parse_qs, urlparse

import pytest
from bokeh.document import Document
from rendering import text as shown_text

from nexus_panel.models import EngineParams
from nexus_panel.pages import site
from nexus_panel.pages.links import decode_scenario
from nexus_panel.pages.registry import GROUPS, HOME, PAGES, available_pages

OWN_PAGES = ("simulate", "parameters", "signals")


def nav_links(site_: site.Site) -> dict[str, str]:
    return {m.group(1): html.unescape(m.group(2)) for m in re.finditer(
        r'data-page="([a-z_]+)"[^>]*href="([^"]+)"', site_.nav.object)}


@pytest.mark.parametrize("slug", OWN_PAGES)
def test_page_builds_into_a_document_and_links_carry_the_scenario(slug: str) -> None:
    page = site.Site(slug, query={"alpha": [b"2.5"], "num_steps": [b"200"]}, loader=None)
    template = page.template()
    template.server_doc(Document())
    assert not page.alert.visible
    links = nav_links(page)
    assert list(links) == [p.slug for p in available_pages()]
    for target, href in links.items():
        url = urlparse(href)
        assert url.path == f"./{target}"
        carried = decode_scenario(parse_qs(url.query)["s"][0])
        assert carried.params.alpha == 2.5 and carried.params.num_steps == 200
    assert f'data-page="{slug}" aria-current=page' in page.nav.object
    assert page.url_sink.value == f"?s={page.token}"


def test_links_and_address_follow_every_change() -> None:
    page = site.Site("simulate", query={}, loader=None)
    page.session.scenario.params.beta = 3.0
    token = parse_qs(page.url_sink.value.lstrip("?"))["s"][0]
    assert decode_scenario(token).params.beta == 3.0
    assert all(decode_scenario(parse_qs(urlparse(h).query)["s"][0]).params.beta == 3.0
               for h in nav_links(page).values())


def test_bad_link_shows_alert_naming_values_and_still_renders() -> None:
    page = site.Site("simulate", query={"alpha": ["99"], "s": ["garbage!"], "x": ["1"]},
                     loader=None)
    page.template().server_doc(Document())
    assert page.alert.visible
    assert "nx-link-alert" in page.alert.css_classes
    text = shown_text(page.alert.object)
    assert "alpha = 99 is not allowed (allowed: a finite number in [0, 5])" in text
    assert "link value s = 'garbage!'" in text
    assert "unknown link parameter 'x'" in text
    assert page.session.result is not None  # the page still runs the default scenario
    assert page.session.scenario.params.to_dict() == EngineParams().to_dict()


def test_routes_serve_every_registered_page_and_home_at_root() -> None:
    routes = site.routes()
    assert set(routes) == {"/"} | {f"/{p.slug}" for p in available_pages()}
    assert {p.slug for p in PAGES} >= set(OWN_PAGES)
    assert HOME == "simulate"
    assert site.titles()["/"] == "Nexus · Simulate"


def test_every_page_is_in_a_navigation_group_and_groups_are_contiguous() -> None:
    groups = [entry.group for entry in PAGES]
    assert set(groups) <= set(GROUPS)
    # the navigation shows groups in registry order: a group split in two would show twice
    firsts = [g for i, g in enumerate(groups) if i == 0 or groups[i - 1] != g]
    assert firsts == list(dict.fromkeys(groups)) == [g for g in GROUPS if g in groups]


def test_render_page_fills_the_session_document() -> None:
    from panel.io.state import set_curdoc

    doc = Document()
    with set_curdoc(doc):
        site.render_page("signals")
    assert doc.title == "Nexus · Signals"
    names = {m.name for m in doc.models if getattr(m, "name", None)}
    assert "nx-source-N" not in names  # the Signals page has previews, not the N(t) plot
    assert any("nx-signal-E" in (getattr(m, "css_classes", None) or []) for m in doc.models)


def test_dark_theme_is_kept_in_every_link_and_a_bad_theme_is_named() -> None:
    from panel.theme import DarkTheme

    page = site.Site("parameters", query={"theme": [b"dark"]}, loader=None)
    template = page.template()
    assert template.theme is DarkTheme
    assert page.theme_button.label == "☀ Light"
    assert parse_qs(page.url_sink.value.lstrip("?"))["theme"] == ["dark"]
    assert all(parse_qs(urlparse(h).query)["theme"] == ["dark"]
               for h in nav_links(page).values())
    light = site.Site("parameters", query={}, loader=None)
    assert "theme" not in light.url_sink.value and light.theme_button.label == "☾ Dark"
    bad = site.Site("parameters", query={"theme": ["neon"]}, loader=None)
    assert bad.template().theme is not DarkTheme
    assert "theme = 'neon' is not allowed (allowed: default or dark)" in shown_text(
        bad.alert.object)
