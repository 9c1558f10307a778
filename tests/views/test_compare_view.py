"""Compare: choices from the store, overlays with one curve per choice, differing rows."""

from __future__ import annotations

import holoviews as hv
import pandas as pd
import panel as pn
import pytest

from nexus_panel import EngineParams, Inputs, Scenario, Signal, simulate
from nexus_panel.storage import ScenarioStore
from nexus_panel.views.compare import CompareView, overlay_plots
from nexus_panel.views.compare_data import differing_parameters, flatten


def test_differing_parameters_lists_only_what_differs() -> None:
    a = Scenario(name="a")
    b = Scenario(name="b", params=EngineParams(alpha=2.0),
                 inputs=Inputs(H=Signal(kind="step", initial=100, final=150)))
    c = Scenario(name="c", params=EngineParams(alpha=2.0, beta=0.5))
    table = differing_parameters({"a": a, "b": b, "c": c})
    assert list(table.columns) == ["a", "b", "c"]
    assert table.loc["alpha"].tolist() == [1.0, 2.0, 2.0]
    assert table.loc["beta"].tolist() == [1.0, 1.0, 0.5]
    assert table.loc["H.kind"].tolist() == ["constant", "step", "constant"]
    assert table.loc["H.value"].tolist() == [100.0, "—", 100.0]
    assert table.loc["H.final"].tolist() == ["—", 150.0, "—"]
    assert "kappa" not in table.index and "M.value" not in table.index
    assert len(flatten(a)) == len(EngineParams.names()) + 2 * 6


def test_identical_scenarios_differ_nowhere() -> None:
    assert differing_parameters({"x": Scenario(), "y": Scenario(name="y")}).empty


def test_overlay_has_one_curve_per_scenario_with_its_data() -> None:
    scenarios = {"base": Scenario(), "hot": Scenario(params=EngineParams(alpha=3.0))}
    layout = overlay_plots(scenarios, ["N", "Phi"])
    assert isinstance(layout, hv.Layout) and len(layout) == 2
    overlay = layout.values()[0]
    assert [c.label for c in overlay] == ["base", "hot"]
    for curve, scenario in zip(overlay, scenarios.values(), strict=True):
        pd.testing.assert_series_equal(
            pd.Series(curve.dimension_values("N")), pd.Series(simulate(scenario).frame["N"]
                                                              .to_numpy()), check_names=False)
    # issue 10.13: axes say what they measure, in which unit
    phi = layout.values()[1].values()[0]
    assert (phi.kdims[0].pprint_label, phi.vdims[0].pprint_label) == (
        "time t (model time units)", "Φ (tokens/time)")


def test_view_offers_scenarios_and_revisions_and_needs_two(sqlite_url: str) -> None:
    store = ScenarioStore(sqlite_url)
    store.save(Scenario(name="x"))
    store.save(Scenario(name="x", params=EngineParams(alpha=2.0)))
    store.save(Scenario(name="y", params=EngineParams(beta=2.0)))
    view = CompareView(store=store)
    assert view.param.choices.objects == ["x", "x @ r1", "y"]
    view.select("x")
    assert "Pick 2 to 5" in view._body().object
    view.select("x", "x @ r1", "y")
    body = view._body()
    table = body[2][0].object
    assert table.loc["alpha"].tolist() == [2.0, 1.0, 1.0]
    assert table.loc["beta"].tolist() == [1.0, 1.0, 2.0]
    pn.panel(view).get_root()  # renders to Bokeh without error
    with pytest.raises(ValueError, match="not saved: z"):
        view.select("x", "z")


def test_the_current_unsaved_scenario_can_be_compared(sqlite_url: str) -> None:
    from nexus_panel.session import ScenarioSession
    from nexus_panel.views.compare import CURRENT

    store = ScenarioStore(sqlite_url)
    store.save(Scenario(name="saved"))
    session = ScenarioSession(Scenario(params=EngineParams(kappa=0.05)))
    view = CompareView(store=store, session=session)
    assert view.param.choices.objects == [CURRENT, "saved"]
    view.select(CURRENT, "saved")
    table = view._body()[2][0].object
    assert table.loc["kappa"].tolist() == [0.05, 0.01]


def test_a_choice_deleted_meanwhile_is_reported_not_raised(sqlite_url: str) -> None:
    # another user deletes "gone" after this page listed it: changing the outputs used
    # to raise in the page callback (a server traceback, the plots never redrawn)
    store = ScenarioStore(sqlite_url)
    store.save(Scenario(name="kept"))
    store.save(Scenario(name="gone"))
    view = CompareView(store=store)
    view.select("kept", "gone")
    store.delete("gone")
    view.plotted = ["N"]
    body = view._body()
    assert isinstance(body, pn.pane.Alert) and body.alert_type == "danger"
    assert "Cannot compare these" in body.object and "gone" in body.object
    assert "Refresh list" in body.object
