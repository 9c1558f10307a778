"""Analysis figures: Monte Carlo with percentile bands, Sobol indices, and plain-loop ratios.

Targets (issue 5, on a 2-core machine, in-process threads):

- Monte Carlo, 10,000 runs x 1,000 steps, three sampled parameters, percentile bands of
  N(t), response metrics and statistics: ≤ 0.5 s.
- Sobol over 8 parameters with N = 1,024 and second-order indices (18,432 runs x 1,000
  steps), sampling + runs + SALib analysis of one output: ≤ 3 s.

The "python_loop" figures do the same work with the plain-Python reference loop of the
spec (``reference.py``), one run after another. They are measured on a subset of runs
and extrapolated linearly to the full count (runs are independent and cost the same);
the note gives the subset and the speed-up of the real analysis over the loop.
"""

from __future__ import annotations

import time
from typing import Any

import numpy as np

from nexus_panel.analysis import (
    MonteCarloSpec,
    SensitivitySpec,
    run_monte_carlo,
    run_sensitivity,
)
from nexus_panel.analysis.distributions import sample_parameters
from nexus_panel.benchmarks import Figure, median_seconds, quick, selected
from nexus_panel.benchmarks.reference import reference_run
from nexus_panel.models import INPUT_NAMES, Scenario

MC_RUNS = 10_000
SOBOL_PARAMETERS = ("alpha", "beta", "kappa", "eta", "F_floor", "K_p", "K_i", "K_d")
SOBOL_N = 1024
LOOP_SUBSET = 40


def mc_spec(n_runs: int = MC_RUNS) -> MonteCarloSpec:
    return MonteCarloSpec.from_dict({"n_runs": n_runs, "master_seed": 1, "parameters": [
        {"parameter": "alpha", "distribution": "normal", "std": 0.1},
        {"parameter": "beta", "distribution": "uniform", "low": 0.8, "high": 1.2},
        {"parameter": "K_p", "distribution": "triangular", "low": 0.0, "mode": 0.1,
         "high": 0.5}]})


def sobol_spec() -> SensitivitySpec:
    return SensitivitySpec.from_dict({
        "method": "sobol", "n_base": SOBOL_N, "second_order": True, "outputs": ["final_N"],
        "parameters": [{"parameter": p} for p in SOBOL_PARAMETERS]})


def _loop_runs(scenario: Scenario, overrides: dict[str, np.ndarray], runs: int) -> np.ndarray:
    """``runs`` runs of the plain-Python loop; returns their N(t) rows."""
    p = scenario.params
    arrays = scenario.inputs.arrays(p.num_steps, p.delta_t)
    inputs = {name: row.tolist() for name, row in zip(INPUT_NAMES, arrays, strict=True)}
    base: dict[str, Any] = p.to_dict()
    out = []
    for r in range(runs):
        values = {**base, **{k: float(v[r]) for k, v in overrides.items()}}
        out.append(reference_run(values, inputs, values["phi_limit"]))
    return np.array(out)


def _mc_figures() -> list[Figure]:
    spec = mc_spec()
    run_monte_carlo(mc_spec(500))  # compile / load kernels
    seconds = median_seconds(lambda: run_monte_carlo(spec), repeats=5, quick_repeats=1)
    scenario = spec.base_scenario
    subset = 10 if quick() else LOOP_SUBSET
    sampled = sample_parameters(spec.parameters, scenario.params, subset, spec.master_seed)
    began = time.perf_counter()
    traj = _loop_runs(scenario, sampled, subset)
    np.percentile(traj, [5, 25, 50, 75, 95], axis=0)
    loop = (time.perf_counter() - began) * MC_RUNS / subset
    return [
        Figure("analysis.mc_10k_runs_1k_steps", seconds, 0.5,
               "10,000 runs x 1,000 steps, 3 sampled parameters: bands 5/25/50/75/95 of "
               "N(t) (histogram, bound reported), response metrics, statistics"),
        Figure("analysis.mc_python_loop_10k_runs", loop, None,
               f"plain-Python loop of the same runs + numpy percentiles, measured on "
               f"{subset} runs and scaled to 10,000; the analysis is "
               f"{loop / seconds:,.0f}x faster"),
    ]


def _sobol_figures() -> list[Figure]:
    spec = sobol_spec()
    seconds = median_seconds(lambda: run_sensitivity(spec), repeats=3, quick_repeats=1)
    from SALib.sample import sobol

    design = sobol.sample(spec.problem(), SOBOL_N, calc_second_order=True, seed=1)
    subset = 10 if quick() else LOOP_SUBSET
    overrides = {n: design[:subset, i] for i, n in enumerate(SOBOL_PARAMETERS)}
    began = time.perf_counter()
    _loop_runs(spec.base_scenario, overrides, subset)
    loop = (time.perf_counter() - began) * len(design) / subset
    return [
        Figure("analysis.sobol_8_params_n1024", seconds, 3.0,
               f"{len(design):,} runs x 1,000 steps (Saltelli sample, second order) + "
               "SALib S1/ST/S2 with 100 bootstrap resamples, output final_N"),
        Figure("analysis.sobol_python_loop_runs", loop, None,
               f"the {len(design):,} runs alone in the plain-Python loop, measured on "
               f"{subset} and scaled; the whole analysis is {loop / seconds:,.0f}x faster"),
    ]


def figures() -> list[Figure]:
    out: list[Figure] = []
    if selected("analysis.mc"):
        out += _mc_figures()
    if selected("analysis.sobol"):
        out += _sobol_figures()
    return out
