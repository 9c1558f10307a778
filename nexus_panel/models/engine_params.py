"""Every coefficient of the Nexus equation, declared once.

These declarations are the single source of truth: slider ranges (``softbounds``), hard
validation bounds (``bounds``), labels, help text, database columns, URL and JSON keys are
all generated from them. ``metadata["group"]`` places a parameter in the editor and
``metadata["symbol"]`` is its mathematical symbol.
"""

from __future__ import annotations

from typing import Any

import param

from nexus_panel.models.checked import CheckedInteger, CheckedNumber
from nexus_panel.models.checks import check_values, coerce_number
from nexus_panel.models.declared import field_names
from nexus_panel.models.errors import ValidationError

GROUPS: dict[str, str] = {
    "core": "Core dynamics",
    "issuance": "Issuance weights",
    "burn": "Burn weights",
    "pid": "PID controller",
    "health": "Health index",
    "simulation": "Simulation",
}
"""Group key -> title, in display order."""

BIG = 1e9
"""Hard ceiling for level-type values whose slider range is only a convenience."""
TINY = 1e-6
"""Smallest allowed divisor (delta_t, N_0, H_0, M_0). Merely positive is not enough:
with delta_t = 5e-324 the derivative de/dt overflows to inf and K_d = 0 turns it into
NaN; with N_0 = 5e-324, N/N_0 is inf and S becomes inf - inf = NaN. From 1e-6 on every
term stays finite for all values within the other bounds."""


def _num(
    default: float,
    lo: float,
    hi: float,
    step: float,
    *,
    group: str,
    symbol: str,
    label: str,
    doc: str,
    soft: tuple[float, float] | None = None,
    open_low: bool = False,
    weight: bool = False,
) -> param.Number:
    return CheckedNumber(  # assignment errors are ValidationErrors too (models/checked.py)
        default,
        bounds=(lo, hi),
        softbounds=soft,
        inclusive_bounds=(not open_low, True),
        step=step,
        label=f"{label} {symbol}",
        doc=doc,
        metadata={"group": group, "symbol": symbol, "weight": weight},
    )


class EngineParams(param.Parameterized):
    """The coefficients of dN/dt = I - B - kappa*N + Phi + eta*F_floor (see docs/model.md)."""

    # --- core dynamics -------------------------------------------------------------------
    alpha = _num(1.0, 0, 5, 0.1, group="core", symbol="α", label="Issuance gain",
                 doc="Scales issuance I = alpha * S * (weighted contributions).")
    beta = _num(1.0, 0, 5, 0.1, group="core", symbol="β", label="Burn gain",
                doc="Scales burn B = beta * (weighted consumption, disposal, ecological load).")
    eta = _num(0.1, 0, 1, 0.01, group="core", symbol="η", label="Floor coupling",
               doc="Share of the guaranteed floor F_floor added to dN/dt every step.")
    F_floor = _num(10.0, 0, 100, 1, group="core", symbol="F", label="Guaranteed floor",
                   doc="Baseline guaranteed value; contributes eta*F_floor to dN/dt.")
    kappa = _num(0.01, 0, 0.1, 0.001, group="core", symbol="κ", label="Temporal decay",
                 doc="Fraction of N that decays per unit time (the -kappa*N term).")

    # --- issuance weights ----------------------------------------------------------------
    w_D = _num(0.2, 0, 1, 0.01, group="issuance", symbol="w_D", label="Data weight",
               weight=True, doc="Weight of the data inflow D in issuance.")
    w_E = _num(0.1, 0, 1, 0.01, group="issuance", symbol="w_E", label="Environment weight",
               weight=True, doc="Weight of the environmental index E in issuance.")
    w_H = _num(0.4, 0, 1, 0.01, group="issuance", symbol="w_H", label="Human weight",
               weight=True, doc="Weight of the human contribution H in issuance.")
    w_M = _num(0.3, 0, 1, 0.01, group="issuance", symbol="w_M", label="Machine weight",
               weight=True, doc="Weight of the machine contribution M in issuance.")

    # --- burn weights --------------------------------------------------------------------
    gamma_C = _num(0.5, 0, 1, 0.01, group="burn", symbol="γ_C", label="Consumption weight",
                   weight=True, doc="Weight of the consumption rate C_cons in burn.")
    gamma_D = _num(0.3, 0, 1, 0.01, group="burn", symbol="γ_D", label="Disposal weight",
                   weight=True, doc="Weight of the disposal rate C_disp in burn.")
    gamma_E = _num(0.2, 0, 1, 0.01, group="burn", symbol="γ_E", label="Ecological weight",
                   weight=True, doc="Weight of the ecological load max(0, 1 - E) in burn.")

    # --- PID controller ------------------------------------------------------------------
    K_d = _num(0.05, 0, 1, 0.01, group="pid", symbol="K_d", label="Derivative gain",
               doc="PID derivative gain on de/dt (e_prev starts at 0: a first-step kick "
                   "when N_initial differs from N_target).")
    K_i = _num(0.01, 0, 0.1, 0.001, group="pid", symbol="K_i", label="Integral gain",
               doc="PID integral gain on the running integral of e = N - N_target.")
    K_p = _num(0.1, 0, 1, 0.01, group="pid", symbol="K_p", label="Proportional gain",
               doc="PID proportional gain on the error e = N - N_target.")
    N_target = _num(1000.0, 0, BIG, 10, group="pid", symbol="N*", label="Target state",
                    soft=(0, 2000), doc="The state N the controller holds N near.")
    phi_limit = _num(100.0, 0, BIG, 10, group="pid", symbol="Φ_max", label="Control limit",
                     soft=(0, 500), doc="Φ is clipped to [−Φ_max, +Φ_max] "
                                         "(fixed at 100 in the original app).")

    # --- health index --------------------------------------------------------------------
    H_0 = _num(100.0, TINY, BIG, 1, group="health", symbol="H₀", label="Human reference",
               soft=(1, 1000), doc="Normalises H in the health index S.")
    lambda_E = _num(0.3, 0, 1, 0.01, group="health", symbol="λ_E", label="Environment share",
                    weight=True, doc="Weight of E in the health index S.")
    lambda_H = _num(0.2, 0, 1, 0.01, group="health", symbol="λ_H", label="Human share",
                    weight=True, doc="Weight of H/H_0 in the health index S.")
    lambda_M = _num(0.2, 0, 1, 0.01, group="health", symbol="λ_M", label="Machine share",
                    weight=True, doc="Weight of M/M_0 in the health index S.")
    lambda_N = _num(0.3, 0, 1, 0.01, group="health", symbol="λ_N", label="State share",
                    weight=True, doc="Weight of N/N_0 in the health index S.")
    M_0 = _num(100.0, TINY, BIG, 1, group="health", symbol="M₀", label="Machine reference",
               soft=(1, 1000), doc="Normalises M in the health index S.")
    N_0 = _num(1000.0, TINY, BIG, 10, group="health", symbol="N₀", label="State reference",
               soft=(10, 5000), doc="Normalises N in the health index S.")

    # --- simulation ----------------------------------------------------------------------
    delta_t = _num(0.1, TINY, 1, 0.01, group="simulation", symbol="Δt", label="Time step",
                   soft=(0.01, 1),
                   doc="Explicit Euler step size; time t_k = k * delta_t.")
    N_initial = _num(1000.0, 0, BIG, 10, group="simulation", symbol="N₀(t=0)",
                     label="Starting state", soft=(0, 2000), doc="N at t = 0.")
    num_steps = CheckedInteger(
        1000, bounds=(1, 1_000_000), softbounds=(100, 5000), step=100,
        label="Number of steps n", doc="Euler steps to run (the result has num_steps + 1 rows).",
        metadata={"group": "simulation", "symbol": "n"},
    )

    def __init__(self, **params: Any) -> None:
        errors = check_values(type(self), params)
        if errors:
            raise ValidationError(errors)
        values = {k: coerce_number(type(self).param[k], v) for k, v in params.items()}
        super().__init__(**values)

    # --- derived views of the declarations -----------------------------------------------
    @classmethod
    def names(cls) -> list[str]:
        """Every engine parameter name, in declaration (group, then alphabetical) order."""
        return field_names(cls)

    @classmethod
    def by_group(cls) -> dict[str, list[str]]:
        """Group key -> parameter names, groups in display order."""
        out: dict[str, list[str]] = {g: [] for g in GROUPS}
        for n in cls.names():
            out[cls.param[n].metadata["group"]].append(n)
        return out

    @classmethod
    def defaults(cls) -> dict[str, float | int]:
        return {n: cls.param[n].default for n in cls.names()}

    def to_dict(self) -> dict[str, float | int]:
        """Every value, typed (float, or int for num_steps): the canonical form.

        Coerced here too, because param accepts ``alpha = 1`` (an int) on assignment, and
        the canonical JSON (hence the content hash) must not depend on how it was typed.
        """
        cls = type(self)
        return {n: coerce_number(cls.param[n], getattr(self, n)) for n in self.names()}

    @classmethod
    def from_dict(cls, values: dict[str, Any]) -> EngineParams:
        """Build from a (possibly partial) mapping; missing values take their defaults."""
        return cls(**values)

    @classmethod
    def weight_groups(cls) -> dict[str, list[str]]:
        """Group key -> its weights (``metadata["weight"]``): each group should sum to 1."""
        return {g: [n for n in names if cls.param[n].metadata.get("weight")]
                for g, names in cls.by_group().items()
                if any(cls.param[n].metadata.get("weight") for n in names)}

    def weight_warnings(self) -> list[str]:
        """Weight groups that do not sum to 1: legal, but usually a slip worth showing."""
        out = []
        for group, names in self.weight_groups().items():
            total = sum(getattr(self, n) for n in names)
            if abs(total - 1.0) > 1e-6:
                out.append(f"{GROUPS[group]}: {' + '.join(names)} sum to {total:.4g}, not 1.")
        return out
