"""Signals: the six inputs, each with its kind, that kind's parameters and a live preview."""

from __future__ import annotations

import panel as pn

from nexus_panel.pages import site
from nexus_panel.views.kpis import KpiCards
from nexus_panel.views.signal_editor import InputsEditor


def build(ctx: site.PageContext) -> pn.viewable.Viewable:
    return pn.Column(KpiCards(session=ctx.session),
                     InputsEditor(session=ctx.session, layout="grid"),
                     sizing_mode="stretch_width")


if __name__.startswith("bokeh_app"):
    site.serve_page_script("signals")
