"""Editors are generated from the declarations and drive runs; plots share one time axis
and update their data in place. Rendered into real Bokeh documents, no browser."""

from __future__ import annotations

import numpy as np
import panel as pn
import pytest
from bokeh.document import Document
from bokeh.models import ColumnDataSource
from bokeh.plotting import figure

from nexus_panel.models import GROUPS, EngineParams, Scenario, Signal
from nexus_panel.session import ScenarioSession
from nexus_panel.views.dashboard import Dashboard
from nexus_panel.views.param_editor import ParameterEditor
from nexus_panel.views.plots import TimeSeriesPlots
from nexus_panel.views.series import reduce_columns
from nexus_panel.views.signal_editor import SignalEditor


def widgets_of(view: pn.viewable.Viewer) -> dict[str, pn.widgets.Widget]:
    """Parameter widgets by name, found through their ``nx-param-<name>`` CSS class."""
    found = {}
    for w in view.__panel__().select(pn.widgets.Widget):
        for css in w.css_classes:
            if css.startswith("nx-param-") and css != "nx-param-widget":
                found[css.removeprefix("nx-param-")] = w
    return found


def small_session(**values: float) -> ScenarioSession:
    return ScenarioSession(Scenario(params=EngineParams(num_steps=50, **values)))


def test_parameter_editor_has_every_parameter_with_declared_range_and_label() -> None:
    editor = ParameterEditor(session=small_session())
    widgets = widgets_of(editor)
    assert set(widgets) == set(EngineParams.names())
    alpha = widgets["alpha"]
    assert (alpha.start, alpha.end, alpha.step) == (0, 5, 0.1)
    assert alpha.name == "Issuance gain α"
    icons = [w.value for w in editor.__panel__().select(pn.widgets.TooltipIcon)]
    assert EngineParams.param.alpha.doc in icons and len(icons) == len(EngineParams.names())
    n_target = widgets["N_target"]
    assert (n_target.start, n_target.end) == (0, 2000)  # softbounds, not the 1e9 bound
    titles = [c.header.objects[0].object for c in editor.__panel__().select(pn.Card)]
    assert titles == [f"<b>{t}</b>" for t in GROUPS.values()]


def test_releasing_a_slider_runs_and_dragging_does_not() -> None:
    session = small_session()
    alpha = widgets_of(ParameterEditor(session=session))["alpha"]
    before = session.result
    # The two messages a browser sends: value while dragging, value_throttled on release.
    alpha._process_events({"value": 2.0})
    assert session.result is before
    alpha._process_events({"value_throttled": 2.0})
    assert session.scenario.params.alpha == 2.0
    assert session.result.scenario.params.alpha == 2.0
    assert session.result.final_N != before.final_N


def test_group_reset_button_restores_only_that_group() -> None:
    session = small_session(K_p=0.5, alpha=2.0)
    editor = ParameterEditor(session=session)
    pid_reset = next(b for b in editor.__panel__().select(pn.widgets.Button)
                     if "nx-reset-pid" in b.css_classes)
    pid_reset.clicks += 1
    assert session.scenario.params.K_p == 0.1
    assert session.scenario.params.alpha == 2.0
    reset_all = next(b for b in editor.__panel__().select(pn.widgets.Button)
                     if "nx-reset-all" in b.css_classes)
    reset_all.clicks += 1
    assert session.scenario.params.to_dict() == EngineParams().to_dict()


def test_detailed_editor_shows_help_range_and_default() -> None:
    editor = ParameterEditor(session=small_session(), detailed=True)
    helps = [m.object for m in editor.__panel__().select(pn.pane.Markdown)
             if "nx-param-help" in m.css_classes]
    assert len(helps) == len(EngineParams.names())
    assert any("allowed: a finite number in [0, 0.1] · default 0.01" in h and "`K_i`" in h
               for h in helps)


def test_signal_editor_shows_only_the_kind_parameters() -> None:
    session = small_session()
    editor = SignalEditor(session=session, input_name="H")
    shown = lambda: sorted(  # noqa: E731
        css.removeprefix("nx-signal-H-") for w in editor._fields.select(pn.widgets.Widget)
        for css in w.css_classes if css.startswith("nx-signal-H-"))
    assert shown() == ["value"]
    session.scenario.inputs.H.kind = "pulse"
    assert shown() == Signal.kind_params("pulse")
    assert session.result.frame["H"].iloc[0] == 150.0  # baseline 100 + pulse height 50


def test_signal_sliders_span_the_input_domain() -> None:
    """E's level sliders run over [0, 1] in hundredths, H's over the declared range."""
    session = small_session()
    e_editor = SignalEditor(session=session, input_name="E")
    session.scenario.inputs.E.kind = "step"
    sliders = {css.removeprefix("nx-signal-E-"): w
               for w in e_editor._fields.select(pn.widgets.FloatSlider)
               for css in w.css_classes if css.startswith("nx-signal-E-")}
    assert {n: (w.start, w.end, w.step) for n, w in sliders.items()} == {
        "final": (0.0, 1.0, 0.01), "initial": (0.0, 1.0, 0.01)}
    assert (sliders["initial"].value, sliders["final"].value) == pytest.approx((0.4, 0.6))
    h_value = SignalEditor(session=session, input_name="H")._fields.select(
        pn.widgets.FloatSlider)[0]
    assert (h_value.start, h_value.end) == Signal.param["value"].softbounds


def test_signal_preview_follows_its_signal() -> None:
    session = small_session()
    editor = SignalEditor(session=session, input_name="M")
    root = editor.__panel__().get_root(Document())
    source = next(s for s in root.select({"type": ColumnDataSource}) if "M" in s.data)
    assert set(np.asarray(source.data["M"])) == {80.0}
    session.scenario.inputs.M.value = 42.0
    assert set(np.asarray(source.data["M"])) == {42.0}


def test_plots_share_one_time_axis_and_update_in_place() -> None:
    session = small_session()
    root = pn.Column(TimeSeriesPlots(session=session)).get_root(Document())
    figures = list(root.select({"type": figure}))
    assert sorted(f.name for f in figures) == sorted(
        f"nx-plot-{k}" for k in ("N", "flows", "S", "Phi", "cumulative", "inputs"))
    assert len({id(f.x_range) for f in figures}) == 1
    source = root.select_one({"name": "nx-source-N"})
    np.testing.assert_array_equal(source.data["N"], session.result.frame["N"].to_numpy())
    session.scenario.params.alpha = 3.0
    assert root.select_one({"name": "nx-source-N"}) is source  # same glyph, new data
    np.testing.assert_array_equal(source.data["N"], session.result.frame["N"].to_numpy())


def test_long_runs_are_reduced_but_keep_their_extremes() -> None:
    t = np.arange(200_001, dtype=float)
    n = np.sin(t / 5000)
    n[123_457] = 40.0
    n[7] = -3.0
    out = reduce_columns({"t": t, "N": n}, ["t", "N"], max_points=2000)
    assert len(out["t"]) <= 2 * 2000 + 2
    assert out["N"].max() == 40.0 and out["N"].min() == -3.0
    assert out["t"][0] == 0 and out["t"][-1] == 200_000
    assert np.all(np.diff(out["t"]) > 0)
    short = reduce_columns({"t": t[:10], "N": n[:10]}, ["t", "N"], max_points=2000)
    np.testing.assert_array_equal(short["N"], n[:10])


def test_dashboard_renders_inline() -> None:
    dashboard = Dashboard(Scenario(params=EngineParams(num_steps=20)))
    root = dashboard.__panel__().get_root(Document())
    assert dashboard.result.final_N == pytest.approx(dashboard.result.frame["N"].iloc[-1])
    assert root.select_one({"name": "nx-source-N"}) is not None
    assert dashboard.scenario is dashboard.session.scenario


def test_new_data_refits_until_the_user_zooms_then_keeps_the_view() -> None:
    from bokeh.events import RangesUpdate, Reset

    session = small_session()
    root = pn.Column(TimeSeriesPlots(session=session)).get_root(Document())
    fig = root.select_one({"name": "nx-plot-N"})
    session.scenario.params.alpha = 3.0
    top = session.result.frame["N"].max()
    assert fig.y_range.start < top <= fig.y_range.end  # re-fitted to the new data
    fig._trigger_event(RangesUpdate(fig, x0=1.0, x1=2.0, y0=900.0, y1=950.0))
    session.scenario.params.alpha = 4.0
    assert (fig.x_range.start, fig.x_range.end) == (1.0, 2.0)
    assert (fig.y_range.start, fig.y_range.end) == (900.0, 950.0)
    fig._trigger_event(Reset(fig))
    session.scenario.params.alpha = 2.0
    assert fig.y_range.end >= session.result.frame["N"].max()
    assert (fig.x_range.start, fig.x_range.end) == (0.0, 5.0)  # 50 steps of 0.1


def test_plot_axes_carry_units() -> None:
    """Issue 10.13: every axis says what it measures in which unit (tokens, time)."""
    root = pn.Column(TimeSeriesPlots(session=small_session())).get_root(Document())
    labels = {f.name.removeprefix("nx-plot-"): (f.xaxis[0].axis_label, f.yaxis[0].axis_label)
              for f in root.select({"type": figure})}
    assert {k: y for k, (_, y) in labels.items()} == {
        "N": "N (tokens)", "flows": "rate (tokens/time)", "S": "health index S",
        "Phi": "Φ (tokens/time)", "cumulative": "tokens", "inputs": "input level"}
    assert {x for x, _ in labels.values()} == {"time t (model time units)"}
