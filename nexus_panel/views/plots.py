"""Linked time-series plots of a run, all on ONE shared time axis (zoom one, all follow).

N(t) with the target line; issuance vs burn; health S(t) on 0–1; the controller output
Φ(t) with its ±limit; cumulative issuance vs burn; the six inputs (E on its own axis).

Why DynamicMaps: each plot is an ``hv.DynamicMap`` bound to ``session.result``, so a new
run replaces the data of the existing Bokeh glyphs instead of rebuilding figures: no
flicker. Ranges re-fit to new data (``framewise``) until the user zooms or pans a plot; from
then on new data keeps the user's view, until the plot's reset tool is used. The six plots
are panes of one layout; Panel's ``linked_axes`` gives them one shared time range (the ``t``
dimension), so zooming or panning one moves all. The inputs plot redraws only when the
inputs change. The plots sit in one wrapping row: two a row where each gets
``PLOT_MIN_WIDTH``, one a row in a narrow window or beside the editors in a notebook cell.

Test hooks: the figure of each plot has the Bokeh ``name`` ``nx-plot-<key>`` and sits in a
pane with CSS class ``nx-pane-<key>`` (keys: N, flows, S, Phi, cumulative, inputs); the N
curve's data source is named ``nx-source-N`` (column ``N``), e.g. in a browser::

    Bokeh.documents[0].get_model_by_name("nx-source-N").data.N
"""

from __future__ import annotations

import weakref
from collections.abc import Callable
from typing import Any

import holoviews as hv
import holoviews.plotting.bokeh  # registers the Bokeh backend's options (no notebook output)
import numpy as np
import panel as pn
import param
from bokeh.events import RangesUpdate, Reset
from panel.viewable import Viewer

from nexus_panel.engine import COLUMNS, SimulationResult
from nexus_panel.models import Inputs
from nexus_panel.session import ScenarioSession
from nexus_panel.views import labels
from nexus_panel.views.palettes import SERIES
from nexus_panel.views.responsive import grid_row
from nexus_panel.views.series import reduce_columns

PALETTE = SERIES
# Inputs on an open domain share the level axis; bounded ones (E in [0, 1]) get their own.
LEVEL_INPUTS = tuple(Inputs.levels())
BOUNDED_INPUTS = tuple(Inputs.bounded())
PLOT_HEIGHT = 230
PLOT_MIN_WIDTH = 340
"""Narrowest a plot is drawn: its title, axis labels and about 200 px of curve."""
CANVAS = {"plot.output_backend": "canvas", "plot.toolbar.logo": None}
"""Bokeh options of every plot: canvas, not WebGL (without a GPU WebGL draws stray marks
along lines), and no Bokeh logo."""
TIME = hv.Dimension("t", label=labels.AXES["t"])


def named(key: str, source: str | None = None) -> Callable[[Any, Any], None]:
    """A HoloViews hook naming the figure (and optionally its data source) for tests."""

    def hook(plot: Any, _element: Any) -> None:
        # Names only: a CSS class set here would be reset by HoloViews on every update and
        # re-sent (a re-render in the browser per plot and change); the pane carries it.
        plot.handles["plot"].name = f"nx-plot-{key}"
        if source is not None and "source" in plot.handles:
            plot.handles["source"].name = source

    return hook


def _curve(data: dict[str, np.ndarray], column: str, vdim: str, label: str,
           ylabel: str | None = None) -> hv.Curve:
    """A plain curve (styles are options of its DynamicMap, set once, not per update)."""
    return hv.Curve((data["t"], data[column]), TIME, hv.Dimension(vdim, label=ylabel or vdim),
                    label=label)


def _colors(*columns: str) -> hv.Cycle:
    return hv.Cycle([PALETTE[c] for c in columns])


LIMIT_LINE = {"color": PALETTE["limit"], "line_dash": "dashed", "line_width": 1}


def weak_hook(method: Callable[[Any, Any], None]) -> Callable[[Any, Any], None]:
    """A HoloViews hook calling the bound ``method`` through a weak reference.

    Why: options given to ``.opts`` live in HoloViews' global ``Store`` until every
    element carrying them is collected, so a hook that holds its object strongly keeps
    that object, the session behind it and its results alive forever (measured: +365 MB
    after 60 closed sessions). Through a weak reference the session is freed when its
    page closes, and HoloViews then drops the options too.
    """
    owner = weakref.ref(method.__self__)  # type: ignore[attr-defined]
    func = method.__func__  # type: ignore[attr-defined]

    def hook(plot: Any, element: Any) -> None:
        target = owner()
        if target is not None:
            func(target, plot, element)

    return hook


def columns_of(result: SimulationResult) -> dict[str, np.ndarray]:
    """The columns the plots need, reduced for display when the run is very long."""
    frame = result.frame
    return reduce_columns({c: frame[c].to_numpy() for c in COLUMNS}, list(COLUMNS))


class TimeSeriesPlots(Viewer):
    """The six linked plots of the session's latest result."""

    session = param.ClassSelector(class_=ScenarioSession, doc="The session to plot.")
    inputs_result = param.Parameter(default=None, precedence=-1, doc="The latest result, "
                                    "replaced only when the inputs it shows changed.")

    def __init__(self, **params: Any) -> None:
        super().__init__(**params)
        self._cache: tuple[SimulationResult, dict[str, np.ndarray]] | None = None
        self._inputs_key: Any = None
        # Styles per plot, as {element type: options}, applied once to each DynamicMap.
        plots: dict[str, tuple[Callable[[dict[str, np.ndarray]], hv.Overlay],
                               dict[str, dict[str, Any]]]] = {
            "N": (self._n_plot, {
                "Curve": {"color": PALETTE["N"], "line_width": 2, "tools": ["hover"],
                          "hooks": [named("N", source="nx-source-N")]},
                "HLine": {**LIMIT_LINE, "color": PALETTE["target"]},
                "Overlay": {"title": "State N(t) and target N*", "show_legend": False}}),
            "flows": (self._flows_plot, {
                "Curve": {"color": _colors("I", "B")},
                "Overlay": {"title": "Issuance I (green) vs burn B (orange)",
                            "show_legend": False}}),
            "S": (self._s_plot, {
                "Curve": {"color": PALETTE["S"], "ylim": (0, 1.02)},
                "Overlay": {"title": "System health S(t)", "show_legend": False}}),
            "Phi": (self._phi_plot, {
                "Curve": {"color": PALETTE["Phi"]}, "HLine": LIMIT_LINE,
                "Overlay": {"title": "Controller output Φ(t) and its ±limit",
                            "show_legend": False}}),
            "cumulative": (self._cumulative_plot, {
                "Curve": {"color": _colors("I", "B")},
                "Overlay": {"title": "Cumulative issuance vs burn",
                            "legend_position": "top_left"}}),
            "inputs": (self._inputs_plot, {
                "Curve": {"color": _colors(*LEVEL_INPUTS, *BOUNDED_INPUTS),
                          "line_dash": hv.Cycle(["solid"] * len(LEVEL_INPUTS)
                                                + ["dotted"] * len(BOUNDED_INPUTS))},
                "Overlay": {"title": f"Inputs ({', '.join(BOUNDED_INPUTS)} on the right axis)",
                            "multi_y": True,
                            "legend_position": "right"}}),
        }
        common = {"responsive": True, "height": PLOT_HEIGHT, "framewise": True,
                  "show_grid": True, "toolbar": "right", "active_tools": ["box_zoom"],
                  "default_tools": ["pan", "box_zoom", "wheel_zoom", "reset"],
                  "backend_opts": CANVAS}
        self._on_result()
        self.session.param.watch(self._on_result, "result")
        self._x_view: tuple[float, float] | None = None
        self._y_views: dict[str, tuple[float, float]] = {}
        self._panes = []
        for key, (build, options) in plots.items():
            dmap = hv.DynamicMap(pn.bind(
                self._frame_of(build),
                self.param.inputs_result if key == "inputs" else self.session.param.result,
            )).opts({
                **options,
                "Curve": {"framewise": True, **options["Curve"]},
                "Overlay": {**common, "hooks": [named(key), weak_hook(self._watch_zoom)],
                            **options["Overlay"]},
            }, backend="bokeh")
            self._panes.append(pn.pane.HoloViews(
                dmap, sizing_mode="stretch_width", linked_axes=True, min_width=PLOT_MIN_WIDTH,
                css_classes=[f"nx-pane-{key}"]))
        # Two plots a row where both get PLOT_MIN_WIDTH, else one: never squeezed.
        self._grid = grid_row(*self._panes, min_width=PLOT_MIN_WIDTH, margin=0,
                              css_classes=["nx-timeseries"])

    def _on_result(self, _event: Any = None) -> None:
        # The inputs plot (six curves, the costliest) redraws only when the inputs, the run
        # length or the time step change, not on every coefficient change.
        result = self.session.result
        if result is None:
            return
        p = result.scenario.params
        key = (result.scenario.inputs.to_dict(), p.num_steps, p.delta_t)
        if key != self._inputs_key:
            self._inputs_key = key
            self.inputs_result = result

    def _watch_zoom(self, plot: Any, _element: Any) -> None:
        """Hook, run after HoloViews fitted the ranges to new data: once the user has zoomed
        or panned (RangesUpdate, sent only by the browser's tools), put their view back;
        the reset tool forgets it."""
        figure = plot.handles["plot"]
        if not getattr(figure, "_nx_zoom_watched", False):
            figure._nx_zoom_watched = True
            figure.on_event(RangesUpdate, lambda event: self._on_zoom(figure, event))
            figure.on_event(Reset, lambda _event: self._on_reset())
            return
        if self._x_view is not None:  # the time axis is shared: one view for all plots
            figure.x_range.update(start=self._x_view[0], end=self._x_view[1])
        y_view = self._y_views.get(figure.id)
        if y_view is not None:
            figure.y_range.update(start=y_view[0], end=y_view[1])

    def _on_zoom(self, figure: Any, event: RangesUpdate) -> None:
        if None not in (event.x0, event.x1):
            self._x_view = (event.x0, event.x1)
        if None not in (event.y0, event.y1):
            self._y_views[figure.id] = (event.y0, event.y1)

    def _on_reset(self) -> None:
        self._x_view = None
        self._y_views.clear()

    def _frame_of(self, build: Callable[[dict[str, np.ndarray]], hv.Overlay]
                  ) -> Callable[[SimulationResult | None], hv.Overlay]:
        def callback(result: SimulationResult | None) -> hv.Overlay:
            if result is None:
                return hv.Overlay([hv.Curve([], TIME, "value")])
            return build(self._columns(result))

        return callback

    def _columns(self, result: SimulationResult) -> dict[str, np.ndarray]:
        # The six callbacks of one update share one conversion of the frame. The result
        # itself is kept (not its id): a freed result's id can be reused by a new one.
        if self._cache is None or self._cache[0] is not result:
            self._cache = (result, columns_of(result))
        return self._cache[1]

    @property
    def _params(self) -> Any:
        return self.session.result.scenario.params

    def _n_plot(self, d: dict[str, np.ndarray]) -> hv.Overlay:
        return (_curve(d, "N", "N", "N(t)", ylabel="N (tokens)")
                * hv.HLine(self._params.N_target))

    def _flows_plot(self, d: dict[str, np.ndarray]) -> hv.Overlay:
        return (_curve(d, "I", "flow", "issuance I", ylabel="rate (tokens/time)")
                * _curve(d, "B", "flow", "burn B", ylabel="rate (tokens/time)"))

    def _s_plot(self, d: dict[str, np.ndarray]) -> hv.Overlay:
        return hv.Overlay([_curve(d, "S", "S", "S(t)", ylabel="health index S")])

    def _phi_plot(self, d: dict[str, np.ndarray]) -> hv.Overlay:
        limit = self._params.phi_limit
        return (_curve(d, "Phi", "Phi", "Φ(t)", ylabel="Φ (tokens/time)")
                * hv.HLine(limit) * hv.HLine(-limit))

    def _cumulative_plot(self, d: dict[str, np.ndarray]) -> hv.Overlay:
        return (_curve(d, "cumulative_I", "cumulative", "issued ∫I dt", ylabel="tokens")
                * _curve(d, "cumulative_B", "cumulative", "burned ∫B dt", ylabel="tokens"))

    def _inputs_plot(self, d: dict[str, np.ndarray]) -> hv.Overlay:
        curves = [_curve(d, n, "level", n, ylabel="input level") for n in LEVEL_INPUTS]
        for n in BOUNDED_INPUTS:
            low, high = Inputs.domain(n)
            curves.append(_curve(d, n, n, n, ylabel=f"{n} ({low:g}–{high:g})"))
        return hv.Overlay(curves)

    def __panel__(self) -> pn.Row:
        return self._grid
