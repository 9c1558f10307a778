"""Controller view: the response of N to a shock for several PID gain sets."""

from __future__ import annotations

import panel as pn

from nexus_panel.pages import site
from nexus_panel.views.analysis_common import analysis_page
from nexus_panel.views.analysis_controller import ControllerView


def build(ctx: site.PageContext) -> pn.viewable.Viewable:
    pn.extension("tabulator")  # the result tables appear only after Run
    return analysis_page(ControllerView, ctx)


if __name__.startswith("bokeh_app"):
    site.serve_page_script("controller")
