"""Tune: tuning studies of the session's scenario (run, inspect, apply), the studies list
with share links, and adaptive PID control on a receding horizon."""

from __future__ import annotations

import panel as pn

from nexus_panel.pages import site
from nexus_panel.views.tuning import AdaptiveView, TuneView


def build(ctx: site.PageContext) -> pn.viewable.Viewable:
    pn.extension("tabulator")  # the result tables appear only after Run
    tune = TuneView(session=ctx.session, store=ctx.store, url_arg=ctx.set_url_arg)
    name = ctx.link.page_args.get("study")
    if name is not None:
        tune.open_study(name)
    adaptive = AdaptiveView(session=ctx.session)
    return pn.Tabs(("Study", tune), ("Studies", tune.studies_panel()),
                   ("Adaptive control", adaptive), dynamic=False,
                   sizing_mode="stretch_width")


if __name__.startswith("bokeh_app"):
    site.serve_page_script("tune")
