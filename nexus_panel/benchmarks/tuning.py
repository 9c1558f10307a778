"""Tuning figures: whole studies stored in a temporary SQLite database, as the CLI runs them.

Targets (issue 14, 2-core machine, in-process threads):

- 1,000 single-objective TPE trials x 1,000 steps ≤ 30 s, with the engine's share reported.
- NSGA-II, 2 objectives, 2,000 trials ≤ 30 s.
- Robust mode (K = 32 members, CVaR) ≤ 3x the same study without it.

Baseline: the plain way, ``study.optimize`` with an objective that calls ``simulate()`` once
per trial and Optuna writing every trial to the same kind of database as it goes. It is
measured on the first ``LOOP_TRIALS`` trials and scaled linearly to 1,000, which flatters
it (TPE's own cost grows with the number of trials).

Each study is timed once (minutes of work; a median of several would take too long), after
a small warm-up study that loads the kernels.
"""

from __future__ import annotations

import tempfile
import time
from pathlib import Path
from typing import Any

import numpy as np

from nexus_panel.benchmarks import Figure, quick, selected

TRIALS = 1000
NSGA_TRIALS = 2000
LOOP_TRIALS = 200
SCENARIO = {"name": "bench-shock", "params": {"num_steps": 1000},
            "inputs": {"C_cons": {"kind": "step", "initial": 60, "final": 90, "step_at": 300}}}


def tpe_spec(trials: int, **extra: Any) -> Any:
    from nexus_panel.analysis.tuning_spec import TuningSpec

    return TuningSpec.from_dict({
        "scenario": SCENARIO, "n_trials": trials, "seed": 1, "batch_size": 64,
        "parameters": [{"parameter": "K_p"}, {"parameter": "K_i"}, {"parameter": "K_d"}],
        "objectives": [{"metric": "rms_error"}], **extra})


def _study(spec: Any, folder: Path, name: str) -> Any:
    """Run ``spec`` as study ``name`` in a fresh SQLite database; returns the outcome."""
    from nexus_panel.storage import ScenarioStore
    from nexus_panel.storage.studies import StudyStore

    with ScenarioStore(f"sqlite:///{folder / (name + '.db')}") as store, \
            StudyStore(store) as studies:
        return studies.run(spec, name)


def _shares(outcome: Any) -> str:
    t = outcome.timing
    total = outcome.seconds
    return (f"engine {t.engine:.2f} s ({100 * t.engine / total:.0f} %), sampler "
            f"{t.sampler:.2f} s ({100 * t.sampler / total:.0f} %), database writes "
            f"{t.storage:.2f} s ({100 * t.storage / total:.0f} %)")


def _plain_loop(folder: Path, trials: int) -> float:
    """Seconds for ``trials`` trials of the plain per-trial simulate() loop."""
    import optuna

    from nexus_panel import simulate
    from nexus_panel.models import Scenario

    optuna.logging.set_verbosity(optuna.logging.WARNING)
    base = Scenario.from_dict(SCENARIO).to_dict()

    def objective(trial: optuna.Trial) -> float:
        data = {**base, "params": {**base["params"],
                                   "K_p": trial.suggest_float("K_p", 0, 1),
                                   "K_i": trial.suggest_float("K_i", 0, 0.1),
                                   "K_d": trial.suggest_float("K_d", 0, 1)}}
        n = simulate(Scenario.from_dict(data)).frame["N"].to_numpy()
        return float(np.sqrt(np.mean((n - 1000.0) ** 2)))

    study = optuna.create_study(storage=f"sqlite:///{folder / 'loop.db'}",
                                sampler=optuna.samplers.TPESampler(seed=1))
    began = time.perf_counter()
    study.optimize(objective, n_trials=trials)
    return time.perf_counter() - began


def figures() -> list[Figure]:
    out: list[Figure] = []
    scale = 10 if quick() else 1
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        _study(tpe_spec(20), folder, "warm-up")
        if selected("tuning.tpe") or selected("tuning.robust"):
            trials = TRIALS // scale
            plain = _study(tpe_spec(trials), folder, "tpe")
            out.append(Figure(f"tuning.tpe_{trials}_trials_1k_steps", plain.seconds,
                              30.0 if trials == TRIALS else None,
                              f"{trials:,} TPE trials x 1,000 steps, 3 gains, rms_error, batches "
                              f"of 64, SQLite; {_shares(plain)}"))
            if selected("tuning.tpe"):
                subset = LOOP_TRIALS // scale
                loop = _plain_loop(folder, subset) * trials / subset
                out.append(Figure("tuning.tpe_plain_simulate_loop", loop, None,
                                  f"study.optimize, one simulate() per trial, Optuna writing "
                                  f"each trial: measured on {subset} trials, scaled to "
                                  f"{trials:,}; the batched study is "
                                  f"{loop / plain.seconds:.1f}x faster"))
            if selected("tuning.robust"):
                robust = _study(tpe_spec(trials, members=32, aggregate="cvar", uncertain=[
                    {"parameter": "alpha", "distribution": "uniform", "low": 0.8,
                     "high": 1.2}]), folder, "robust")
                out.append(Figure(f"tuning.robust_k32_{trials}_trials", robust.seconds,
                                  3 * plain.seconds,
                                  f"the same study, each trial on K = 32 members (alpha "
                                  f"uncertain), CVaR 90 %: {robust.seconds / plain.seconds:.2f}x "
                                  f"the plain study (target ≤ 3x); {_shares(robust)}"))
        if selected("tuning.nsga2"):
            trials = NSGA_TRIALS // scale
            nsga = _study(tpe_spec(trials, sampler="nsga2", batch_size=100, objectives=[
                {"metric": "rms_error"}, {"metric": "volatility_N"}]), folder, "nsga2")
            out.append(Figure(f"tuning.nsga2_{trials}_trials_2_objectives", nsga.seconds,
                              30.0 if trials == NSGA_TRIALS else None,
                              f"NSGA-II, population 100, rms_error + volatility_N, SQLite; "
                              f"{_shares(nsga)}"))
    return out
