"""Issue 10.9: every bad input is a ValidationError naming the field and the allowed range
(assignment included), errors about a file name the file, and ScenarioStore is part of
the top-level API."""

from __future__ import annotations

from pathlib import Path

import pytest

import nexus_panel as nx
from nexus_panel.cli import main


@pytest.mark.parametrize(("field", "value", "message"), [
    ("alpha", 99, "alpha = 99 (allowed: a finite number in [0, 5])"),
    ("kappa", -0.5, "kappa = -0.5 (allowed: a finite number in [0, 0.1])"),
    ("delta_t", 0, "delta_t = 0 (allowed: a finite number in [1e-06, 1])"),
    ("alpha", float("nan"), "alpha = nan (allowed: a finite number in [0, 5])"),
    ("num_steps", 0, "num_steps = 0 (allowed: a whole number in [1, 1e+06])"),
])
def test_assigning_out_of_range_raises_validation_error(field: str, value: float,
                                                         message: str) -> None:
    params = nx.Scenario().params
    before = getattr(params, field)
    with pytest.raises(nx.ValidationError) as caught:
        setattr(params, field, value)
    assert str(caught.value) == f"1 invalid value: {message}"
    assert caught.value.fields == [field]
    assert getattr(params, field) == before  # nothing half-assigned


def test_a_good_assignment_still_works() -> None:
    params = nx.Scenario().params
    params.alpha = 2
    params.num_steps = 5000
    assert params.to_dict()["alpha"] == 2.0 and params.num_steps == 5000


def test_errors_in_a_scenario_file_name_the_file(tmp_path: Path,
                                                 capsys: pytest.CaptureFixture[str]) -> None:
    broken = tmp_path / "broken.json"
    broken.write_text('{"params": {"alpha": 1.0,')
    out_of_range = tmp_path / "range.json"
    out_of_range.write_text('{"params": {"alpha": 99}}')
    assert main(["run", str(broken)]) == 2
    err = capsys.readouterr().err  # a long path is shortened in the middle, never its name
    assert "1 invalid value: file = '" in err and "broken.json' (allowed: valid JSON" in err
    assert main(["run", str(out_of_range)]) == 2
    assert (f"1 invalid value: {out_of_range}: params.alpha = 99 (allowed: a finite "
            "number in [0, 5])") in capsys.readouterr().err


def test_importing_a_file_with_a_bad_value_names_the_file(tmp_path: Path) -> None:
    path = tmp_path / "range.json"
    path.write_text('{"name": "x", "params": {"alpha": 99}}')
    with nx.ScenarioStore(f"sqlite:///{tmp_path}/s.db") as store, \
            pytest.raises(nx.ValidationError, match=f"{path}: params.alpha = 99"):
        store.import_file(path)


def test_scenario_store_is_exported(tmp_path: Path) -> None:
    from nexus_panel.storage import ScenarioStore

    assert nx.ScenarioStore is ScenarioStore and "ScenarioStore" in nx.__all__
    with nx.ScenarioStore(f"sqlite:///{tmp_path}/s.db") as store:
        result = nx.simulate(nx.Scenario(name="growth"))
        store.save(result.scenario, run=result)
        assert store.runs("growth")[0].summary["final_N"] == result.final_N
