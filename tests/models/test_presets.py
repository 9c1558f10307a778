"""Each preset really shows what its name says, measured on the engine's run."""

from __future__ import annotations

import numpy as np
import pandas as pd

from nexus_panel.engine import simulate
from nexus_panel.models import Scenario
from nexus_panel.models.presets import PRESETS


def _run(slug: str) -> tuple[Scenario, pd.DataFrame]:
    scenario = PRESETS[slug].scenario()
    assert scenario.validate() == []
    return scenario, simulate(scenario).frame


def test_the_picker_offers_the_four_behaviours_the_issue_names() -> None:
    assert list(PRESETS) == ["steady", "shock", "collapse", "oscillating"]
    assert [p.scenario().name for p in PRESETS.values()] == [p.title for p in PRESETS.values()]


def test_steady_state_stays_within_half_a_percent_of_the_target() -> None:
    scenario, frame = _run("steady")
    target = scenario.params.N_target
    n = frame["N"].to_numpy()
    assert abs(n[-1] - target) < 0.005 * target
    assert np.max(np.abs(n - target)) < 0.005 * target  # flat all along, not only at the end


def test_shock_doubles_consumption_at_step_500_and_n_dips_then_recovers() -> None:
    scenario, frame = _run("shock")
    c = frame["C_cons"].to_numpy()
    assert c[499] == 60 and c[500] == 120  # the step, at t = 50
    n = frame["N"].to_numpy()
    target = scenario.params.N_target
    assert abs(n[499] - target) < 0.005 * target  # steady before the shock
    assert n[500:].min() < 0.9 * target  # a dip of more than 10 %
    assert abs(n[-1] - target) < 0.05 * target  # pulled back by the controller


def test_collapse_drains_n_to_zero() -> None:
    scenario, frame = _run("collapse")
    n = frame["N"].to_numpy()
    assert n[0] == scenario.params.N_initial == 1000
    assert n[-1] < 1.0
    assert frame["Phi"].abs().max() == 0  # no controller to rescue it


def test_oscillating_controller_crosses_the_target_many_times() -> None:
    scenario, frame = _run("oscillating")
    error = frame["N"].to_numpy() - scenario.params.N_target
    signs = np.sign(error[np.abs(error) > 1e-9])
    crossings = int(np.count_nonzero(np.diff(signs)))
    assert crossings >= 10
    assert error.max() > 0.2 * scenario.params.N_target  # real overshoots, not noise
