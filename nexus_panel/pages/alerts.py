"""Alerts: the alert log of every live run (filters by run, severity and event; CSV), for
every role. ``?run=NAME`` opens it filtered to one run, and the page keeps the filter in
its address so the link can be shared."""

from __future__ import annotations

import panel as pn

from nexus_panel.pages import site
from nexus_panel.pages.scenarios import store_or_alert
from nexus_panel.storage.live_runs import LiveStore
from nexus_panel.views.alert_log import AlertLogView


def build(ctx: site.PageContext) -> pn.viewable.Viewable:
    store, alert = store_or_alert(ctx)
    if alert is not None:
        return alert
    return AlertLogView(live=LiveStore(store), run=ctx.link.page_args.get("run"),
                        on_run=lambda run: ctx.set_url_arg("run", run))


if __name__.startswith("bokeh_app"):
    site.serve_page_script("alerts")
