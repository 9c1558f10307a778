"""Network economy: heterogeneous agents on a graph, their aggregates and inequality."""

from __future__ import annotations

import panel as pn

from nexus_panel.pages import site
from nexus_panel.views.analysis_common import analysis_page
from nexus_panel.views.analysis_network import NetworkView


def build(ctx: site.PageContext) -> pn.viewable.Viewable:
    pn.extension("tabulator")  # the result tables appear only after Run
    return analysis_page(NetworkView, ctx)


if __name__.startswith("bokeh_app"):
    site.serve_page_script("network")
