"""The catalogue of tuning objectives, and how a robust study folds its ensemble members.

Why a catalogue derived from the analyses: a tuning objective is a per-run figure, and the
analyses already define those (the engine's summary, the response metrics of
:mod:`nexus_panel.analysis.response`, together ``METRICS``); tuning adds the path figures
of :mod:`nexus_panel.analysis.objective_kernel`. One tuple, in column order, so a new
metric in either place becomes an objective (and a constraint) with no second list.

Robust mode evaluates every trial on K ensemble members and folds the K values into one:

- ``mean``: the average.
- ``quantile``: the quantile at ``level`` on the bad side: for a figure to minimise the
  ``level`` quantile (0.9: nine members in ten do at least this well), for one to maximise
  the ``1 - level`` quantile (numpy's linear interpolation between order statistics).
- ``cvar``: the mean of the worst ceil((1 - level) x K) members (at least one): the
  conditional value at risk, the expected outcome in the worst (1 - level) share.

A NaN in any member makes the folded value NaN (the trial is recorded as failed), except
for times that are NaN because the event never happened (see ``NEVER_FILL``).
"""

from __future__ import annotations

import math

import numpy as np

from nexus_panel.analysis.objective_kernel import EXTRA_FIELDS
from nexus_panel.analysis.specs import METRICS, RESPONSE_FIELDS

OBJECTIVES: tuple[str, ...] = EXTRA_FIELDS + METRICS
"""Every figure a study can optimise or constrain, in the evaluator's column order."""

RESPONSE_NEEDS_TRAJECTORY = frozenset(EXTRA_FIELDS + RESPONSE_FIELDS)
"""Figures computed from N(t) (the others come with the batch kernel's summary)."""

MAXIMISED: frozenset[str] = frozenset({"min_S", "min_N"})
"""Figures whose natural direction is up; every other one is minimised by default."""

NEVER_FILL: frozenset[str] = frozenset({"settling_time", "rise_time"})
"""Times that are NaN when N never settles (rises): counted as the whole run instead, so
a trial that never settles ranks below one that settles late, and does not fail."""

AGGREGATES: tuple[str, ...] = ("mean", "quantile", "cvar")

DOCS: dict[str, str] = {
    "rms_error": "RMS distance of N from N_target over the run",
    "min_S": "lowest system health S",
    "time_below_floor": "time N spends below the floor",
    "volatility_N": "standard deviation of dN/dt",
    "final_N": "N at the end",
    "min_N": "lowest N",
    "max_N": "highest N",
    "mean_issuance": "mean issuance I",
    "mean_burn": "mean burn B",
    "issued_minus_burned": "issued minus burned over the run",
    "ledger_residual": "conservation ledger residual",
    "clamp_events": "steps where N was clamped at 0",
    "clamp_total": "total clamped away at 0",
    "phi_saturated_fraction": "share of steps with Φ at its limit",
    "settling_time": "time until N stays within ±2 % of N_target",
    "overshoot_pct": "overshoot past N_target, % of N_target",
    "steady_state_error": "mean error over the last 10 % of the run",
    "oscillations": "sign changes of e in the last half",
    "collapsed": "1 if N sits at 0 in the last half",
    "rise_time": "10 % to 90 % rise time",
    "peak_deviation": "largest |N - N_target|",
}
"""One line per figure, for forms and reports (every name in OBJECTIVES has one)."""


def default_direction(name: str) -> str:
    return "maximize" if name in MAXIMISED else "minimize"


def fill_never(name: str, values: np.ndarray, duration: np.ndarray) -> np.ndarray:
    """``values`` with the NaNs of a never-happened time replaced by the run's duration."""
    if name not in NEVER_FILL:
        return values
    return np.where(np.isnan(values), duration, values)


def aggregate(values: np.ndarray, how: str, level: float, worse_high: bool) -> np.ndarray:
    """Fold (members, trials) into (trials,) by ``how`` (see the module docstring).

    ``worse_high``: larger values are worse (a minimised objective, an upper bound).
    """
    if how == "mean":
        folded = values.mean(axis=0)
    elif how == "quantile":
        q = level if worse_high else 1.0 - level
        folded = np.quantile(values, q, axis=0)
    elif how == "cvar":
        tail = cvar_tail(values.shape[0], level)
        ordered = np.sort(values, axis=0)
        folded = (ordered[-tail:] if worse_high else ordered[:tail]).mean(axis=0)
    else:
        raise ValueError(f"unknown aggregate {how!r}: one of {', '.join(AGGREGATES)}")
    return np.where(np.isnan(values).any(axis=0), np.nan, folded)


def cvar_tail(members: int, level: float) -> int:
    """How many members the CVaR averages: the worst ceil((1 - level) x K), at least 1."""
    return max(1, math.ceil((1.0 - level) * members - 1e-9))
