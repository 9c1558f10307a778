"""Sensitivity page content: Sobol S1/ST bars with confidence intervals, Morris mu*-sigma,
or a tornado of one-at-a-time changes, one chart per chosen output."""

from __future__ import annotations

from typing import Any

import holoviews as hv
import holoviews.plotting.bokeh  # registers the backend that .opts targets
import pandas as pd
import panel as pn

from nexus_panel.analysis.sensitivity import ParameterRange, SensitivityResult
from nexus_panel.analysis.specs import VARIABLE_PARAMETERS
from nexus_panel.views import labels, palettes, safe
from nexus_panel.views.analysis_common import AnalysisView, ItemsEditor, result_table
from nexus_panel.views.png_export import savable


def sobol_chart(output: str, frame: pd.DataFrame) -> hv.Layout:
    """S1 and ST side by side; whiskers are the confidence-interval half-widths."""
    data = frame.reset_index()
    panels = []
    for index, title, color in (("S1", "first order S1", palettes.SENSITIVITY["first"]),
                                ("ST", "total ST", palettes.SENSITIVITY["total"])):
        bars = hv.Bars(data, "parameter", index).opts(color=color, tools=["hover"])
        whiskers = hv.ErrorBars(data, "parameter", [index, f"{index}_conf"])
        panels.append((bars * whiskers).opts(
            title=f"{labels.metric_label(output)}: {title} (± CI)", responsive=True, height=300,
            ylim=(min(0.0, float(data[index].min())), None)))
    return hv.Layout(panels).cols(2)


def morris_chart(output: str, frame: pd.DataFrame) -> hv.Overlay:
    data = frame.reset_index()
    points = hv.Points(data, ["mu_star", "sigma"], ["parameter", "mu_star_conf"]).opts(
        size=9, tools=["hover"], responsive=True, height=300,
        color=palettes.SENSITIVITY["points"],
        title=f"{labels.metric_label(output)}: Morris screening "
              "(mu* = importance, sigma = non-linearity)")
    names = hv.Labels(data, ["mu_star", "sigma"], "parameter").opts(
        yoffset=0, text_align="left", text_font_size="9pt")
    return points * names


def tornado_chart(output: str, frame: pd.DataFrame) -> hv.Overlay:
    unit = frame.attrs.get("unit", "")
    order = list(frame.index)[::-1]
    low = hv.Bars([(p, frame.loc[p, "low_change"]) for p in order], "parameter", "change",
                  label="parameter moved down")
    high = hv.Bars([(p, frame.loc[p, "high_change"]) for p in order], "parameter", "change",
                   label="parameter moved up")
    common = {"invert_axes": True, "responsive": True, "height": 40 + 28 * len(order),
              "tools": ["hover"]}
    return (low.opts(color=palettes.SENSITIVITY["down"], **common)
            * high.opts(color=palettes.SENSITIVITY["up"], **common)).opts(
        title=f"{labels.metric_label(output)}: one at a time, change in {unit}",
        legend_position="bottom_right")


CHARTS = {"sobol": sobol_chart, "morris": morris_chart, "oat": tornado_chart}


class SensitivityView(AnalysisView):
    """Which parameters move the chosen outputs."""

    analysis = "sensitivity"

    def __init__(self, **params: Any) -> None:
        super().__init__(**params)
        self.use_editor(ItemsEditor(self.spec, "parameters", "parameter",
                                   list(VARIABLE_PARAMETERS),
                                   lambda name: ParameterRange(parameter=name)))

    def starting_values(self) -> dict[str, Any]:
        """Two parameters (what Sobol and Morris need), so the first Run works as shown;
        a smaller sample than the spec's default, so it takes seconds."""
        return {"parameters": [ParameterRange(parameter="alpha"),
                               ParameterRange(parameter="beta")], "n_base": 64}

    def extra_controls(self) -> list[Any]:
        return [pn.pane.Markdown("**Parameters to vary** (uniform over low–high)"), self._editor]

    def charts(self) -> pn.viewable.Viewable:
        result: SensitivityResult = self.result
        chart = CHARTS[result.spec.method]
        parts: list[Any] = [pn.pane.Markdown(safe.md(
            "{runs} runs, method **{method}**.", runs=f"{result.n_runs:,}",
            method=result.spec.method))]
        for output, frame in result.indices.items():
            if frame.empty or frame.shape[1] == 0:
                continue
            plot = savable(chart(output, frame), "sensitivity", result.spec.method, output)
            parts.append(pn.pane.HoloViews(plot, sizing_mode="stretch_width"))
            parts.append(result_table(frame))
            if output in result.second_order and not result.second_order[output].empty:
                parts.append(result_table(result.second_order[output], height=200))
        parts += [pn.pane.Markdown(safe.text(n)) for n in result.notes]
        return pn.Column(*parts, sizing_mode="stretch_width")
