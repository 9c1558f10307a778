"""Compare: overlay the outputs of 2–5 saved scenarios or revisions, with a table of the
parameters in which they differ."""

from __future__ import annotations

import panel as pn

from nexus_panel.pages import site
from nexus_panel.pages.scenarios import store_or_alert
from nexus_panel.views.compare import CompareView


def build(ctx: site.PageContext) -> pn.viewable.Viewable:
    store, alert = store_or_alert(ctx)
    if alert is not None:
        return alert
    return CompareView(store=store, session=ctx.session)


if __name__.startswith("bokeh_app"):
    site.serve_page_script("compare")
