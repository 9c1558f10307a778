"""The page registry: which pages the site has, their URL slugs, titles and modules.

Adding a page takes a small module and ONE entry below. The module (e.g.
``nexus_panel/pages/compare.py``) defines::

    def build(ctx: PageContext) -> pn.viewable.Viewable: ...   # the page's main content

and ends with the two lines that let ``panel serve <file>`` serve it on its own::

    if __name__.startswith("bokeh_app"):
        site.serve_page_script("compare")

Entries whose module is not present are left out of the navigation (so a page can be
registered before its module lands). Order here is the order of the navigation.

The analysis pages are not listed here: one entry per analysis of
``nexus_panel.analysis.registry.ANALYSES`` is derived (slug = the analysis name, module
``nexus_panel.pages.analysis``, which builds the view the registry names).
"""

from __future__ import annotations

import importlib
import importlib.util
from dataclasses import dataclass
from types import ModuleType

from nexus_panel.analysis.registry import ANALYSES


@dataclass(frozen=True)
class PageEntry:
    slug: str
    """URL path segment: the page is served at ``/<slug>``."""
    title: str
    """Text of the navigation link and the browser tab."""
    module: str
    """Dotted module defining ``build(ctx)``."""
    group: str = "Model"
    """The navigation group (one of :data:`GROUPS`): on a narrow window each group folds
    into one menu, so the header stays one line."""
    admin_only: bool = False
    """Linked in the navigation for admins only (the page itself checks the role too)."""


GROUPS: tuple[str, ...] = ("Model", "Scenarios", "Analyse", "Operate", "Admin")
"""Navigation groups, in order: build and inspect one run; keep, compare and feed
scenarios; the analyses; live operation and deployment; accounts."""


ANALYSIS_PAGE_MODULE = "nexus_panel.pages.analysis"

ANALYSIS_PAGES: tuple[PageEntry, ...] = tuple(
    PageEntry(a.slug, a.title, ANALYSIS_PAGE_MODULE, "Analyse") for a in ANALYSES.values())
"""One page per registered analysis, in the registry's order."""

HOME = "simulate"
"""The page also served at ``/``."""

PAGES: tuple[PageEntry, ...] = (
    PageEntry("simulate", "Simulate", "nexus_panel.pages.simulate"),
    PageEntry("model", "Model", "nexus_panel.pages.model"),
    PageEntry("parameters", "Parameters", "nexus_panel.pages.parameters"),
    PageEntry("signals", "Signals", "nexus_panel.pages.signals"),
    PageEntry("scenarios", "Scenarios", "nexus_panel.pages.scenarios", "Scenarios"),
    PageEntry("compare", "Compare", "nexus_panel.pages.compare", "Scenarios"),
    PageEntry("transfer", "Import / export", "nexus_panel.pages.transfer", "Scenarios"),
    PageEntry("feeds", "Feeds", "nexus_panel.pages.feeds", "Scenarios"),
    *ANALYSIS_PAGES,
    PageEntry("tune", "Tune", "nexus_panel.pages.tune", "Analyse"),
    PageEntry("live", "Live", "nexus_panel.pages.live", "Operate"),
    PageEntry("alerts", "Alerts", "nexus_panel.pages.alerts", "Operate"),
    PageEntry("contracts", "Contracts", "nexus_panel.pages.contracts", "Operate"),
    PageEntry("users", "Users", "nexus_panel.pages.users", "Admin", admin_only=True),
)


def available_pages() -> list[PageEntry]:
    """Registered pages whose module exists, in navigation order."""
    return [p for p in PAGES if importlib.util.find_spec(p.module) is not None]


def page_entry(slug: str) -> PageEntry:
    for entry in available_pages():
        if entry.slug == slug:
            return entry
    raise KeyError(f"no page {slug!r}; pages: {', '.join(p.slug for p in available_pages())}")


def page_module(slug: str) -> ModuleType:
    return importlib.import_module(page_entry(slug).module)
