"""Each analysis view runs on its session's scenario and renders its charts."""

from __future__ import annotations

from typing import Any

import panel as pn
import pytest
from bokeh.models import Model

from nexus_panel.analysis import GainSet, ParameterRange
from nexus_panel.models import Scenario
from nexus_panel.session import ScenarioSession
from nexus_panel.views.analysis_controller import ControllerView
from nexus_panel.views.analysis_mc import MonteCarloView
from nexus_panel.views.analysis_sensitivity import SensitivityView
from nexus_panel.views.analysis_stability import StabilityView

# bokeh 3.9's ColumnDataSource.from_df (behind every Tabulator) calls
# DataFrame.reset_index(inplace=True), which pandas 3.1 deprecates: not our code.
pytestmark = pytest.mark.filterwarnings("ignore:The inplace keyword:DeprecationWarning")


def models(view: Any) -> list[str]:
    root = pn.panel(view).get_root()
    return sorted({type(m).__name__ for m in root.references() if isinstance(m, Model)})


@pytest.fixture
def session() -> ScenarioSession:
    return ScenarioSession(Scenario.from_dict({"params": {"num_steps": 200, "K_p": 0.3}}))


def test_monte_carlo_view_uses_the_session_scenario(session: ScenarioSession) -> None:
    view = MonteCarloView(session=session)
    view.spec.n_runs = 200
    editor = view._editor
    editor.choice = "alpha"
    editor.param.trigger("add")
    editor.param.trigger("add")  # twice: still one entry
    assert [d.parameter for d in view.spec.parameters] == ["alpha"]
    result = view.run_now()
    assert result.spec.base_scenario.params.K_p == 0.3
    assert result.t[-1] == pytest.approx(20.0)
    assert view.status.startswith("Done: 200 runs")
    assert view.scatter_x == "alpha"
    names = models(view)
    assert {"Image", "VArea", "Scatter", "Tabulator"} <= set(names) or "GlyphRenderer" in names
    view.metric = "settling_time"  # the histogram follows the chosen metric


def test_bad_values_show_as_a_status_not_a_crash(session: ScenarioSession) -> None:
    view = StabilityView(session=session)
    view.spec.y_parameter = view.spec.x_parameter
    with pytest.raises(Exception, match="y_parameter"):
        view.run_now()


@pytest.mark.parametrize("method", ["sobol", "morris", "oat"])
def test_sensitivity_view_renders_each_method(session: ScenarioSession, method: str) -> None:
    view = SensitivityView(session=session)
    view.spec.param.update(method=method, n_base=8,
                           parameters=[ParameterRange(parameter="alpha"),
                                       ParameterRange(parameter="K_p")])
    view.run_now()
    assert "GlyphRenderer" in models(view)


def test_stability_and_controller_views_render(session: ScenarioSession) -> None:
    stability = StabilityView(session=session)
    stability.spec.param.update(x_points=4, y_points=3)
    stability.run_now()
    assert stability.result.regimes.shape == (3, 4)
    assert "GlyphRenderer" in models(stability)
    controller = ControllerView(session=session)
    controller.param.trigger("add_current")
    controller.spec.gain_sets = [*controller.spec.gain_sets, GainSet(K_p=0.0, K_i=0.1)]
    result = controller.run_now()
    assert result.metrics["regime"].iloc[0] in {"settles", "drifts"}
    assert len(result.runs) == 2
    assert "GlyphRenderer" in models(controller)


def test_monte_carlo_builds_its_trajectory_density_once_per_result(
        session: ScenarioSession, monkeypatch: pytest.MonkeyPatch) -> None:
    # The fan chart (a 2-D histogram of every kept trajectory) was built twice per result
    # and twice again on every change of the metric picker, which does not affect it.
    from nexus_panel.views import analysis_mc

    built: list[int] = []
    real = analysis_mc.density_image

    def counted(*args: Any) -> Any:
        built.append(1)
        return real(*args)

    monkeypatch.setattr(analysis_mc, "density_image", counted)
    view = MonteCarloView(session=session)
    view.spec.n_runs = 200
    view._editor.param.trigger("add")
    pn.panel(view).get_root()
    view.run_now()
    assert len(built) == 1
    view.metric = "settling_time"
    view.run_now()
    assert len(built) == 2


def test_optional_numbers_say_what_empty_means() -> None:
    from nexus_panel.analysis.stability import StabilitySpec
    from nexus_panel.views.analysis_common import param_form

    form = param_form(StabilitySpec(), parameters=["x_low", "x_high"])
    boxes = [w for w in form.layout.objects if isinstance(w, pn.widgets.FloatInput)]
    assert len(boxes) == 2
    # the placeholder says what empty stands for, read from the declaration's doc
    assert all(b.value is None and b.placeholder == "the end of the parameter's slider range"
               for b in boxes)
