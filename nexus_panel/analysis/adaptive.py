"""Adaptive control: re-tune the PID gains every M steps on a receding horizon.

At step k0 = M, 2M, ... the controller looks back at the inputs it has seen over the last
``horizon`` steps and asks which gains would have held N nearest N_target over them,
starting from where it is now (N, the PID integral and the last error): a small Optuna
study (TPE, seeded per window) whose trials are evaluated in batches by
:func:`nexus_panel.analysis.adaptive_kernel.window_costs` (RMS error over the window).
The best gains drive the next M steps. Each window's study is warm-started with the
previous window's best trials, so a regime that has not changed costs few trials to
confirm. The first window, with nothing seen yet, runs on the scenario's own gains.

The same scenario is run with the fixed (scenario) gains for comparison. Both runs use
the engine's step arithmetic (``advance``): the fixed run equals ``simulate()`` exactly.
Only the inputs already seen are used: the controller never peeks at the future.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np
import optuna
import pandas as pd
import param
from optuna.distributions import FloatDistribution

from nexus_panel.analysis.adaptive_kernel import advance, window_costs
from nexus_panel.analysis.chunks import Cancelled, Progress
from nexus_panel.analysis.controller import GAINS
from nexus_panel.analysis.specs import SpecBase, scenario_param, slider_range
from nexus_panel.analysis.tuning import batch_seed
from nexus_panel.engine.kernel import PARAM_INDEX
from nexus_panel.engine.simulate import param_vector
from nexus_panel.models import FieldError

WARM_TRIALS = 4


class AdaptiveSpec(SpecBase):
    """How often to re-tune, over how much history, with how many trials."""

    scenario = scenario_param()
    window = param.Integer(100, bounds=(10, 100_000), label="Re-tune every M steps",
                           doc="Steps between re-tunings (the gains hold for M steps).")
    horizon = param.Integer(200, bounds=(10, 100_000), label="Horizon (steps)",
                            doc="Recent steps of inputs each re-tuning evaluates gains on.")
    trials = param.Integer(32, bounds=(4, 2000), label="Trials per window",
                           doc="Optuna trials per re-tuning (asked and run in batches).")
    batch_size = param.Integer(16, bounds=(1, 2000), label="Batch size",
                               doc="Trials asked together and run as one batch.")
    seed = param.Integer(2024, bounds=(0, 2**32 - 1), label="Seed",
                         doc="Seeds every window's sampler: same seed, same gains.")

    def _cross_errors(self) -> list[FieldError]:
        steps = self.base_scenario.params.num_steps
        out = []
        if self.window >= steps:
            out.append(FieldError("window", self.window,
                                  f"less than num_steps ({steps}) so the gains are re-tuned "
                                  "at least once"))
        if steps * 8 * 3 > 256 * 2**20:
            out.append(FieldError("scenario.params.num_steps", steps,
                                  "at most 11,184,810 for adaptive control (two runs kept)"))
        return out


@dataclass
class AdaptiveResult:
    """Adaptive and fixed-gain runs of the scenario, and the gains each window chose."""

    spec: AdaptiveSpec
    t: np.ndarray
    n_adaptive: np.ndarray
    n_fixed: np.ndarray
    schedule: pd.DataFrame  # one row per window: start step, K_p, K_i, K_d, horizon cost
    seconds: float

    @property
    def n_runs(self) -> int:
        return int(len(self.schedule) * self.spec.trials)

    def rms(self, values: np.ndarray, start: int = 0) -> float:
        target = self.spec.base_scenario.params.N_target
        return float(np.sqrt(np.mean((values[start:] - target) ** 2)))

    def comparison(self) -> pd.DataFrame:
        """RMS error of N from N_target, whole run and after each re-tuning began."""
        first = self.spec.window
        rows = {"adaptive gains": [self.rms(self.n_adaptive), self.rms(self.n_adaptive, first)],
                "fixed gains": [self.rms(self.n_fixed), self.rms(self.n_fixed, first)]}
        return pd.DataFrame.from_dict(rows, orient="index",
                                      columns=["rms_error", f"rms_error from step {first}"])


def _study_for(spec: AdaptiveSpec, window: int, previous: list[dict[str, float]]
               ) -> optuna.Study:
    study = optuna.create_study(
        direction="minimize", sampler=optuna.samplers.TPESampler(
            seed=batch_seed(spec.seed, window), n_startup_trials=min(8, spec.trials)))
    for params in previous[:WARM_TRIALS]:
        study.enqueue_trial(params)
    return study


def _tune_window(spec: AdaptiveSpec, base: np.ndarray, inputs: np.ndarray, *, k_start: int,
                 k_stop: int, state: np.ndarray, previous: list[dict[str, float]]
                 ) -> tuple[dict[str, float], float, list[dict[str, float]]]:
    """Best gains over inputs k_start..k_stop from ``state``; returns them, their cost and
    the study's best trials (the next window's warm start)."""
    study = _study_for(spec, k_stop, previous)
    space = {g: FloatDistribution(*slider_range(g)) for g in GAINS}
    columns = [PARAM_INDEX[g] for g in GAINS]
    done = 0
    while done < spec.trials:
        trials = [study.ask(space) for _ in range(min(spec.batch_size, spec.trials - done))]
        matrix = np.repeat(base[None, :], len(trials), axis=0)
        matrix[:, columns] = [[t.params[g] for g in GAINS] for t in trials]
        costs = np.empty(len(trials))
        window_costs(matrix, inputs, k_start, k_stop, state, costs)
        for trial, cost in zip(trials, costs, strict=True):
            study.tell(trial, float(cost))
        done += len(trials)
    ranked = sorted((t for t in study.trials if t.value is not None), key=lambda t: t.value)
    best = ranked[0]
    return dict(best.params), float(best.value), [dict(t.params) for t in ranked]


def run_adaptive(spec: AdaptiveSpec, *, progress: Progress | None = None,
                 cancel: Callable[[], bool] | None = None) -> AdaptiveResult:
    """Run the scenario with receding-horizon re-tuning, and with fixed gains."""
    began = time.perf_counter()
    spec.validate()
    optuna.logging.set_verbosity(optuna.logging.WARNING)
    scenario = spec.base_scenario
    params = scenario.params
    n = params.num_steps
    inputs = scenario.inputs.arrays(n, params.delta_t)
    base = param_vector(params)
    fixed = np.empty(n + 1)
    fixed[0] = params.N_initial
    advance(base, inputs, 0, n, np.array([params.N_initial, 0.0, 0.0]), fixed)
    adaptive = np.empty(n + 1)
    adaptive[0] = params.N_initial
    state = np.array([params.N_initial, 0.0, 0.0])
    gains = {g: float(getattr(params, g)) for g in GAINS}
    rows: list[dict[str, Any]] = []
    previous: list[dict[str, float]] = [gains]
    starts = list(range(0, n, spec.window))
    for i, k0 in enumerate(starts):
        if cancel is not None and cancel():
            raise Cancelled(f"cancelled after {i} of {len(starts)} windows")
        cost = float("nan")
        if k0 > 0:
            gains, cost, previous = _tune_window(
                spec, base, inputs, k_start=max(0, k0 - spec.horizon), k_stop=k0, state=state,
                previous=previous)
        current = base.copy()
        for g in GAINS:
            current[PARAM_INDEX[g]] = gains[g]
        rows.append({"step": k0, **gains, "horizon_rms": cost})
        advance(current, inputs, k0, min(n, k0 + spec.window), state, adaptive)
        if progress is not None:
            progress(i + 1, len(starts))
    schedule = pd.DataFrame(rows, columns=["step", *GAINS, "horizon_rms"])
    return AdaptiveResult(spec=spec, t=np.arange(n + 1) * params.delta_t, n_adaptive=adaptive,
                          n_fixed=fixed, schedule=schedule, seconds=time.perf_counter() - began)
