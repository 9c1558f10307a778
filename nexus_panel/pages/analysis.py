"""Every analysis page: the view its registry entry names.

One module for all of them (``nexus_panel.analysis.registry.ANALYSES``): the page's slug
is the analysis name, so a new analysis gets its page, URL and navigation link from its
registry entry alone. ``panel serve nexus_panel/pages/analysis.py`` serves the analysis
named by ``?page=<name>`` (default: the first one) at ``/analysis``.
"""

from __future__ import annotations

import importlib

import panel as pn

from nexus_panel.analysis.registry import ANALYSES, Analysis
from nexus_panel.pages import site
from nexus_panel.views.analysis_common import AnalysisView, analysis_page


def view_class(entry: Analysis) -> type[AnalysisView]:
    """The view class named by ``entry.view`` (``"module:Class"``)."""
    module, _, name = entry.view.partition(":")
    return getattr(importlib.import_module(module), name)


def build(ctx: site.PageContext) -> pn.viewable.Viewable:
    pn.extension("tabulator")  # the result tables appear only after Run
    return analysis_page(view_class(ANALYSES[ctx.slug]), ctx)


def requested_analysis() -> str:
    """``?page=<analysis>`` of the request (``panel serve`` of this file), else the first
    registered analysis."""
    raw = site.request_query().get("page", [b""])[0]
    name = raw.decode(errors="replace") if isinstance(raw, bytes) else str(raw)
    return name if name in ANALYSES else next(iter(ANALYSES))


if __name__.startswith("bokeh_app"):
    site.serve_page_script(requested_analysis())
