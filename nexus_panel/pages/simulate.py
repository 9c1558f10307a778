"""Simulate (the home page): the parameter and input editors beside KPIs and the plots."""

from __future__ import annotations

import panel as pn

from nexus_panel.pages import site
from nexus_panel.views.dashboard import Dashboard


def build(ctx: site.PageContext) -> pn.viewable.Viewable:
    return Dashboard(session=ctx.session)


if __name__.startswith("bokeh_app"):
    site.serve_page_script("simulate")
