"""Controller page content: N(t) and Phi(t) after a shock for several gain sets, and their
rise time, settling time, overshoot, steady-state error and saturation side by side."""

from __future__ import annotations

from typing import Any

import holoviews as hv
import holoviews.plotting.bokeh  # registers the backend that .opts targets
import panel as pn
import param

from nexus_panel.analysis.controller import GAINS, ControllerResult, GainSet
from nexus_panel.views import labels, palettes, safe
from nexus_panel.views.analysis_common import AnalysisView, param_form, result_table
from nexus_panel.views.png_export import savable


def response_plots(result: ControllerResult) -> hv.Layout:
    shock_t = result.shock_step * result.runs[0].scenario.params.delta_t
    target = result.runs[0].scenario.params.N_target
    panels = []
    colours = palettes.categorical(len(result.runs))
    time = hv.Dimension("t", label=labels.AXES["t"])
    for column, title in (("N", "N(t) after the shock"), ("Phi", "Controller output Φ(t)")):
        value = hv.Dimension(column, label=labels.AXES[column])
        curves = [hv.Curve(run.frame, time, value, label=label).opts(color=colours[i])
                  for i, (label, run) in enumerate(zip(result.labels, result.runs, strict=True))]
        marks = hv.VLine(shock_t).opts(color="grey", line_dash="dashed")
        if column == "N":
            marks = marks * hv.HSpan(target * 0.98, target * 1.02).opts(color="grey", alpha=0.15)
        panels.append((hv.Overlay(curves) * marks).opts(
            title=title, responsive=True, height=280, legend_position="right", show_grid=True))
    return savable(hv.Layout(panels).cols(1).opts(shared_axes=True), "controller", "responses")


class ControllerView(AnalysisView):
    """Compare PID gain sets on one shock."""

    analysis = "controller"

    add_current = param.Event(label="Add the scenario's gains",
                              doc="Append the session's current K_p, K_i, K_d as a gain set.")
    remove_last = param.Event(label="Remove last", doc="Drop the last gain set.")
    version = param.Integer(default=0, precedence=-1)

    @param.depends("add_current", watch=True)
    def _on_add_current(self) -> None:
        scenario = self.session.snapshot() if self.session is not None else self.spec.base_scenario
        gains = {g: getattr(scenario.params, g) for g in GAINS}
        self.spec.gain_sets = [*self.spec.gain_sets, GainSet(**gains)]
        self.version += 1

    @param.depends("remove_last", watch=True)
    def _on_remove_last(self) -> None:
        self.spec.gain_sets = self.spec.gain_sets[:-1]
        self.version += 1

    def spec_replaced(self) -> None:
        self.version += 1

    @param.depends("version")
    def _gain_forms(self) -> pn.Column:
        return pn.Column(*[param_form(g, name=f"Gain set {i + 1}")
                           for i, g in enumerate(self.spec.gain_sets)])

    def extra_controls(self) -> list[Any]:
        return [pn.pane.Markdown("**Gain sets** (none: the scenario's gains)"),
                pn.Param(self, parameters=["add_current", "remove_last"], show_name=False,
                         default_layout=pn.Row), self._gain_forms]

    def charts(self) -> pn.viewable.Viewable:
        result: ControllerResult = self.result
        spec = result.spec
        return pn.Column(
            pn.pane.Markdown(safe.md(
                "Shock: **{input} {size}** at step {step}; band ±2 % of N_target shaded. "
                "Times are measured from the shock.", input=spec.shock_input,
                size=f"{spec.shock_size:+g}", step=result.shock_step)),
            pn.pane.HoloViews(response_plots(result), sizing_mode="stretch_width"),
            result_table(result.metrics),
            sizing_mode="stretch_width")
