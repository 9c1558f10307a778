"""Metrics of a controlled system's response, computed from N(t), and the regime rule.

Used by stability maps (every grid cell), the controller view (the response to a shock)
and Monte Carlo / sensitivity (as extra outputs). One numba pass over a chunk of
trajectories, so a batch never has to hold every run's N(t) at once.

Definitions (e = N - N_target; the band is ±2 % of |N_target|; k0 is the step a shock
starts, 0 when there is none; times are in model time units, measured from k0):

- ``settling_time``: from k0 until N enters the band for good (N stays inside to the end);
  NaN when N is outside the band at the end.
- ``overshoot_pct``: s = the sign of e when N first leaves the band after k0; overshoot is
  the largest excursion past the target on the other side (max of -s*e afterwards), in %
  of |N_target|; 0 if N never leaves the band or never crosses back.
- ``steady_state_error``: mean of e over the last 10 % of time points (units of N).
- ``oscillations``: sign changes of e over the last half of the run (zeros skipped).
- ``collapsed``: 1 if N sits at 0 (clamped) anywhere in the last half of the run, else 0.
- ``rise_time``: time from 10 % to 90 % of the net change N(end) - N(k0); NaN when that
  change is within the band (nothing to rise to).
- ``peak_deviation``: largest |e| after k0.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numba
import numpy as np

from nexus_panel.analysis.specs import RESPONSE_FIELDS

BAND = 0.02
"""Settling band: ±2 % of the target."""

(SETTLING, OVERSHOOT, SSE, OSCILLATIONS, COLLAPSED, RISE, PEAK) = range(len(RESPONSE_FIELDS))

OSCILLATION_MIN = 4
"""Sign changes of e in the last half that make a run oscillate."""
SATURATION_MIN = 0.5
"""Share of steps with Phi at its limit that makes a run saturate."""
SETTLED_SHARE = 0.75
"""A run settles when its settling time is at most this share of the run."""


@dataclass(frozen=True)
class Regime:
    """One regime: its name and, in words, when a run is in it."""

    name: str
    when: str


REGIME_ORDER: tuple[Regime, ...] = (
    Regime("collapses", "N is clamped at 0 somewhere in the last half of the run"),
    Regime("settles", f"N is inside ±{BAND:.0%} of N_target for at least the last "
                      f"{1 - SETTLED_SHARE:.0%} of the run (settling time ≤ "
                      f"{SETTLED_SHARE:.0%} of the run)"),
    Regime("oscillates", f"e = N - N_target changes sign at least {OSCILLATION_MIN} times "
                         "in the last half"),
    Regime("saturates", "the controller output Phi is at its ±limit in at least "
                        f"{SATURATION_MIN:.0%} of steps"),
    Regime("drifts", "none of the above (N neither settles nor oscillates, e.g. a slow "
                     "creep)"),
)
"""The regimes in the order they are decided, first match wins (:func:`classify`); the
thresholds above appear in the prose, so the rule shown is the rule applied."""

REGIMES: tuple[str, ...] = tuple(r.name for r in REGIME_ORDER)

REGIME_RULE = "Regimes are decided in this order, first match wins: " + "; ".join(
    f"({i}) {r.name}: {r.when}" for i, r in enumerate(REGIME_ORDER, 1)) + "."


@numba.njit(cache=True, nogil=True)
def response_metrics(traj, targets, dts, k0, out):  # pragma: no cover - compiled
    """Fill ``out`` (runs, len(RESPONSE_FIELDS)) from N(t) rows ``traj`` (runs, n+1)."""
    runs, points = traj.shape
    half = points // 2
    tail = max(1, points // 10)
    for r in range(runs):
        target = targets[r]
        dt = dts[r]
        band = BAND * abs(target)
        # settling: last time point outside the band
        last_out = -1
        for k in range(points - 1, k0 - 1, -1):
            if abs(traj[r, k] - target) > band:
                last_out = k
                break
        if last_out == points - 1:
            out[r, SETTLING] = math.nan
        elif last_out < k0:
            out[r, SETTLING] = 0.0
        else:
            out[r, SETTLING] = (last_out + 1 - k0) * dt
        # overshoot and peak deviation
        sign = 0.0
        over = 0.0
        peak = 0.0
        for k in range(k0, points):
            e = traj[r, k] - target
            peak = max(peak, abs(e))
            if sign == 0.0:
                if abs(e) > band:
                    sign = 1.0 if e > 0 else -1.0
            else:
                over = max(over, -sign * e)
        out[r, OVERSHOOT] = 100.0 * over / abs(target) if target != 0 else math.nan
        out[r, PEAK] = peak
        # steady-state error
        total = 0.0
        for k in range(points - tail, points):
            total += traj[r, k] - target
        out[r, SSE] = total / tail
        # oscillations and collapse over the last half
        changes = 0
        last = 0.0
        collapsed = 0.0
        for k in range(half, points):
            e = traj[r, k] - target
            if traj[r, k] == 0.0:
                collapsed = 1.0
            if e != 0.0:
                s = 1.0 if e > 0 else -1.0
                if last * s < 0.0:
                    changes += 1
                last = s
        out[r, OSCILLATIONS] = changes
        out[r, COLLAPSED] = collapsed
        # rise time: 10 % -> 90 % of the net change after k0
        start = traj[r, k0]
        change = traj[r, points - 1] - start
        if abs(change) <= band or change == 0.0:
            out[r, RISE] = math.nan
        else:
            k10 = -1
            k90 = -1
            for k in range(k0, points):
                frac = (traj[r, k] - start) / change
                if k10 < 0 and frac >= 0.1:
                    k10 = k
                if frac >= 0.9:
                    k90 = k
                    break
            out[r, RISE] = (k90 - k10) * dt if k10 >= 0 and k90 >= 0 else math.nan


def response_table(traj: np.ndarray, targets: np.ndarray, dts: np.ndarray,
                   k0: int = 0) -> np.ndarray:
    """(runs, len(RESPONSE_FIELDS)) response metrics of the N(t) rows in ``traj``."""
    out = np.empty((traj.shape[0], len(RESPONSE_FIELDS)))
    response_metrics(np.ascontiguousarray(traj), np.ascontiguousarray(targets, dtype=float),
                     np.ascontiguousarray(dts, dtype=float), int(k0), out)
    return out


def classify(settling_time: np.ndarray, oscillations: np.ndarray, collapsed: np.ndarray,
             phi_saturated_fraction: np.ndarray, duration: float | np.ndarray) -> np.ndarray:
    """Regime name of every run, by REGIME_RULE (``duration``: run length after k0)."""
    settles = np.nan_to_num(settling_time, nan=np.inf) <= SETTLED_SHARE * np.asarray(duration)
    tests = {"collapses": collapsed > 0, "settles": settles,
             "oscillates": oscillations >= OSCILLATION_MIN,
             "saturates": phi_saturated_fraction >= SATURATION_MIN}
    decided = list(REGIMES[:-1])  # the last regime is what is left
    return np.select([tests[name] for name in decided], decided, default=REGIMES[-1])
