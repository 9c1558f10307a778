"""Every analysis saved to the database comes back as an equal result without rerunning:
same tables, bands, grids and runs, number for number."""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd
import pytest

from nexus_panel.analysis.registry import ANALYSES, kind_of, restore_result
from nexus_panel.models import Scenario, ValidationError
from nexus_panel.storage import ScenarioStore

SPECS: dict[str, dict[str, Any]] = {
    "montecarlo": {"n_runs": 30, "keep_sample": 8, "parameters": [
        {"parameter": "K_p", "distribution": "normal", "mean": 0.2, "std": 0.05}]},
    "sensitivity": {"method": "oat", "outputs": ["final_N", "settling_time"], "parameters": [
        {"parameter": "alpha"}, {"parameter": "K_p"}]},
    "stability": {"x_parameter": "K_p", "y_parameter": "K_i", "x_points": 3, "y_points": 2},
    "controller": {"gain_sets": [{"K_p": 0.1}, {"K_p": 0.4, "label": "stiff"}]},
}


def _equal(a: Any, b: Any, where: str) -> None:
    if isinstance(a, pd.DataFrame):
        pd.testing.assert_frame_equal(a, b, obj=where)
        assert repr(a.attrs) == repr(b.attrs), where  # repr: NaN equals NaN
    elif isinstance(a, np.ndarray):
        np.testing.assert_array_equal(a, b, err_msg=where)
    elif isinstance(a, dict):
        assert list(a) == list(b), where
        for k in a:
            _equal(a[k], b[k], f"{where}[{k}]")
    elif isinstance(a, list) and a and hasattr(a[0], "frame"):  # controller runs
        for i, (x, y) in enumerate(zip(a, b, strict=True)):
            pd.testing.assert_frame_equal(x.frame, y.frame, obj=f"{where}[{i}]")
            assert x.summary == y.summary
    elif hasattr(a, "to_dict") and not isinstance(a, list):
        assert a.to_dict() == b.to_dict(), where
    else:
        assert a == b, where


@pytest.mark.parametrize("name", list(SPECS))
def test_saved_analysis_reopens_equal(name: str, sqlite_url: str) -> None:
    scenario = Scenario.from_dict({"name": f"base {name}", "params": {"num_steps": 150}})
    entry = ANALYSES[name]
    result = entry.run(entry.spec.from_dict({**SPECS[name], "scenario": scenario.to_dict()}))
    with ScenarioStore(sqlite_url) as store:
        record = store.save_analysis(scenario, kind_of(result), result)
        again = restore_result(*store.load_analysis(record.id))
    assert type(again) is type(result)
    for field in result.__dataclass_fields__:
        _equal(getattr(result, field), getattr(again, field), field)


def test_restore_names_an_unknown_analysis() -> None:
    with pytest.raises(ValidationError, match="analysis"):
        restore_result(Scenario(), {}, {"analysis": "astrology"})
    with pytest.raises(ValidationError, match="result"):
        kind_of(object())
