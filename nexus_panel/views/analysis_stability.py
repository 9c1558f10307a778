"""Stability map page content: a heat map per metric and the regime map with its rule."""

from __future__ import annotations

import holoviews as hv
import holoviews.plotting.bokeh  # registers the backend that .opts targets
import numpy as np
import panel as pn
import param

from nexus_panel.analysis.response import REGIMES
from nexus_panel.analysis.stability import MAP_METRICS, StabilityResult
from nexus_panel.views import labels, palettes, safe
from nexus_panel.views.analysis_common import AnalysisView
from nexus_panel.views.png_export import savable

REGIME_COLORS = palettes.REGIMES


def _grid(result: StabilityResult, values: np.ndarray, name: str | hv.Dimension
          ) -> hv.QuadMesh:
    spec = result.spec
    return hv.QuadMesh((result.x, result.y, values), [spec.x_parameter, spec.y_parameter], name)


def metric_map(result: StabilityResult, metric: str) -> hv.QuadMesh:
    words = labels.metric_label(metric)
    grid = _grid(result, result.metrics[metric], hv.Dimension(metric, label=words))
    return savable(grid, "stability", metric).opts(
        cmap="viridis", colorbar=True, tools=["hover"], responsive=True, height=360,
        title=f"{words} (blank: undefined, e.g. never settles)")


def regime_map(result: StabilityResult) -> hv.Overlay:
    codes = np.vectorize(REGIMES.index)(result.regimes).astype(float)
    mesh = _grid(result, codes, "regime").opts(
        cmap=[REGIME_COLORS[r] for r in REGIMES], clim=(-0.5, len(REGIMES) - 0.5),
        colorbar=False, tools=["hover"], responsive=True, height=360, title="Regime")
    legend = hv.NdOverlay({r: hv.Scatter([(np.nan, np.nan)]).opts(color=REGIME_COLORS[r])
                           for r in REGIMES}, kdims="regime")
    return savable((mesh * legend).opts(legend_position="right"), "stability", "regimes")


class StabilityView(AnalysisView):
    """Behaviour over a grid of any two model parameters."""

    analysis = "stability"

    metric = param.Selector(default="settling_time", objects=labels.metric_choices(MAP_METRICS),
                            label="Heat map of", doc="Metric shown in the heat map.")

    @param.depends("metric")
    def _metric_map(self) -> pn.viewable.Viewable:
        return pn.pane.HoloViews(metric_map(self.result, self.metric),
                                 sizing_mode="stretch_width")

    def charts(self) -> pn.viewable.Viewable:
        result: StabilityResult = self.result
        counts = ", ".join(f"{k}: {v}" for k, v in result.regime_counts().items())
        return pn.Column(
            pn.Row(pn.pane.HoloViews(regime_map(result), sizing_mode="stretch_width"),
                   pn.pane.Markdown(safe.md("**Rule.** {rule}\n\n**Cells.** {counts}",
                                            rule=result.rule, counts=counts), width=320)),
            pn.Param(self, parameters=["metric"], show_name=False),
            self._metric_map, sizing_mode="stretch_width")
