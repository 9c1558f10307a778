"""The Tune page's plots: optimisation history, Pareto front, importances, parallel
coordinates, and the adaptive-control comparison. Plain functions of a result, so a
notebook can draw them too.

Why these shapes: HoloViews/Bokeh has no parallel-coordinates element, so each trial is one
``hv.Path`` across the parameter axes (each scaled to its search range, 0 = low end,
1 = high end) ending on the objective's axis, coloured by the objective; the best trials
are drawn last so they stay on top.
"""

from __future__ import annotations

import holoviews as hv
import holoviews.plotting.bokeh  # registers the backend that .opts targets
import numpy as np
import pandas as pd

from nexus_panel.analysis.adaptive import AdaptiveResult
from nexus_panel.analysis.tuning import TuningOutcome
from nexus_panel.views.palettes import CATEGORICAL, TONES

MAX_LINES = 500
"""Parallel coordinates draw at most this many trials (the best ones)."""


def history(outcome: TuningOutcome) -> hv.Overlay:
    """Each trial's first objective by trial number, and the best so far (feasible)."""
    column = outcome.value_columns()[0]
    metric = outcome.spec.objectives[0].metric
    frame = outcome.trials[["number", column, "feasible"]].dropna()
    points = hv.Scatter(frame, "number", [column, "feasible"], label="trials").opts(
        color="feasible", cmap={True: CATEGORICAL[0], False: TONES["muted"]}, size=4, alpha=0.6,
        tools=["hover"])
    feasible = frame[frame["feasible"]]
    values = feasible[column].to_numpy(dtype=float)
    best = (np.minimum.accumulate(values) if outcome.directions[0] == "minimize"
            else np.maximum.accumulate(values))
    curve = hv.Curve((feasible["number"].to_numpy(), best), "number", column,
                     label="best so far").opts(color=TONES["highlight"], line_width=2,
                                               interpolation="steps-post")
    return (points * curve).opts(title=f"Optimisation history: {metric}", responsive=True,
                                 height=300, show_grid=True, legend_position="top_right",
                                 xlabel="trial", ylabel=metric)


def pareto_front(outcome: TuningOutcome) -> hv.Overlay:
    """Feasible trials on the first two objectives, the front highlighted; hovering a
    point shows its trial number and tuned parameters."""
    x, y = outcome.value_columns()[:2]
    names = [p.parameter for p in outcome.spec.parameters]
    feasible = outcome.feasible()
    front = outcome.pareto()
    hover = ["number", *names]
    dots = hv.Scatter(feasible, x, [y, *hover], label="feasible trials").opts(
        color=TONES["muted"], size=5, alpha=0.6, tools=["hover"])
    line = hv.Curve(front.sort_values(x), x, y).opts(color=TONES["highlight"], line_dash="dashed")
    marks = hv.Scatter(front, x, [y, *hover], label="Pareto front").opts(
        color=TONES["highlight"], size=8, tools=["hover"])
    return (dots * line * marks).opts(
        title="Pareto front (hover: trial and parameters)", responsive=True, height=340,
        show_grid=True, legend_position="top_right", xlabel=x.removeprefix("value_"),
        ylabel=y.removeprefix("value_"))


def importances(table: pd.DataFrame) -> hv.Bars | hv.Text:
    """Bars of each parameter's importance per objective (PED-ANOVA)."""
    if table.empty or not len(table.columns):
        return hv.Text(0, 0, "Not enough varied, feasible trials for importances yet.")
    long = table.reset_index().melt(id_vars="parameter", var_name="objective",
                                    value_name="importance")
    return hv.Bars(long, ["parameter", "objective"], "importance").opts(
        title="Parameter importances (PED-ANOVA)", responsive=True, height=280,
        tools=["hover"], multi_level=False, color="objective", cmap="Category10")


def parallel_coordinates(outcome: TuningOutcome) -> hv.Segments:
    """One line per trial through the scaled parameters and the first objective.

    Drawn as one table of segments (axis j to axis j + 1 per trial) rather than one path
    per trial: HoloViews builds a dataset per path, which cost seconds for 200 trials
    every time a study was opened; segments are one dataset whatever the trial count."""
    spec = outcome.spec
    column = outcome.value_columns()[0]
    frame = outcome.feasible()
    ascending = outcome.directions[0] == "minimize"
    frame = frame.sort_values(column, ascending=ascending).head(MAX_LINES).iloc[::-1]
    axes = [p.parameter for p in spec.parameters]
    scaled = []
    for p in spec.parameters:
        lo, hi = p.interval()
        values = frame[p.parameter].to_numpy(dtype=float)
        scaled.append((np.log(values) - np.log(lo)) / (np.log(hi) - np.log(lo)) if p.log
                      else (values - lo) / (hi - lo))
    value = frame[column].to_numpy(dtype=float)
    span = np.ptp(value) if value.size else 0.0
    scaled.append((value - value.min()) / span if span > 0 else np.full(value.size, 0.5))
    xs = np.arange(len(axes) + 1)
    segments = pd.DataFrame({
        "x0": np.repeat(xs[:-1], value.size).astype(float),
        "y0": np.concatenate(scaled[:-1]) if len(scaled) > 1 else np.empty(0),
        "x1": np.repeat(xs[1:], value.size).astype(float),
        "y1": np.concatenate(scaled[1:]) if len(scaled) > 1 else np.empty(0),
        column: np.tile(value, len(xs) - 1),
    })
    labels = [*axes, spec.objectives[0].metric]
    return hv.Segments(segments, ["x0", "y0", "x1", "y1"], vdims=[column]).opts(
        color=column, cmap="viridis_r" if ascending else "viridis", alpha=0.5, line_width=1,
        colorbar=True, responsive=True, height=320,
        xticks=list(zip(xs.tolist(), labels, strict=True)), ylabel="scaled to range",
        xlabel="", title=f"Parallel coordinates: best {len(frame)} trials")


def adaptive_plots(result: AdaptiveResult) -> hv.Layout:
    """N(t) with adaptive and with fixed gains over the target, and the gains chosen."""
    target = result.spec.base_scenario.params.N_target
    dt = result.spec.base_scenario.params.delta_t
    n_plot = (hv.Curve((result.t, result.n_fixed), "t", "N", label="fixed gains").opts(
        color=TONES["grey"]) * hv.Curve((result.t, result.n_adaptive), "t", "N",
                                    label="adaptive gains").opts(color=TONES["highlight"])
        * hv.HLine(target).opts(color="black", line_dash="dashed")).opts(
        title="N(t): adaptive vs fixed gains (dashed: N_target)", responsive=True, height=300,
        show_grid=True, legend_position="top_right")
    steps = result.schedule["step"].to_numpy() * dt
    gains = hv.Overlay([hv.Curve((steps, result.schedule[g].to_numpy()), "t", "gain",
                                 label=g).opts(interpolation="steps-post")
                        for g in ("K_p", "K_i", "K_d")]).opts(
        title="Gains chosen at each re-tuning", responsive=True, height=240, show_grid=True,
        legend_position="top_right")
    return hv.Layout([n_plot, gains]).cols(1).opts(shared_axes=True)
