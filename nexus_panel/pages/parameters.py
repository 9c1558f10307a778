"""Parameters: every engine parameter, grouped, with symbol, range and help text, and the
KPI cards so the effect of a change is visible here too."""

from __future__ import annotations

import panel as pn

from nexus_panel.pages import site
from nexus_panel.views.kpis import KpiCards
from nexus_panel.views.param_editor import ParameterEditor


def build(ctx: site.PageContext) -> pn.viewable.Viewable:
    return pn.Column(KpiCards(session=ctx.session),
                     ParameterEditor(session=ctx.session, detailed=True),
                     sizing_mode="stretch_width")


if __name__.startswith("bokeh_app"):
    site.serve_page_script("parameters")
