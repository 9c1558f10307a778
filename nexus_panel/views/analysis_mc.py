"""Monte Carlo page content: the spec form, a fan chart over a raster of trajectories,
metric histograms, parameter-vs-outcome scatter linked to trajectories, and statistics.

The raster is a 2-D density image of the kept trajectories (a numpy histogram over time x
N, what datashader's rasterize computes), so thousands of lines cost one image. Selecting
points on the scatter (box or lasso) draws those runs' N(t) over the fan chart's axes.
"""

from __future__ import annotations

from typing import Any

import holoviews as hv
import holoviews.plotting.bokeh  # registers the backend that .opts targets
import numpy as np
import panel as pn
import param

from nexus_panel.analysis.distributions import ParameterDistribution
from nexus_panel.analysis.montecarlo import MonteCarloResult
from nexus_panel.analysis.specs import METRICS, VARIABLE_PARAMETERS
from nexus_panel.analysis.statistics import COLUMN_LABELS
from nexus_panel.views import labels, palettes, safe
from nexus_panel.views.analysis_common import AnalysisView, ItemsEditor, result_table
from nexus_panel.views.png_export import savable

RASTER_BINS = (400, 160)
MAX_SELECTED = 200


def density_image(t: np.ndarray, sample: np.ndarray) -> hv.Image:
    """Trajectory density: runs per (time bin, N bin), log-scaled, as an hv.Image."""
    if sample.size == 0:
        return hv.Image([])
    lo, hi = float(sample.min()), float(sample.max())
    hi = hi if hi > lo else lo + 1.0
    x = np.broadcast_to(t, sample.shape).ravel()
    bins = (min(RASTER_BINS[0], len(t)), RASTER_BINS[1])
    counts, _, _ = np.histogram2d(x, sample.ravel(), bins=bins,
                                  range=[[t[0], t[-1]], [lo, hi]])
    return hv.Image(np.log1p(counts.T)[::-1], bounds=(t[0], lo, t[-1], hi),
                    kdims=["t", "N"], vdims=["log(1 + runs)"]).opts(
        cmap="Blues", alpha=0.6, colorbar=False, tools=[])


def fan_chart(result: MonteCarloResult) -> hv.Overlay:
    t, b = result.t, dict(zip(result.percentiles, result.bands, strict=True))
    outer = hv.Area((t, b[5], b[95]), "t", ["N", "N95"], label="5–95 %").opts(
        color=palettes.BANDS["outer"], alpha=0.35, line_alpha=0)
    inner = hv.Area((t, b[25], b[75]), "t", ["N", "N75"], label="25–75 %").opts(
        color=palettes.BANDS["inner"], alpha=0.45, line_alpha=0)
    median = hv.Curve((t, b[50]), "t", "N", label="median").opts(
        color=palettes.BANDS["median"], line_width=2)
    chart = savable(density_image(t, result.sample) * outer * inner * median,
                    "montecarlo", "bands")
    return chart.opts(
        title="N(t): percentile bands over the kept trajectories", responsive=True,
        height=340, legend_position="top_left", show_grid=True)


class MonteCarloView(AnalysisView):
    """Monte Carlo ensemble of the session's scenario."""

    analysis = "montecarlo"

    metric = param.Selector(default="final_N", objects=labels.metric_choices(METRICS),
                            label="Metric",
                            doc="Metric shown in the histogram and on the scatter's y axis.")
    scatter_x = param.Selector(default=None, objects=[], label="Scatter x",
                               doc="Sampled parameter on the scatter's x axis.")

    def __init__(self, **params: Any) -> None:
        super().__init__(**params)
        self._fan: tuple[MonteCarloResult, hv.Overlay] | None = None
        self.use_editor(ItemsEditor(self.spec, "parameters", "parameter",
                                   list(VARIABLE_PARAMETERS), self._new_distribution))

    def starting_values(self) -> dict[str, Any]:
        """One uncertain parameter, so the first Run shows a spread, not 1,000 identical
        runs."""
        return {"parameters": [self._new_distribution("alpha")]}

    def _new_distribution(self, name: str) -> ParameterDistribution:
        """A distribution whose form shows real numbers: centred on the scenario's current
        value of ``name``, spread 10 % of its slider range (see ``for_parameter``)."""
        scenario = self.session.scenario if self.session is not None else self.spec.base_scenario
        return ParameterDistribution.for_parameter(name, float(getattr(scenario.params, name)))

    def extra_controls(self) -> list[Any]:
        return [pn.pane.Markdown("**Uncertain parameters**"), self._editor]

    @param.depends("result", watch=True, on_init=True)
    def _on_result(self) -> None:
        names = [] if self.result is None else [d.parameter for d in self.result.spec.parameters]
        self.param.scatter_x.objects = names
        self.scatter_x = names[0] if names else None

    def _fan_chart(self) -> hv.Overlay:
        """The fan chart of the current result, built once per result: it is shown twice
        (on top, and under the selected runs), and a change of metric or scatter axis
        redraws only the plots that depend on them."""
        if self._fan is None or self._fan[0] is not self.result:
            self._fan = (self.result, fan_chart(self.result))
        return self._fan[1]

    def _selected_runs(self, index: list[int]) -> hv.Overlay:
        result = self.result
        curves = [hv.Curve((result.t, result.sample[i]), "t", "N").opts(
            color=palettes.BANDS["selected"], line_width=1,
            alpha=0.8) for i in index[:MAX_SELECTED]]
        return hv.Overlay(curves) if curves else hv.Overlay([hv.Curve([], "t", "N")])

    @param.depends("metric", "scatter_x")
    def _metric_plots(self) -> pn.viewable.Viewable:
        result = self.result
        values = result.runs[self.metric].to_numpy()
        words = labels.metric_label(self.metric)
        finite = values[np.isfinite(values)]
        hist = hv.Histogram(np.histogram(finite, bins=40) if finite.size else ([], []),
                            kdims=[hv.Dimension(self.metric, label=words)]).opts(
            title=f"{words}: all {len(values):,} runs ({finite.size:,} finite)",
            responsive=True, height=280, color=palettes.BANDS["histogram"])
        hist = savable(hist, "montecarlo", self.metric)
        if self.scatter_x is None or not len(result.sample):
            return pn.Row(hist, sizing_mode="stretch_width")
        kept = result.runs.iloc[:len(result.sample)]
        points = hv.Points(kept, [self.scatter_x, hv.Dimension(self.metric, label=words)]).opts(
            tools=["box_select", "lasso_select", "hover"], size=5, alpha=0.6,
            responsive=True, height=280, title="Kept runs: select some to see their N(t)")
        points = savable(points, "montecarlo", self.scatter_x, self.metric)
        selection = hv.streams.Selection1D(source=points)
        chosen = hv.DynamicMap(self._selected_runs, streams=[selection])
        return pn.Column(pn.Row(hist, points, sizing_mode="stretch_width"),
                         pn.pane.HoloViews(
                             (self._fan_chart() * chosen).opts(
                                 title="Selected runs over the bands", responsive=True,
                                 height=340), sizing_mode="stretch_width"),
                         sizing_mode="stretch_width")

    def charts(self) -> pn.viewable.Viewable:
        result = self.result
        table = result.statistics.rename(columns=COLUMN_LABELS)
        notes = [f"Bands: fixed-bin histograms per time point; each value is within "
                 f"{result.band_error.max():.3g} of the exact percentile (order statistic "
                 f"ceil(q·n)). The table's mean interval is a 95 % confidence interval of the "
                 f"mean; the 5th–95th percentiles are where 90 % of the runs fall.",
                 *result.notes]
        return pn.Column(
            self._fan_chart(),
            pn.Param(self, parameters=["metric", "scatter_x"], show_name=False,
                     default_layout=pn.Row),
            self._metric_plots,
            result_table(table, height=360),
            pn.pane.Markdown("\n\n".join(safe.text(n) for n in notes)),
            sizing_mode="stretch_width")
