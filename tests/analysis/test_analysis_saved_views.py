"""What a user sees in the analysis views around saving: the Monte Carlo form shows real
numbers for a new parameter's distribution, Save stores the analysis and names it in the
address, a link's analysis id reopens it (form, scenario, numbers) without a rerun, and a
bad id says why."""

from __future__ import annotations

from typing import Any

import pandas as pd
import panel as pn
import pytest
from bokeh.models import Model
from rendering import text

from nexus_panel.analysis import GainSet, ParameterRange
from nexus_panel.analysis.specs import slider_range
from nexus_panel.models import Scenario
from nexus_panel.session import ScenarioSession
from nexus_panel.storage import ScenarioStore
from nexus_panel.views.analysis_controller import ControllerView
from nexus_panel.views.analysis_mc import MonteCarloView
from nexus_panel.views.analysis_sensitivity import SensitivityView
from nexus_panel.views.analysis_stability import StabilityView

pytestmark = pytest.mark.filterwarnings("ignore:The inplace keyword:DeprecationWarning")


def widget_values(view: Any) -> dict[str, Any]:
    """Title -> value of every input widget the browser would get (last one wins)."""
    root = pn.panel(view).get_root()
    return {m.title: m.value for m in root.references()
            if isinstance(m, Model) and hasattr(m, "title") and hasattr(m, "value")
            and isinstance(m.title, str)}


def session(alpha: float = 1.3) -> ScenarioSession:
    return ScenarioSession(Scenario.from_dict({"name": "team base",
                                               "params": {"num_steps": 150, "alpha": alpha}}))


def add(view: MonteCarloView, name: str) -> Any:
    view._editor.choice = name
    view._editor.param.trigger("add")
    return view.spec.parameters[-1]


def test_a_new_normal_distribution_shows_its_mean_and_std() -> None:
    view = MonteCarloView(session=session(alpha=1.3))
    dist = add(view, "alpha")
    lo, hi = slider_range("alpha")
    values = widget_values(view)
    assert values["Mean"] == 1.3  # the scenario's current alpha
    assert values["Std. deviation"] == pytest.approx(0.1 * (hi - lo))
    dist.distribution = "uniform"  # the other shapes show their numbers too
    values = widget_values(view)
    assert (values["Low"], values["High"]) == pytest.approx((lo, hi))
    dist.distribution = "triangular"
    assert widget_values(view)["Mode"] == 1.3


def test_save_then_open_the_link_shows_the_same_analysis(sqlite_url: str) -> None:
    address: dict[str, str] = {}

    def url_arg(key: str, value: str | None) -> None:
        address.pop(key, None) if value is None else address.update({key: value})

    store = ScenarioStore(sqlite_url)
    view = MonteCarloView(session=session(), store=store, url_arg=url_arg)
    assert not view.can_save  # nothing to save before a run
    add(view, "alpha").std = 0.05
    view.spec.n_runs = 60
    result = view.run_now()
    assert view.can_save
    view.param.trigger("save")
    assert address == {"analysis": str(view.saved_id)} and not view.can_save
    assert f"Saved as analysis {view.saved_id}" in text(view.status)
    assert store.revisions("team base")[0].content_hash == result.spec.base_scenario.content_hash()

    other = session(alpha=2.0)  # a teammate's page: another scenario, default form
    opened = MonteCarloView(session=other, store=lambda: store, url_arg=url_arg)
    assert opened.open_saved(str(view.saved_id))
    assert other.scenario.params.alpha == 1.3 and other.scenario.name == "team base"
    assert [(d.parameter, d.std) for d in opened.spec.parameters] == [("alpha", 0.05)]
    values = widget_values(opened)
    assert values["Runs"] == 60 and values["Std. deviation"] == 0.05
    pd.testing.assert_frame_equal(opened.result.statistics, result.statistics)
    assert "not rerun" in text(opened.status) and opened.saved_id == view.saved_id

    other.scenario.params.alpha = 1.5  # the scenario moves on: the link drops the id
    assert address == {} and opened.saved_id is None
    store.close()


def test_unknown_or_misplaced_ids_say_why(sqlite_url: str) -> None:
    with ScenarioStore(sqlite_url) as store:
        view = MonteCarloView(session=session(), store=store)
        assert not view.open_saved("999")
        assert text(view.load_error) == ("Saved analysis 999 cannot be opened: no saved analysis "
                                   "with id 999")
        shown = view._charts()[0]  # the charts area shows it as an alert
        assert isinstance(shown, pn.pane.Alert) and shown.object == view.load_error
        assert not view.open_saved("abc") and "a saved analysis id" in text(view.load_error)
        view.spec.n_runs = 10
        view.run_now()
        view.param.trigger("save")
        stability = StabilityView(session=session(), store=store)
        assert not stability.open_saved(view.saved_id)
        assert "open it on the /montecarlo page" in text(stability.load_error)
    assert not MonteCarloView(session=session()).open_saved(1)  # no storage at all


def test_the_page_reads_and_writes_analysis_in_its_address(
        sqlite_url: str, monkeypatch: pytest.MonkeyPatch) -> None:
    from nexus_panel.pages import site

    store = ScenarioStore(sqlite_url)
    monkeypatch.setitem(site._STORE, "store", store)  # the site's process-wide store
    saved = MonteCarloView(session=session(), store=store)
    saved.spec.n_runs = 20
    saved.run_now()
    saved.param.trigger("save")

    page = site.Site("montecarlo", query={"analysis": [str(saved.saved_id).encode()]},
                     loader=None)
    assert not page.alert.visible  # analysis= is the page's key, not an unknown one
    assert page.body.saved_id == saved.saved_id
    assert page.session.scenario.name == "team base"
    # the analysed revision is the base the values started from (a later save conflicts
    # with anything saved meanwhile)
    assert page.session.base_revision == 1
    assert page.url_sink.value == f"?s={page.token}&base=1&analysis={saved.saved_id}"
    page.session.scenario.params.beta = 3.0  # edited: the address no longer names it
    assert page.url_sink.value == f"?s={page.token}&base=1"

    missing = site.Site("montecarlo", query={"analysis": ["77"]}, loader=None)
    assert not missing.alert.visible
    assert "no saved analysis with id 77" in text(missing.body.load_error)
    assert missing.url_sink.value == f"?s={missing.token}"
    store.close()


@pytest.mark.parametrize("view_cls", [SensitivityView, StabilityView, ControllerView])
def test_every_analysis_page_saves_and_reopens(view_cls: type, sqlite_url: str) -> None:
    setups = {
        SensitivityView: {"method": "oat", "parameters": [ParameterRange(parameter="K_p")]},
        StabilityView: {"x_points": 3, "y_points": 2},
        ControllerView: {"gain_sets": [GainSet(K_p=0.1), GainSet(K_p=0.4, label="stiff")]},
    }
    with ScenarioStore(sqlite_url) as store:
        view = view_cls(session=session(), store=store)
        view.spec.param.update(**setups[view_cls])
        result = view.run_now()
        view.param.trigger("save")
        opened = view_cls(session=session(alpha=2.0), store=store)
        assert opened.open_saved(view.saved_id), opened.load_error
    assert opened.spec.to_dict() == result.spec.to_dict()  # form and base scenario
    assert opened.result.to_dict() == result.to_dict()
    assert "GlyphRenderer" in {type(m).__name__ for m in pn.panel(opened).get_root().references()}
