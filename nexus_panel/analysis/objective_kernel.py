"""Tuning objectives the batch kernel's summary does not give, computed from N(t) in numba.

The batch kernel returns summary figures and (on request) N(t) of each run; the response
metrics (:mod:`nexus_panel.analysis.response`) come from N(t). A tuning study also asks for
figures of the whole path, defined here (n = num_steps, points k = 0..n, e = N - N_target):

- ``rms_error``: sqrt(mean over the n + 1 points of e²), the RMS distance of N from N_target.
- ``min_S``: the smallest system health S over the n steps, S[k] computed from N[k] and the
  inputs of step k exactly as the engine does (E clipped to [0, 1], S clipped to [0, 1]).
- ``time_below_floor``: delta_t x the number of points with N below the floor (a level of N
  given per run, by default half of N_target).
- ``volatility_N``: the standard deviation of dN/dt as realised, (N[k+1] - N[k]) / delta_t
  over the n steps (population formula), in units of N per time unit.

One pass per run over a chunk of trajectories, like the response metrics, so a batch never
holds more than its chunk's N(t).
"""

from __future__ import annotations

import math
import sys

import numba
import numpy as np

from nexus_panel.engine.kernel import (
    DT,
    H_REF,
    IN_E,
    IN_H,
    IN_M,
    L_E,
    L_H,
    L_M,
    L_N,
    LAYOUT_STAMP,
    M_REF,
    N_REF,
    N_TARGET,
    clip_e,
    ensure_fresh_cache,
)

EXTRA_FIELDS: tuple[str, ...] = ("rms_error", "min_S", "time_below_floor", "volatility_N")
"""Per-run figures of the tuning catalogue computed here, in column order."""

RMS, MIN_S, BELOW, VOLATILITY = range(len(EXTRA_FIELDS))


@numba.njit(cache=True, nogil=True)
def extra_metrics(traj, params, inputs, floors, want_s, out):  # noqa: PLR0917  # pragma: no cover
    """Fill ``out`` (runs, len(EXTRA_FIELDS)) from N(t) rows ``traj`` (runs, n+1).

    ``params``: (runs, len(PARAM_ORDER)); ``inputs``: (1, 6, n) shared or (runs, 6, n);
    ``floors``: (runs,). ``min_S`` is NaN unless ``want_s`` (it needs the inputs).
    """
    runs, points = traj.shape
    n = points - 1
    shared = inputs.shape[0] == 1
    for r in range(runs):
        p = params[r]
        target = p[N_TARGET]
        dt = p[DT]
        squares = 0.0
        below = 0
        for k in range(points):
            e = traj[r, k] - target
            squares += e * e
            if traj[r, k] < floors[r]:
                below += 1
        out[r, RMS] = math.sqrt(squares / points)
        out[r, BELOW] = below * dt
        mean = 0.0
        for k in range(n):
            mean += (traj[r, k + 1] - traj[r, k]) / dt
        mean /= max(n, 1)
        spread = 0.0
        for k in range(n):
            d = (traj[r, k + 1] - traj[r, k]) / dt - mean
            spread += d * d
        out[r, VOLATILITY] = math.sqrt(spread / max(n, 1))
        if not want_s:
            out[r, MIN_S] = math.nan
            continue
        row = 0 if shared else r
        lowest = math.inf
        for k in range(n):
            E = clip_e(inputs[row, IN_E, k])
            S = (p[L_E] * E + p[L_N] * traj[r, k] / p[N_REF]
                 + p[L_H] * inputs[row, IN_H, k] / p[H_REF]
                 + p[L_M] * inputs[row, IN_M, k] / p[M_REF])
            S = min(max(S, 0.0), 1.0)
            lowest = min(lowest, S)
        out[r, MIN_S] = lowest


def extra_table(traj: np.ndarray, params: np.ndarray, inputs: np.ndarray | None,
                floors: np.ndarray) -> np.ndarray:
    """(runs, len(EXTRA_FIELDS)); ``inputs`` None leaves ``min_S`` NaN."""
    out = np.empty((traj.shape[0], len(EXTRA_FIELDS)))
    want_s = inputs is not None
    shaped = np.ascontiguousarray(inputs) if want_s else np.empty((1, 6, 0))
    extra_metrics(np.ascontiguousarray(traj), np.ascontiguousarray(params), shaped,
                  np.ascontiguousarray(floors, dtype=float), want_s, out)
    return out


@numba.njit(cache=True)
def _layout_stamp():
    return LAYOUT_STAMP


ensure_fresh_cache(sys.modules[__name__], _layout_stamp)  # see engine/kernel.py
