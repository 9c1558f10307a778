"""Sensitivity: Sobol indices, Morris screening, one-at-a-time tornado."""

from __future__ import annotations

import panel as pn

from nexus_panel.pages import site
from nexus_panel.views.analysis_common import analysis_page
from nexus_panel.views.analysis_sensitivity import SensitivityView


def build(ctx: site.PageContext) -> pn.viewable.Viewable:
    pn.extension("tabulator")  # the result tables appear only after Run
    return analysis_page(SensitivityView, ctx)


if __name__.startswith("bokeh_app"):
    site.serve_page_script("sensitivity")
