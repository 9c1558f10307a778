"""simulate() against the spec: the worked example, long-run values, an independent
plain-Python implementation, and each mechanism (E clipping, PID kick, ledger, clamp)."""

from __future__ import annotations

import json
import math
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from nexus_panel import Scenario, simulate
from nexus_panel.benchmarks.reference import reference_run
from nexus_panel.engine import COLUMNS, SUMMARY_FIELDS
from nexus_panel.models import INPUT_NAMES, EngineParams, Inputs, Signal, ValidationError

ROOT = str(Path(__file__).resolve().parents[2])


def run(**params: float) -> pd.DataFrame:
    return simulate(Scenario(params=EngineParams(**params))).frame


def test_worked_example_first_step() -> None:
    row = run(num_steps=1).iloc[0]
    assert row["S"] == pytest.approx(0.9, rel=1e-15)
    assert row["I"] == pytest.approx(66.672, rel=1e-15)
    assert row["B"] == pytest.approx(42.04, rel=1e-15)
    assert row["e"] == 0.0
    assert row["Phi"] == 0.0
    assert row["dN_dt"] == pytest.approx(15.632, rel=1e-14)
    assert run(num_steps=1)["N"].tolist() == pytest.approx([1000.0, 1001.5632], rel=1e-15)


def test_second_step_controller_reacts() -> None:
    frame = run(num_steps=2)
    assert frame["e"][1] == pytest.approx(1.5632, rel=1e-12)
    assert frame["Phi"][1] == pytest.approx(-0.9394832, rel=1e-12)
    assert frame["N"][2] == pytest.approx(1003.0343625357, abs=5e-11)


@pytest.mark.parametrize(("steps", "final"), [(1000, 1001.4226201632692),
                                              (10_000, 1000.0000000000009)])
def test_long_run_final_values(steps: int, final: float) -> None:
    assert simulate(Scenario(params=EngineParams(num_steps=steps))).final_N == pytest.approx(
        final, rel=1e-12)


def test_frame_layout_one_row_per_time_point() -> None:
    frame = run(num_steps=10, N_initial=900.0)
    assert list(frame.columns) == list(COLUMNS)
    assert len(frame) == 11
    assert frame["t"].tolist() == pytest.approx([k * 0.1 for k in range(11)], rel=1e-15)
    assert frame["N"][0] == 900.0
    last = frame.iloc[-1]
    assert last[["I", "B", "S", "Phi", "e", "dN_dt", *INPUT_NAMES]].isna().all()
    assert np.isfinite(frame.iloc[:-1].to_numpy()).all()
    # cumulative_I at t_k integrates I over steps 0..k-1 (0 on row 0)
    assert frame["cumulative_I"][0] == 0.0
    for k in (1, 5, 10):
        assert frame["cumulative_I"][k] == pytest.approx(frame["I"][:k].sum() * 0.1, rel=1e-12)
        assert frame["cumulative_B"][k] == pytest.approx(frame["B"][:k].sum() * 0.1, rel=1e-12)
    # each row's N is the previous row's N plus its flow (no clamping here)
    assert frame["N"][1:].to_numpy() == pytest.approx(
        (frame["N"] + frame["dN_dt"] * 0.1)[:-1].to_numpy(), rel=1e-15)


def _random_scenario(seed: int, steps: int) -> Scenario:
    rng = np.random.default_rng(seed)
    kinds = [
        Signal(kind="random_walk", initial=100.0, volatility=8.0, seed=int(rng.integers(1e9))),
        Signal(kind="sinusoidal", offset=80.0, amplitude=30.0, frequency=0.05),
        Signal(kind="random_walk", initial=50.0, volatility=5.0, seed=int(rng.integers(1e9))),
        Signal(kind="sinusoidal", offset=0.6, amplitude=0.7, frequency=0.02),  # E leaves [0,1]
        Signal(kind="pulse", baseline=60.0, pulse_height=40.0, pulse_width=7,
               pulse_period=30),
        Signal(kind="random_walk", initial=40.0, volatility=6.0, seed=int(rng.integers(1e9))),
    ]
    params = EngineParams(num_steps=steps, alpha=float(rng.uniform(0.5, 2)),
                          beta=float(rng.uniform(0.5, 2)), K_p=float(rng.uniform(0, 0.5)),
                          K_d=float(rng.uniform(0, 0.5)), N_initial=float(rng.uniform(0, 2000)),
                          delta_t=float(rng.uniform(0.01, 0.5)))
    return Scenario(params=params, inputs=Inputs(**dict(zip(INPUT_NAMES, kinds, strict=True))))


@pytest.mark.parametrize("seed", [1, 2, 3, 4])
def test_agrees_with_plain_python_implementation_of_the_spec(seed: int) -> None:
    scenario = _random_scenario(seed, 3000)
    p = scenario.params
    arrays = scenario.inputs.arrays(p.num_steps, p.delta_t)
    expected = reference_run(p.to_dict(), {n: row.tolist() for n, row in
                                           zip(INPUT_NAMES, arrays, strict=True)}, p.phi_limit)
    got = simulate(scenario).frame["N"].to_numpy()
    np.testing.assert_allclose(got, expected, rtol=1e-12, atol=1e-9)


def test_E_is_clipped_to_unit_interval_everywhere_in_the_step() -> None:
    high = simulate(Scenario(params=EngineParams(num_steps=1),
                             inputs=Inputs(E=Signal(value=1.7)))).frame.iloc[0]
    assert high["E"] == 1.0
    # S = 0.3*1 + 0.3*1 + 0.2*1 + 0.2*0.8 = 0.96; I = 0.96*(40 + 24 + 10 + 0.1*1)
    assert high["S"] == pytest.approx(0.96, rel=1e-15)
    assert high["I"] == pytest.approx(0.96 * 74.1, rel=1e-14)
    assert high["B"] == pytest.approx(42.0, rel=1e-15)  # ecological load max(0, 1 - 1) = 0
    low = simulate(Scenario(params=EngineParams(num_steps=1),
                            inputs=Inputs(E=Signal(value=-0.5)))).frame.iloc[0]
    assert low["E"] == 0.0
    assert low["S"] == pytest.approx(0.3 + 0.2 + 0.16, rel=1e-15)
    assert low["B"] == pytest.approx(30 + 12 + 0.2, rel=1e-15)  # load = 1


def test_pid_kicks_on_the_first_step_when_off_target() -> None:
    frame = run(num_steps=2, N_initial=1100.0)
    # e = 100, integral = 10, derivative = (100 - 0)/0.1 = 1000
    assert frame["e"][0] == 100.0
    assert frame["Phi"][0] == pytest.approx(-(0.1 * 100 + 0.01 * 10 + 0.05 * 1000), rel=1e-14)
    # step 1: the derivative now uses e_prev = 100, so no kick
    e1 = frame["e"][1]
    expected = -(0.1 * e1 + 0.01 * (10 + e1 * 0.1) + 0.05 * (e1 - 100) / 0.1)
    assert frame["Phi"][1] == pytest.approx(expected, rel=1e-12)
    assert abs(frame["Phi"][1]) < abs(frame["Phi"][0]) / 5


def test_phi_is_clipped_at_its_limit_and_reported() -> None:
    result = simulate(Scenario(params=EngineParams(num_steps=2, N_initial=1100.0, K_d=1.0)))
    assert result.frame["Phi"][0] == -100.0
    assert result.summary["phi_saturated_fraction"] == 0.5
    assert any("limit" in w for w in result.warnings)
    wide = simulate(Scenario(params=EngineParams(num_steps=1, N_initial=1100.0, K_d=1.0,
                                                 phi_limit=2000.0)))
    assert wide.frame["Phi"][0] == pytest.approx(-1010.1, rel=1e-14)


def test_ledger_balances_without_clamping() -> None:
    result = simulate(Scenario(params=EngineParams(num_steps=10_000)))
    s = result.summary
    assert s["clamp_events"] == 0
    assert s["clamp_total"] == 0
    assert abs(s["ledger_residual"]) < 1e-9
    frame = result.frame
    flows = math.fsum(frame["dN_dt"][:-1] * 0.1)
    assert frame["N"].iloc[-1] - frame["N"][0] == pytest.approx(flows, abs=1e-9)
    assert s["issued_minus_burned"] == pytest.approx(
        frame["cumulative_I"].iloc[-1] - frame["cumulative_B"].iloc[-1], rel=1e-12)


def test_clamp_events_are_counted_when_N_hits_zero() -> None:
    result = simulate(Scenario(params=EngineParams(num_steps=2000, beta=5.0, alpha=0.0)))
    frame, s = result.frame, result.summary
    assert s["min_N"] == 0.0
    assert (frame["N"] >= 0).all()
    n = frame["N"].to_numpy()
    proposed = n[:-1] + frame["dN_dt"].to_numpy()[:-1] * 0.1
    clamped = proposed < 0
    assert s["clamp_events"] == clamped.sum() > 100
    assert s["clamp_total"] == pytest.approx(-proposed[clamped].sum(), rel=1e-9)
    # The ledger still balances once the clamp top-ups are booked.
    assert abs(s["ledger_residual"]) < 1e-9
    assert n[-1] - n[0] == pytest.approx(
        math.fsum(frame["dN_dt"][:-1] * 0.1) + s["clamp_total"], abs=1e-8)
    assert any("clamped" in w for w in result.warnings)


def test_summary_figures() -> None:
    result = simulate(Scenario(params=EngineParams(num_steps=500)))
    frame, s = result.frame, result.summary
    assert list(s) == list(SUMMARY_FIELDS)
    assert s["final_N"] == frame["N"].iloc[-1]
    assert s["min_N"] == frame["N"].min()
    assert s["max_N"] == frame["N"].max()
    assert s["mean_issuance"] == pytest.approx(frame["I"][:-1].mean(), rel=1e-12)
    assert s["mean_burn"] == pytest.approx(frame["B"][:-1].mean(), rel=1e-12)


def test_weight_warnings_are_carried_on_the_result() -> None:
    result = simulate(Scenario(params=EngineParams(num_steps=5, gamma_C=0.9)))
    assert any("Burn weights" in w for w in result.warnings)


def test_bad_values_never_reach_the_engine() -> None:
    scenario = Scenario()
    with pytest.raises(ValueError, match="alpha"):
        scenario.params.alpha = float("nan")  # param guards assignments (the UI path)
    assert simulate(scenario).final_N == pytest.approx(1001.4226201632692, rel=1e-12)
    with pytest.raises(ValidationError) as err:  # and ValidationError guards every file/dict
        simulate(Scenario.from_dict({"params": {"delta_t": 0.0}}))
    assert err.value.fields == ["params.delta_t"]


WARM_UP_PROBE = """
import json
from nexus_panel.engine import kernel, run_batch, simulate, warm_up
from nexus_panel.models import EngineParams, Inputs, Scenario, Signal
kernels = {n: getattr(kernel, n) for n in ("run_one", "run_many", "run_many_rows")}
before = {n: len(k.signatures) for n, k in kernels.items()}
warm_up()
after = {n: len(k.signatures) for n, k in kernels.items()}
walk = Scenario(params=EngineParams(num_steps=30), inputs=Inputs(H=Signal(kind="random_walk")))
simulate(walk)
run_batch(walk, n_runs=5, master_seed=1, keep_trajectories=True)
run_batch(Scenario(params=EngineParams(num_steps=30)), n_runs=5)
used = {n: len(k.signatures) for n, k in kernels.items()}
print(json.dumps([before, after, used]))
"""


def test_warm_up_compiles_every_kernel_a_user_reaches() -> None:
    """In a fresh process: nothing compiled before, every kernel after, and the calls a
    user makes next need no new compilation (a do-nothing warm_up fails all three)."""
    done = subprocess.run([sys.executable, "-c", WARM_UP_PROBE], capture_output=True,
                          text=True, check=False, env={**os.environ, "PYTHONPATH": ROOT})
    assert done.returncode == 0, done.stderr
    before, after, used = json.loads(done.stdout.splitlines()[-1])
    assert set(before.values()) == {0}
    assert all(count >= 1 for count in after.values())
    assert used == after
