"""Network economies: the dynamics of docs/network.md, number for number.

A step worked by hand; the consistency with ``simulate()`` (one agent, or identical agents
without transfers or network effect); conservation of transfers; the ledger, clamps and
non-negative holdings; transfers alone converging to the stationary distribution; the
same totals on one thread or several; seeds.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from models.scenario_strategies import scenario_dicts

from nexus_panel.analysis.network import gini, lorenz, run_network, top_share
from nexus_panel.analysis.network_spec import NetworkSpec
from nexus_panel.engine import simulate


def spec(**data: Any) -> NetworkSpec:
    return NetworkSpec.from_dict(data)


def test_one_step_worked_by_hand() -> None:
    """Two agents joined by one edge; docs/network.md's formulas evaluated by hand.

    Defaults (H=100, M=80, D=50, E=0.8, C_cons=60, C_disp=40), N_initial = 900, dt = 0.1.
    Weights: H 1:3, C_cons 3:1, holdings 1:4 (others equal) -> x = (180, 720).
    S = 0.3*0.8 + 0.3*0.9 + 0.2*1 + 0.2*0.8 = 0.87; e = -100, integral = -10,
    derivative = -1000, Phi = -(0.1*-100 + 0.01*-10 + 0.05*-1000) = 60.1.
    Contributions c = (10 + 12 + 5 + 0.04, 30 + 12 + 5 + 0.04) = (27.04, 47.04); both agents
    have degree 1, so f = 1 + 0.5 ln 2 and I_i = 0.87 f c_i.
    Burn bases (22.5 + 6 + 0.02, 7.5 + 6 + 0.02) = (28.52, 13.52), B = 42.04.
    Phi shares 180/900, 720/900 -> (12.02, 48.08). Mean holding 450, threshold 225: only
    agent 0 is below and receives the whole floor eta*F = 1.
    Transfers: tau*dt = 0.02 -> agent 0 pays 3.6, agent 1 pays 14.4, each to the other.
    """
    result = run_network(spec(
        agents=2, scenario={"params": {"num_steps": 1, "N_initial": 900}},
        graph={"kind": "edge_list", "edges": [[0, 1]]}, transfer_rate=0.2, network_effect=0.5,
        floor_threshold=0.5, agent_table={"H": [1, 3], "C_cons": [3, 1], "holdings": [1, 4]}))
    f = 1 + 0.5 * math.log(2)
    issued = (0.87 * f * 27.04, 0.87 * f * 47.04)
    dn = (issued[0] - 28.52 - 0.01 * 180 + 12.02 + 1.0,
          issued[1] - 13.52 - 0.01 * 720 + 48.08 + 0.0)
    expected = (180 + 0.1 * dn[0] - 3.6 + 14.4, 720 + 0.1 * dn[1] - 14.4 + 3.6)
    np.testing.assert_allclose(result.snapshots[-1], expected, rtol=1e-13)
    row = result.aggregates.iloc[0]
    assert row["S"] == pytest.approx(0.87, rel=1e-14)
    assert row["Phi"] == pytest.approx(60.1, rel=1e-13)
    assert row["I"] == pytest.approx(0.87 * f * 74.08, rel=1e-13)
    assert row["B"] == pytest.approx(42.04, rel=1e-13)
    assert row["floor_recipients"] == 1
    assert row["transferred"] == pytest.approx(18.0, rel=1e-13)
    total = 900 + 0.1 * (0.87 * f * 74.08 - 42.04 - 9.0 + 60.1 + 1.0)
    assert result.summary["final_total"] == pytest.approx(total, rel=1e-13)
    assert sum(expected) == pytest.approx(total, rel=1e-13)


def _assert_same_trajectory(net: np.ndarray, sim: np.ndarray) -> None:
    """Equal to 1e-12 relative to the run's scale (a point where simulate() clamps N to
    exactly 0 holds the agents' summed top-ups: zero up to rounding)."""
    scale = max(1.0, float(np.max(np.abs(sim))))
    np.testing.assert_allclose(net, sim, rtol=1e-12, atol=1e-12 * scale)


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(scenario=scenario_dicts(max_steps=60), agents=st.integers(1, 40),
       tau=st.floats(0, 1), nu=st.floats(0, 10), seed=st.integers(0, 2**32))
def test_aggregate_equals_simulate(scenario: dict[str, Any], agents: int, tau: float,
                                   nu: float, seed: int) -> None:
    """One agent (any transfer rate and network effect: it has no neighbours), or identical
    agents with tau = nu = 0 on any graph: N(t) is simulate()'s N(t)."""
    if agents > 1:
        tau = nu = 0.0
    result = run_network(spec(agents=agents, scenario=scenario, transfer_rate=tau,
                              network_effect=nu, seed=seed,
                              graph={"kind": "erdos_renyi", "p": 0.3}))
    reference = simulate(result.spec.base_scenario)
    _assert_same_trajectory(result.aggregates["N"].to_numpy(), reference.frame["N"].to_numpy())
    assert result.summary["clamp_total"] == pytest.approx(
        reference.summary["clamp_total"], rel=1e-9, abs=1e-9 * max(1.0, abs(reference.final_N)))


HETEROGENEOUS = [
    {"parameter": "H", "distribution": "lognormal", "median": 1.0, "sigma": 1.0},
    {"parameter": "C_cons", "distribution": "uniform", "low": 0.0, "high": 3.0},
    {"parameter": "holdings", "distribution": "lognormal", "median": 1.0, "sigma": 1.5},
]


def test_heterogeneous_run_keeps_the_ledger_and_counts_clamps() -> None:
    """Heavy burn empties the poorer agents: holdings stay >= 0, every clamp is counted and
    booked, and the holdings always sum to the ledger N within 1e-9."""
    result = run_network(spec(
        agents=600, scenario={"params": {"num_steps": 400, "beta": 2.5, "N_initial": 300}},
        graph={"kind": "barabasi_albert", "m": 2}, heterogeneity=HETEROGENEOUS,
        transfer_rate=0.3, network_effect=1.0, snapshot_every=10, seed=4))
    agg = result.aggregates
    assert result.summary["clamp_events"] > 0
    assert result.summary["clamp_events"] == agg["clamped"].sum()
    assert result.summary["clamp_total"] == pytest.approx(agg["top_up"].sum(), rel=1e-12)
    assert (result.snapshots >= 0).all()
    assert result.summary["ledger_residual"] <= 1e-9
    np.testing.assert_allclose(agg["holdings_sum"], agg["N"], rtol=0,
                               atol=1e-9 * agg["N"].abs().max())
    np.testing.assert_allclose(result.snapshots.sum(axis=1), agg["N"].iloc[::10], rtol=1e-12)
    # each step moves N by dN/dt*dt plus that step's top-ups, exactly as booked
    n = agg["N"].to_numpy()
    booked = n[:-1] + agg["dN_dt"].to_numpy()[:-1] * 0.1 + agg["top_up"].to_numpy()[:-1]
    np.testing.assert_allclose(n[1:], booked, rtol=1e-12, atol=1e-9)


def test_transfers_alone_conserve_and_reach_the_stationary_distribution() -> None:
    """With every other flow switched off, transfers move holdings but never the total;
    on a connected graph holdings tend to be proportional to each agent's degree (the
    stationary distribution of the walk "pay in proportion to edge weights")."""
    zero = dict.fromkeys(("alpha", "beta", "kappa", "eta", "K_p", "K_i", "K_d"), 0.0)
    result = run_network(spec(
        agents=300, scenario={"params": {"num_steps": 3000, "delta_t": 1.0, **zero}},
        graph={"kind": "barabasi_albert", "m": 3}, transfer_rate=0.5,
        heterogeneity=[{"parameter": "holdings", "distribution": "uniform", "low": 0,
                        "high": 10}], seed=2))
    totals = result.snapshots.sum(axis=1)
    np.testing.assert_allclose(totals, 1000.0, rtol=1e-12)
    assert (result.aggregates["N"] == 1000.0).all()
    degree = result.network.degree
    np.testing.assert_allclose(result.snapshots[-1], 1000.0 * degree / degree.sum(),
                               rtol=1e-6)
    assert result.inequality()["gini"].iloc[0] > 0.3  # uniform draws, not degree-shaped


def test_network_effect_favours_hubs() -> None:
    """Identical agents on a star: the hub's factor 1 + nu ln(1 + 9) beats the leaves'
    1 + nu ln 2, and it ends up richer; the total issuance grows by the mean factor."""
    star = [[0, i] for i in range(1, 10)]
    result = run_network(spec(agents=10, graph={"kind": "edge_list", "edges": star},
                              network_effect=1.0, transfer_rate=0.0,
                              scenario={"params": {"num_steps": 1}}))
    hub, leaf = 1 + math.log(10), 1 + math.log(2)
    row = result.aggregates.iloc[0]
    assert row["I"] == pytest.approx(66.672 * (hub + 9 * leaf) / 10, rel=1e-13)
    final = result.snapshots[-1]
    assert final[0] > final[1] and np.allclose(final[1:], final[1])


def test_parallel_and_serial_give_identical_numbers(monkeypatch: pytest.MonkeyPatch) -> None:
    """Blocks are summed in block order: the thread count cannot change a single bit."""
    data = {"agents": 5000, "graph": {"kind": "watts_strogatz", "k": 6, "rewire": 0.3},
            "heterogeneity": HETEROGENEOUS, "transfer_rate": 0.2, "network_effect": 0.3,
            "scenario": {"params": {"num_steps": 150, "beta": 2.0}}}
    monkeypatch.setattr("nexus_panel.analysis.network.PARALLEL_AGENTS", 10**9)
    serial = run_network(spec(**data))
    monkeypatch.setattr("nexus_panel.analysis.network.PARALLEL_AGENTS", 0)
    parallel = run_network(spec(**data))
    np.testing.assert_array_equal(serial.snapshots, parallel.snapshots)
    np.testing.assert_array_equal(serial.aggregates.to_numpy(), parallel.aggregates.to_numpy())


def test_runs_are_seeded_independently() -> None:
    data = {"agents": 200, "heterogeneity": HETEROGENEOUS, "seed": 9,
            "scenario": {"params": {"num_steps": 100}}}
    three = run_network(spec(**data, runs=3))
    one = run_network(spec(**data))
    np.testing.assert_array_equal(three.totals[0], one.totals[0])
    np.testing.assert_array_equal(three.snapshots, one.snapshots)
    assert len({row.tobytes() for row in three.totals}) == 3
    assert three.runs["final_total"].tolist() == list(three.totals[:, -1])


def test_inequality_measures_by_hand() -> None:
    x = np.array([0.0, 1.0, 1.0, 2.0])
    # Gini = sum |xi - xj| / (2 n^2 mean) = 12 / (2 * 16 * 1) = 0.375
    assert gini(x) == pytest.approx(0.375)
    assert gini(np.full(7, 3.0)) == pytest.approx(0.0)
    assert gini(np.array([0.0, 0.0, 5.0])) == pytest.approx(2 / 3)
    assert top_share(np.arange(1.0, 11.0)) == pytest.approx(10 / 55)
    assert top_share(np.array([4.0])) == 1.0
    share, held = lorenz(x)
    np.testing.assert_allclose(share, [0, 0.25, 0.5, 0.75, 1])
    np.testing.assert_allclose(held, [0, 0, 0.25, 0.5, 1])


def test_communities_from_blocks_and_per_community_totals() -> None:
    result = run_network(spec(agents=400, graph={"kind": "stochastic_block", "blocks": 4,
                                                 "p_in": 0.1, "p_out": 0.002},
                              scenario={"params": {"num_steps": 50}}))
    table = result.community_table()
    assert table is not None and table["agents"].tolist() == [100] * 4
    assert table["holdings"].sum() == pytest.approx(result.snapshots[-1].sum(), rel=1e-12)
    totals = result.community_totals()
    assert totals is not None
    np.testing.assert_allclose(totals.sum(axis=1), result.snapshots.sum(axis=1), rtol=1e-12)
