"""What a new user meets on an analysis page: defaults that run and teach, results marked
out of date, saving under a chosen name, no empty progress box; and the panel-free job."""

from __future__ import annotations

import time

import pytest
from rendering import text

from nexus_panel.analysis import Cancelled
from nexus_panel.analysis.job import AnalysisJob
from nexus_panel.analysis.montecarlo import MonteCarloSpec
from nexus_panel.models import Scenario, ValidationError
from nexus_panel.session import ScenarioSession
from nexus_panel.storage import ScenarioStore
from nexus_panel.views.analysis_mc import MonteCarloView
from nexus_panel.views.analysis_sensitivity import SensitivityView
from nexus_panel.views.analysis_stability import StabilityView

pytestmark = pytest.mark.filterwarnings("ignore:The inplace keyword:DeprecationWarning")


def session(name: str = "Untitled") -> ScenarioSession:
    return ScenarioSession(Scenario.from_dict({"name": name, "params": {"num_steps": 150}}))


def test_sensitivity_runs_with_the_defaults_it_shows() -> None:
    view = SensitivityView(session=session())
    assert [p.parameter for p in view.spec.parameters] == ["alpha", "beta"]
    result = view.run_now()  # failed with "parameters = []" before
    assert list(result.indices["final_N"].index) == ["alpha", "beta"]
    assert result.n_runs == 64 * (2 * 2 + 2)  # Sobol with S2: N (2D + 2)


def test_monte_carlo_starts_with_an_uncertain_parameter() -> None:
    view = MonteCarloView(session=session())
    assert [d.parameter for d in view.spec.parameters] == ["alpha"]
    view.spec.n_runs = 50
    result = view.run_now()
    assert result.runs["final_N"].nunique() > 1  # not 50 identical runs
    assert "Runs the scenario many times" in text(view.intro().object)


def test_results_that_no_longer_match_the_form_are_marked_out_of_date() -> None:
    s = session()
    view = StabilityView(session=s)
    view.spec.param.update(x_points=3, y_points=3)
    assert not view.stale
    view.run_now()
    assert not view.stale
    view.spec.x_points = 4
    assert view.stale
    view.spec.x_points = 3  # back to what ran
    assert not view.stale
    s.scenario.params.alpha = 1.4  # the scenario moved on
    assert view.stale
    view.run_now()
    assert not view.stale


def test_a_monte_carlo_item_edit_marks_the_result_out_of_date() -> None:
    view = MonteCarloView(session=session())
    view.spec.n_runs = 20
    view.run_now()
    view.spec.parameters[0].std = 0.01
    assert view.stale


def test_no_progress_box_before_a_run() -> None:
    view = StabilityView(session=session())
    controls = view.controls()
    bars = [w for w in controls.objects if type(w).__name__ == "Progress"]
    assert len(bars) == 1 and not bars[0].visible


def test_saving_needs_a_scenario_name(sqlite_url: str) -> None:
    store = ScenarioStore(sqlite_url)
    view = StabilityView(session=session(), store=store)
    view.spec.param.update(x_points=3, y_points=3)
    view.run_now()
    assert view.save_name == ""  # "Untitled" is no name to save under
    view.param.trigger("save")
    assert view.saved_id is None and "scenario name" in text(view.status)
    assert store.list() == []  # no shared "Untitled" scenario
    view.save_name = "my map"
    view.param.trigger("save")
    assert view.saved_id is not None
    assert store.analysis_info(view.saved_id).scenario_name == "my map"


def test_a_named_scenario_is_the_default_name() -> None:
    assert StabilityView(session=session("base case")).save_name == "base case"


def test_the_job_runs_cancels_and_saves_without_panel(sqlite_url: str) -> None:
    spec = MonteCarloSpec.from_dict({"n_runs": 40, "scenario": {"params": {"num_steps": 50}},
                                     "parameters": [{"parameter": "alpha"}]})
    job = AnalysisJob("montecarlo")
    assert job.start(spec) and not job.start(spec)  # one at a time
    deadline = time.monotonic() + 60
    while (result := job.poll()) is None:
        assert time.monotonic() < deadline
        time.sleep(0.01)
    assert result.n_runs == 40 and job.percent == 100 and not job.running
    with pytest.raises(ValidationError) as caught:
        job.save(ScenarioStore(sqlite_url), None)
    assert caught.value.fields == ["name"]
    record = job.save(ScenarioStore(sqlite_url), "job test")
    assert record.kind == "montecarlo" and record.scenario_name == "job test"

    big = MonteCarloSpec.from_dict({"n_runs": 20000, "chunk_size": 64,
                                    "scenario": {"params": {"num_steps": 2000}}})
    job.start(big)
    job.cancel()
    while True:
        try:
            if job.poll() is not None:
                pytest.fail("a cancelled job finished")
        except Cancelled:
            break
        time.sleep(0.01)


def test_the_result_table_downloads_as_csv_and_parquet() -> None:
    import io

    import pandas as pd

    view = StabilityView(session=session("dl test"))
    view.spec.param.update(x_parameter="K_p", x_low=0.1, x_high=0.3, x_points=3,
                           y_parameter="K_i", y_low=0.0, y_high=0.01, y_points=2)
    result = view.run_now()
    csv_button, parquet_button = view.downloads().objects
    assert csv_button.filename == "stability-dl_test.csv"
    table = pd.read_csv(io.BytesIO(csv_button.callback().getvalue()))
    assert len(table) == 6  # 3 x 2 cells
    assert list(table["K_p"]) == pytest.approx([0.1, 0.2, 0.3] * 2)
    assert list(table["K_i"]) == pytest.approx([0.0] * 3 + [0.01] * 3)
    assert list(table["regime"]) == list(result.regimes.ravel())
    back = pd.read_parquet(io.BytesIO(parquet_button.callback().getvalue()))
    assert back["final_N"].tolist() == pytest.approx(result.metrics["final_N"].ravel().tolist())


def test_every_result_table_has_one_row_per_run_or_entry() -> None:
    from nexus_panel.analysis import run_controller, run_monte_carlo, run_sensitivity
    from nexus_panel.analysis.controller import ControllerSpec
    from nexus_panel.analysis.sensitivity import SensitivitySpec

    scenario = {"params": {"num_steps": 60}}
    mc = run_monte_carlo(MonteCarloSpec.from_dict(
        {"n_runs": 12, "scenario": scenario, "parameters": [{"parameter": "alpha"}]}))
    assert len(mc.table()) == 12 and mc.table().index.name == "run"
    sens = run_sensitivity(SensitivitySpec.from_dict(
        {"n_base": 8, "scenario": scenario, "outputs": ["final_N", "mean_issuance"],
         "parameters": [{"parameter": "alpha"}, {"parameter": "beta"}]}))
    assert list(sens.table().index.names) == ["output", "parameter"]
    assert len(sens.table()) == 4  # 2 outputs x 2 parameters
    ctl = run_controller(ControllerSpec.from_dict({"scenario": scenario}))
    assert list(ctl.table().index) == ["scenario gains"]


def test_empty_boxes_say_which_default_they_stand_for() -> None:
    from nexus_panel.analysis.sensitivity import ParameterRange
    from nexus_panel.views.analysis_common import empty_means, param_form

    assert empty_means(ParameterRange.param.low) == "the slider's lower end"
    form = param_form(ParameterRange(parameter="alpha"))
    assert form._widgets["high"].placeholder == "the slider's upper end"
