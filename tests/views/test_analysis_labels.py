"""Analysis pages speak words with units and take their colours from views/palettes.py."""

from __future__ import annotations

import re
from pathlib import Path

import panel as pn
import pytest

from nexus_panel.analysis import GainSet
from nexus_panel.analysis.response import REGIMES
from nexus_panel.models import Scenario
from nexus_panel.session import ScenarioSession
from nexus_panel.views import palettes
from nexus_panel.views.analysis_controller import ControllerView
from nexus_panel.views.analysis_mc import MonteCarloView
from nexus_panel.views.analysis_stability import StabilityView, metric_map, regime_map

pytestmark = pytest.mark.filterwarnings("ignore:The inplace keyword:DeprecationWarning")
VIEWS = Path(__file__).resolve().parents[2] / "nexus_panel" / "views"


@pytest.fixture
def session() -> ScenarioSession:
    return ScenarioSession(Scenario.from_dict({"params": {"num_steps": 200, "K_p": 0.3}}))


def tables(view: object) -> list[pn.widgets.Tabulator]:
    return list(pn.panel(view).select(pn.widgets.Tabulator))


def test_controller_table_heads_are_words_with_units(session: ScenarioSession) -> None:
    view = ControllerView(session=session)
    view.spec.gain_sets = [GainSet(K_p=0.3), GainSet(K_p=0.0, K_i=0.1)]
    view.run_now()
    [table] = [t for t in tables(view.charts()) if "overshoot (%)" in t.value.columns]
    columns = list(table.value.columns)
    assert {"settling time (time)", "steady-state error (tokens)"} <= set(columns)
    assert not any(c in columns for c in ("overshoot_pct", "settling_time", "rise_time"))
    assert table.value["overshoot (%)"].tolist() == view.result.metrics["overshoot_pct"].tolist()


def test_stability_picker_and_map_say_the_metric_in_words(session: ScenarioSession) -> None:
    view = StabilityView(session=session)
    view.spec.param.update(x_points=3, y_points=2)
    view.run_now()
    names = view.param["metric"].names
    assert names["overshoot (%)"] == "overshoot_pct"  # shown words, kept identifier
    view.metric = "overshoot_pct"
    plot = metric_map(view.result, "overshoot_pct")
    assert plot.opts.get().kwargs["title"].startswith("overshoot (%)")
    assert plot.vdims[0].label == "overshoot (%)" and plot.vdims[0].name == "overshoot_pct"
    cmap = regime_map(view.result).get(0).opts.get().kwargs["cmap"]
    assert cmap == [palettes.REGIMES[r] for r in REGIMES]


def test_analysis_views_name_no_colour_of_their_own() -> None:
    hexes = {p.name: re.findall(r"#[0-9a-fA-F]{6}\b", p.read_text())
             for p in sorted(VIEWS.glob("analysis_*.py"))}
    assert {name: found for name, found in hexes.items() if found} == {}


def save_tools(view: object) -> list[str]:
    """Filenames of the save tools in the Bokeh models a view renders (every figure's
    toolbar, merged layouts included); "" for a save tool left at Bokeh's default."""
    from bokeh.models import Model, SaveTool

    root = pn.panel(view).get_root()
    tools = [m for m in root.references() if isinstance(m, Model) and isinstance(m, SaveTool)]
    return sorted(t.filename or "" for t in tools)


def test_every_analysis_plot_saves_a_png_named_for_what_it_shows(
        session: ScenarioSession) -> None:
    from bokeh.models import Model, Plot

    stability = StabilityView(session=session)
    stability.spec.param.update(x_points=3, y_points=2)
    stability.run_now()
    controller = ControllerView(session=session)
    controller.spec.gain_sets = [GainSet(K_p=0.3)]
    controller.run_now()
    montecarlo = MonteCarloView(session=session)
    montecarlo.spec.n_runs = 50
    montecarlo._editor.param.trigger("add")
    montecarlo.run_now()
    names = (save_tools(stability.charts()) + save_tools(controller.charts())
             + save_tools(montecarlo.charts()))
    assert {"nexus-montecarlo-bands", "nexus-montecarlo-final-n"} <= set(names)
    assert "nexus-stability-regimes" in names
    assert "nexus-stability-settling-time" in names
    assert "nexus-controller-responses" in names
    assert "" not in names  # no plot saves as bokeh_plot.png
    root = pn.panel(stability.charts()).get_root()
    figures = [m for m in root.references() if isinstance(m, Model) and isinstance(m, Plot)]
    assert len(figures) >= 2


def test_network_plots_save_named_pngs_and_tables_speak_words(
        session: ScenarioSession) -> None:
    """3,000 agents: the drawn graph is the datashaded one (a DynamicMap), named too."""
    from nexus_panel.views.analysis_network import NetworkView

    view = NetworkView(session=session)
    view.spec.param.update(agents=3000, runs=2, detect_communities=True)
    view.run_now()
    names = save_tools(view.charts())
    assert "" not in names
    assert {"nexus-network-aggregate-n", "nexus-network-graph", "nexus-network-inequality",
            "nexus-network-lorenz-curves"} <= set(names)
    columns = {c for t in tables(view.charts()) for c in t.value.columns}
    assert {"final N of all agents (tokens)", "final Gini", "ledger residual (relative)",
            "share of all holdings", "mean holding (tokens)"} <= columns
    assert not columns & {"final_total", "gini_final", "top10_final"}
