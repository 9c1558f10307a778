"""Editors for the six input signals: a kind selector, that kind's parameters, a preview.

Which parameters a kind uses comes from ``Signal.kind_params`` (declared on the
parameters), so switching the kind shows exactly the fields that matter. Widgets are made
once per parameter and reused, so switching back and forth keeps their bindings. The
preview redraws only when its own signal (or the run length / time step) changes, never
on unrelated edits, to keep slider-to-plot latency low on the Simulate page.
"""

from __future__ import annotations

from typing import Any

import holoviews as hv
import holoviews.plotting.bokeh  # registers the Bokeh backend's options (no notebook output)
import numpy as np
import panel as pn
import param
from panel.viewable import Viewer

from nexus_panel.models import INPUT_NAMES, KINDS, Inputs, Signal
from nexus_panel.models.declared import field_names
from nexus_panel.session import ScenarioSession
from nexus_panel.views import safe
from nexus_panel.views.palettes import SERIES
from nexus_panel.views.param_editor import SMALL_BUTTON
from nexus_panel.views.series import reduce_columns
from nexus_panel.views.widgets import param_widget

SIGNAL_FIELDS = tuple(field_names(Signal))


def signal_series(signal: Signal, num_steps: int, delta_t: float) -> dict[str, np.ndarray]:
    """Time and value of ``signal`` over a run, reduced for display."""
    values = signal.generate(num_steps, delta_t)
    columns = {"t": np.arange(num_steps) * delta_t, "value": values}
    return reduce_columns(columns, ["t", "value"])


class SignalEditor(Viewer):
    """One input: kind, the kind's parameters and a live preview of the series."""

    session = param.ClassSelector(class_=ScenarioSession, doc="The session being edited.")
    input_name = param.Selector(default="H", objects=list(INPUT_NAMES),
                                doc="Which of the six inputs this edits.")
    preview_height = param.Integer(default=140, bounds=(60, 600), doc="Preview height (px).")

    def __init__(self, **params: Any) -> None:
        super().__init__(**params)
        self._signal: Signal = getattr(self.session.scenario.inputs, self.input_name)
        self._widgets: dict[str, pn.viewable.Viewable] = {}
        prefix = f"signal-{self.input_name}"
        kind = self._signal.param.kind
        self._kind = pn.widgets.Select.from_param(
            kind, css_classes=[f"nx-{prefix}-kind"], sizing_mode="stretch_width",
            # The generators only: a feed needs a stored snapshot (the Feeds page, CLI).
            options={k.replace("_", " "): k for k in KINDS}, description=kind.doc)
        self._fields = pn.Column(sizing_mode="stretch_width", margin=0)
        self._signal.param.watch(self._on_kind, "kind")
        self._show_kind_fields()
        reset = pn.widgets.Button(label="↺ Reset", color="light", width=90,
                                  css_classes=[f"nx-reset-{prefix}"], margin=(2, 5),
                                  stylesheets=[SMALL_BUTTON])
        reset.on_click(lambda _event: self.session.reset_inputs([self.input_name]))
        title = Inputs.param[self.input_name].label
        self._layout = pn.Column(
            pn.Row(pn.pane.Markdown(safe.md("**{title}**", title=title), margin=(8, 5, 0, 5)),
                   pn.layout.HSpacer(), reset, margin=0),
            self._kind, self._fields, self._preview_pane(),
            css_classes=["nx-signal-editor", f"nx-{prefix}"], sizing_mode="stretch_width",
        )

    def _field_widget(self, name: str) -> pn.viewable.Viewable:
        if name not in self._widgets:
            # Level sliders span the input's own domain (E: 0-1), not the generic range.
            span = Signal.slider_range(name, *Inputs.domain(self.input_name))
            options = {} if span is None else dict(zip(("start", "end", "step"), span,
                                                        strict=True))
            self._widgets[name] = param_widget(
                self._signal.param[name], css_prefix=f"signal-{self.input_name}", **options)
        return self._widgets[name]

    def _show_kind_fields(self) -> None:
        self._fields.objects = [self._field_widget(n)
                                for n in Signal.kind_params(self._signal.kind)]

    def _on_kind(self, _event: param.parameterized.Event) -> None:
        self._show_kind_fields()

    def _curve(self, **_changed: Any) -> hv.Curve:
        engine = self.session.scenario.params
        data = signal_series(self._signal, engine.num_steps, engine.delta_t)
        return hv.Curve((data["t"], data["value"]), "t", (self.input_name, self.input_name))

    def _preview_pane(self) -> pn.pane.HoloViews:
        engine = self.session.scenario.params
        deps = {n: self._signal.param[n] for n in SIGNAL_FIELDS}
        deps.update(num_steps=engine.param.num_steps, delta_t=engine.param.delta_t)
        dmap = hv.DynamicMap(pn.bind(self._curve, **deps)).opts(
            responsive=True, height=self.preview_height, framewise=True, toolbar=None,
            color=SERIES["preview"], line_width=1.5, xlabel="time t", ylabel="",
            default_tools=[], tools=[], show_grid=True)
        return pn.pane.HoloViews(dmap, sizing_mode="stretch_width", linked_axes=False,
                                 css_classes=[f"nx-signal-{self.input_name}-preview"])

    def __panel__(self) -> pn.Column:
        return self._layout


class InputsEditor(Viewer):
    """All six input editors: stacked in a grid, or one at a time behind a picker."""

    session = param.ClassSelector(class_=ScenarioSession, doc="The session being edited.")
    layout = param.Selector(default="picker", objects=["picker", "grid"],
                            doc="'picker': one input at a time; 'grid': all six at once.")

    def __init__(self, **params: Any) -> None:
        super().__init__(**params)
        self._editors: dict[str, SignalEditor] = {}
        reset_all = pn.widgets.Button(label="↺ Reset all inputs",
                                      color="light", css_classes=["nx-reset-inputs"],
                                      sizing_mode="stretch_width")
        reset_all.on_click(lambda _event: self.session.reset_inputs())
        if self.layout == "grid":
            body: pn.viewable.Viewable = pn.GridBox(
                *[pn.Card(self._editor(n), hide_header=True, margin=6) for n in INPUT_NAMES],
                ncols=3, sizing_mode="stretch_width")
        else:
            picker = pn.widgets.RadioButtonGroup(
                options=list(INPUT_NAMES), value=INPUT_NAMES[0], color="primary",
                variant="outline", css_classes=["nx-input-picker"],
                sizing_mode="stretch_width")
            body = pn.Column(picker, pn.bind(self._editor, picker), sizing_mode="stretch_width",
                             margin=0)
        self._layout = pn.Column(reset_all, body, sizing_mode="stretch_width",
                                 css_classes=["nx-inputs-editor"])

    def _editor(self, name: str) -> SignalEditor:
        if name not in self._editors:
            self._editors[name] = SignalEditor(session=self.session, input_name=name)
        return self._editors[name]

    def __panel__(self) -> pn.Column:
        return self._layout
