"""Monte Carlo of the session's scenario: fan chart, histograms, linked scatter, stats."""

from __future__ import annotations

import panel as pn

from nexus_panel.pages import site
from nexus_panel.views.analysis_mc import MonteCarloView


def build(ctx: site.PageContext) -> pn.viewable.Viewable:
    pn.extension("tabulator")  # the result tables appear only after Run
    return MonteCarloView(session=ctx.session)


if __name__.startswith("bokeh_app"):
    site.serve_page_script("montecarlo")
