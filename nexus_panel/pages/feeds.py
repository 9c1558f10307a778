"""Feeds: define data feeds, fetch them with a preview, their status and snapshots."""

from __future__ import annotations

import panel as pn

from nexus_panel.pages import site
from nexus_panel.pages.scenarios import store_or_alert
from nexus_panel.views.feeds import FeedsView


def build(ctx: site.PageContext) -> pn.viewable.Viewable:
    store, alert = store_or_alert(ctx)
    if alert is not None:
        return alert
    return FeedsView(store=store)


if __name__.startswith("bokeh_app"):
    site.serve_page_script("feeds")
