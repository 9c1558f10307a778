"""Live: follow, start and steer live runs (one producer per run, every viewer the same
stream); the alert log of the run shown. ``?run=NAME`` follows that run, and the page
keeps the run followed in its address. Viewers follow; editors (and admins) also get
the controls, which the store checks again on every click."""

from __future__ import annotations

import panel as pn

from nexus_panel.pages import site
from nexus_panel.pages.scenarios import store_or_alert
from nexus_panel.storage.live_runs import LiveStore
from nexus_panel.views.live import LiveView


def build(ctx: site.PageContext) -> pn.viewable.Viewable:
    store, alert = store_or_alert(ctx)
    if alert is not None:
        return alert
    return LiveView(live=LiveStore(store), scenario=ctx.session.scenario,
                    controls=ctx.identity.local or ctx.identity.role != "viewer",
                    run=ctx.link.page_args.get("run"),
                    on_run=lambda run: ctx.set_url_arg("run", run))


if __name__.startswith("bokeh_app"):
    site.serve_page_script("live")
