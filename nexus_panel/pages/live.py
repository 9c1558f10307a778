"""Live: follow, start and steer live runs (one producer per run, every viewer the same
stream); the alert log of the run shown."""

from __future__ import annotations

import panel as pn

from nexus_panel.pages import site
from nexus_panel.storage.live_runs import LiveStore
from nexus_panel.views.live import LiveView


def build(ctx: site.PageContext) -> pn.viewable.Viewable:
    store = ctx.store()
    if store is None:
        return pn.pane.Alert("Live runs need the scenario database, which is not "
                             "available in this installation.", alert_type="warning")
    return LiveView(live=LiveStore(store), scenario=ctx.session.scenario)


if __name__.startswith("bokeh_app"):
    site.serve_page_script("live")
