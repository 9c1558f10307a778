"""The fixed-point Nexus step: the reference every generated contract must equal exactly.

:func:`step` is the spec's step (docs/model.md) in the order of operations of the
float engine (``engine/kernel.py``), each operation done in the format of
:mod:`nexus_panel.contracts.fixedpoint`. The Solidity and Rust generators write the same
sequence of operations; verification runs both and compares them with :func:`run`
integer for integer, every step.

Before anything is generated a scenario must *fit* (:func:`fixed_params`): every
parameter representable (within ±1.7e20 and, if not zero, at least 1e-9 in magnitude),
every input value within range, and an upper bound on every value the first
``num_steps`` steps can compute inside the range, so an accepted scenario can never
overflow. Anything else is a :class:`ValidationError` naming the field.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import NamedTuple

import numpy as np

from nexus_panel.contracts.fixedpoint import (
    MAX_REAL,
    MIN_MAGNITUDE,
    ONE,
    FixedRangeError,
    div,
    fit,
    mul,
    to_fixed,
    to_fixed_array,
)
from nexus_panel.models import INPUT_NAMES, EngineParams, FieldError, Scenario, ValidationError

STEP_PARAMS: tuple[str, ...] = tuple(
    n for n in EngineParams.names() if n not in ("N_initial", "num_steps"))
"""The parameters a step reads (declaration order): what a contract stores."""


class FixedParams(NamedTuple):
    """Every engine parameter in fixed point (``num_steps`` stays a count)."""

    values: dict[str, int]
    N_initial: int
    num_steps: int


class StepResult(NamedTuple):
    N: int
    """The state after the step."""
    integral: int
    e_prev: int
    S: int
    I: int
    B: int
    Phi: int
    clamped: bool
    """Whether N + dN*dt was negative and N was set to 0."""


@dataclass
class Trajectory:
    """A fixed-point run: ``N`` has one more entry than the per-step lists."""

    N: list[int]
    S: list[int] = field(default_factory=list)
    I: list[int] = field(default_factory=list)
    B: list[int] = field(default_factory=list)
    Phi: list[int] = field(default_factory=list)
    clamped: list[bool] = field(default_factory=list)
    failed_at: int | None = None
    """The step whose computation left the int128 range (then the lists stop there)."""

    @property
    def steps(self) -> int:
        return len(self.S)

    def series(self) -> dict[str, list[int]]:
        """The per-step values, keyed as in events and CSV files (N after each step)."""
        return {"N": self.N[1:], "S": self.S, "I": self.I, "B": self.B, "Phi": self.Phi}


def step(p: dict[str, int], N: int, integral: int, e_prev: int, x: tuple[int, ...]
         ) -> StepResult:
    """One step from state (N, integral, e_prev) with inputs x = (H, M, D, E, C_cons,
    C_disp). Raises :class:`FixedRangeError` if any result leaves the int128 range."""
    H, M, D, E, cc, cd = x
    E = min(max(E, 0), ONE)
    s = fit(mul(p["lambda_E"], E) + div(mul(p["lambda_N"], N), p["N_0"]))
    s = fit(s + div(mul(p["lambda_H"], H), p["H_0"]))
    s = fit(s + div(mul(p["lambda_M"], M), p["M_0"]))
    S = min(max(s, 0), ONE)
    contribution = fit(mul(p["w_H"], H) + mul(p["w_M"], M))
    contribution = fit(contribution + mul(p["w_D"], D))
    contribution = fit(contribution + mul(p["w_E"], E))
    I = max(0, mul(mul(p["alpha"], S), contribution))
    load = max(0, ONE - E)
    burn = fit(mul(p["gamma_C"], cc) + mul(p["gamma_D"], cd))
    burn = fit(burn + mul(p["gamma_E"], load))
    B = max(0, mul(p["beta"], burn))
    dt = p["delta_t"]
    err = fit(N - p["N_target"])
    integral = fit(integral + mul(err, dt))
    derivative = div(fit(err - e_prev), dt)
    pid = fit(mul(p["K_p"], err) + mul(p["K_i"], integral))
    pid = fit(pid + mul(p["K_d"], derivative))
    limit = p["phi_limit"]
    Phi = min(max(fit(-pid), -limit), limit)
    dn = fit(fit(I - B) - mul(p["kappa"], N))
    dn = fit(fit(dn + Phi) + mul(p["eta"], p["F_floor"]))
    nxt = fit(N + mul(dn, dt))
    clamped = nxt < 0
    return StepResult(0 if clamped else nxt, integral, err, S, I, B, Phi, clamped)


def run(fp: FixedParams, inputs: list[list[int]], steps: int | None = None) -> Trajectory:
    """``steps`` steps (default ``num_steps``) from N_initial with zero PID state.

    ``inputs`` holds the six fixed-point series in INPUT_NAMES order. A step that leaves
    the range ends the run with ``failed_at`` set (a contract reverts at that step).
    """
    n = fp.num_steps if steps is None else steps
    out = Trajectory(N=[fp.N_initial])
    N, integral, e_prev = fp.N_initial, 0, 0
    p = fp.values
    for k, x in enumerate(zip(*(row[:n] for row in inputs), strict=True)):
        try:
            r = step(p, N, integral, e_prev, x)
        except FixedRangeError:
            out.failed_at = k
            break
        N, integral, e_prev = r.N, r.integral, r.e_prev
        out.N.append(N)
        out.S.append(r.S)
        out.I.append(r.I)
        out.B.append(r.B)
        out.Phi.append(r.Phi)
        out.clamped.append(r.clamped)
    return out


# --- does a scenario fit? -----------------------------------------------------------------
def _param_errors(params: EngineParams) -> list[FieldError]:
    errors = []
    for name in (*STEP_PARAMS, "N_initial"):
        value = getattr(params, name)
        if abs(value) > MAX_REAL:
            errors.append(FieldError(f"params.{name}", value, f"a magnitude of at most "
                                     f"{MAX_REAL:.4g} (int128 with 18 decimals)"))
        elif value != 0 and abs(value) < MIN_MAGNITUDE:
            errors.append(FieldError(f"params.{name}", value, f"0 or a magnitude of at least "
                                     f"{MIN_MAGNITUDE:g} (18 fixed-point decimals)"))
    return errors


def peak_magnitude(p: dict[str, float], peaks: dict[str, float], steps: int) -> float:
    """An upper bound (real units) on every value ``steps`` steps can compute.

    ``p`` holds the parameters as floats, ``peaks`` the largest |value| of each input.
    N never falls below 0 and grows at most by ``up = I_max + phi_limit + eta*F_floor``
    per unit of time; every other quantity is bounded from that (docs/contracts.md).
    """
    a = {k: abs(v) for k, v in p.items()}
    dt = a["delta_t"]
    span = steps * dt
    contribution = (a["w_H"] * peaks["H"] + a["w_M"] * peaks["M"] + a["w_D"] * peaks["D"]
                    + a["w_E"])
    issuance = a["alpha"] * contribution
    burn_sum = a["gamma_C"] * peaks["C_cons"] + a["gamma_D"] * peaks["C_disp"] + a["gamma_E"]
    burn = a["beta"] * burn_sum
    floor = a["eta"] * a["F_floor"]
    up = issuance + a["phi_limit"] + floor
    n_max = a["N_initial"] + span * up
    down = burn + a["kappa"] * n_max + a["phi_limit"]
    err = n_max + a["N_target"]
    integral = span * err
    # Step 0 divides e - 0 by dt; later e - e_prev = N[k] - N[k-1], at most dt*(up+down).
    derivative = max(abs(p["N_initial"] - p["N_target"]) / dt, up + down)
    health = (a["lambda_E"] + a["lambda_N"] * n_max / a["N_0"]
              + a["lambda_H"] * peaks["H"] / a["H_0"] + a["lambda_M"] * peaks["M"] / a["M_0"])
    pid = a["K_p"] * err + a["K_i"] * integral + a["K_d"] * derivative
    flow = issuance + burn + a["kappa"] * n_max + a["phi_limit"] + floor
    return max(n_max, 2 * err, integral, derivative, health, pid, flow, a["alpha"] * 1.0,
               contribution, burn_sum, *peaks.values(), *a.values())


def _fits(p: dict[str, float], peaks: dict[str, float], steps: int) -> bool:
    # Factor 2: room for the rounding of every operation (at most 1e-18 each).
    return 2 * peak_magnitude(p, peaks, steps) + 1 <= MAX_REAL


def max_fitting_steps(p: dict[str, float], peaks: dict[str, float], limit: int) -> int:
    """The largest step count up to ``limit`` whose peak bound fits (0 if none)."""
    lo, hi = 0, limit
    while lo < hi:
        mid = (lo + hi + 1) // 2
        if _fits(p, peaks, mid):
            lo = mid
        else:
            hi = mid - 1
    return lo


def fixed_params(scenario: Scenario) -> tuple[FixedParams, np.ndarray]:
    """The scenario's parameters in fixed point, if it fits, and its (float) input arrays.

    Raises :class:`ValidationError` naming every field that does not fit: a parameter out
    of range or too small to represent, an input series out of range, or ``num_steps``
    when the values could leave the range within that many steps.
    """
    scenario.validate()
    params = scenario.params
    errors = _param_errors(params)
    n = params.num_steps
    arrays = scenario.inputs.arrays(n, params.delta_t)
    peaks = {name: float(np.max(np.abs(row))) for name, row in zip(INPUT_NAMES, arrays,
                                                                       strict=True)}
    errors += [FieldError(f"inputs.{name}", peak, f"values of magnitude at most {MAX_REAL:.4g}")
               for name, peak in peaks.items() if peak > MAX_REAL]
    if errors:
        raise ValidationError(errors)
    values = params.to_dict()
    if not _fits(values, peaks, n):
        most = max_fitting_steps(values, peaks, n)
        raise ValidationError([FieldError(
            "params.num_steps" if most else "params", n if most else "these values",
            f"at most {most:,} steps for these values: beyond that a value could leave the "
            f"fixed-point range ±{MAX_REAL:.4g} (int128 with 18 decimals)")])
    fixed = {name: to_fixed(values[name]) for name in STEP_PARAMS}
    return FixedParams(fixed, to_fixed(values["N_initial"]), n), arrays


def fixed_scenario(scenario: Scenario, steps: int | None = None
                   ) -> tuple[FixedParams, list[list[int]]]:
    """:func:`fixed_params` and the first ``steps`` (default all) values of each input
    series in fixed point (INPUT_NAMES order)."""
    fp, arrays = fixed_params(scenario)
    return fp, [to_fixed_array(row[:steps]) for row in arrays]
