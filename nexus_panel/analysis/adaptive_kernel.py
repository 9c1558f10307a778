"""numba kernels for adaptive control: a run whose PID gains change mid-run, and the cost
of candidate gains over a window that starts from a mid-run controller state.

The engine's kernels start every run with a fresh controller (integral and previous error
at zero) and fixed gains; adaptive control needs to carry N, the integral and the previous
error across a change of gains. Both kernels below take that state explicitly and advance
it with the engine's own step (:func:`nexus_panel.engine.kernel._step`), so the arithmetic
is the engine's to the last bit: a run with one set of gains throughout equals
``simulate()`` exactly (tested).
"""

from __future__ import annotations

import sys

import numba
import numpy as np

from nexus_panel.engine.kernel import (
    DT,
    IN_CC,
    IN_CD,
    IN_D,
    IN_E,
    IN_H,
    IN_M,
    LAYOUT_STAMP,
    N_TARGET,
    _step,
    clip_e,
    ensure_fresh_cache,
)

N_STATE, INTEGRAL_STATE, E_PREV_STATE = range(3)
"""Positions in the controller state vector: N, the PID integral, the previous error."""


@numba.njit(cache=True, nogil=True)
def advance(p, inputs, k_start, k_stop, state, traj):  # noqa: PLR0917  # pragma: no cover
    """Steps k_start..k_stop-1 with parameters ``p`` from ``state`` (updated in place).

    Writes N after step k into ``traj[k + 1]`` when ``traj`` has entries; returns the sum
    of squared errors N - N_target over the points k_start+1 .. k_stop.
    """
    N = state[N_STATE]
    integral = state[INTEGRAL_STATE]
    e_prev = state[E_PREV_STATE]
    dt = p[DT]
    keep = traj.shape[0] > 0
    squares = 0.0
    for k in range(k_start, k_stop):
        E = clip_e(inputs[IN_E, k])
        _S, _I, _B, err, integral, _raw, _phi, dn = _step(
            p, N, integral, e_prev, inputs[IN_H, k], inputs[IN_M, k], inputs[IN_D, k], E,
            inputs[IN_CC, k], inputs[IN_CD, k])
        e_prev = err
        nxt = N + dn * dt
        N = nxt if nxt >= 0.0 else 0.0
        if keep:
            traj[k + 1] = N
        miss = N - p[N_TARGET]
        squares += miss * miss
    state[N_STATE] = N
    state[INTEGRAL_STATE] = integral
    state[E_PREV_STATE] = e_prev
    return squares


@numba.njit(cache=True, nogil=True)
def window_costs(params, inputs, k_start, k_stop, state, costs):  # noqa: PLR0917  # pragma: no cover
    """RMS error over k_start..k_stop of every candidate row of ``params``, each started
    from a copy of ``state``."""
    none = np.empty(0)
    points = max(1, k_stop - k_start)
    for r in range(params.shape[0]):
        local = state.copy()
        costs[r] = np.sqrt(advance(params[r], inputs, k_start, k_stop, local, none) / points)


@numba.njit(cache=True)
def _layout_stamp():
    return LAYOUT_STAMP


ensure_fresh_cache(sys.modules[__name__], _layout_stamp)  # see engine/kernel.py
