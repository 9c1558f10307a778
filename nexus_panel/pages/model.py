"""Model: the state equation, a stock-and-flow diagram of the current run, and presets."""

from __future__ import annotations

import panel as pn

from nexus_panel.pages import site
from nexus_panel.views.model_diagram import ModelDiagram
from nexus_panel.views.presets import PresetPicker


def build(ctx: site.PageContext) -> pn.viewable.Viewable:
    return pn.Column(ModelDiagram(session=ctx.session), PresetPicker(session=ctx.session),
                     sizing_mode="stretch_width", css_classes=["nx-model-page"])


if __name__.startswith("bokeh_app"):
    site.serve_page_script("model")
