"""Input signals: one kind (constant, sinusoidal, step, random walk, pulse, ramp) and its
parameters, and the array it produces for a run.

Which parameters belong to which kind is declared on the parameter itself
(``metadata["kinds"]``), so the editor, the canonical form and validation all read it
from one place. Random walks draw from their own ``numpy.random.Generator`` seeded by
``seed``: the same seed gives the same series whatever else the process does (the
original app reseeded numpy's global generator).
"""

from __future__ import annotations

from typing import Any

import numpy as np
import param

from nexus_panel.models.checks import check_number, check_values, coerce_number
from nexus_panel.models.errors import FieldError, ValidationError

KINDS: tuple[str, ...] = ("constant", "sinusoidal", "step", "random_walk", "pulse", "ramp")
LEVEL = 1e9
"""Hard bound on signal levels; the slider range (softbounds) is much narrower."""


def _level(default: float, kinds: tuple[str, ...], label: str, doc: str,
            soft: tuple[float, float] = (0, 500)) -> param.Number:
    return param.Number(default, bounds=(-LEVEL, LEVEL), softbounds=soft, step=1.0,
                        label=label, doc=doc, metadata={"kinds": kinds})


class Signal(param.Parameterized):
    """One input series. ``generate(num_steps, delta_t)`` gives its value at each step k."""

    kind = param.Selector(default="constant", objects=list(KINDS), label="Kind",
                          doc="How the input evolves over the run.")
    amplitude = _level(20.0, ("sinusoidal",), "Amplitude",
                       "Peak deviation from the offset.", soft=(0, 200))
    baseline = _level(100.0, ("pulse",), "Baseline", "Level between pulses.")
    end = _level(200.0, ("ramp",), "End", "Value at the last step (inclusive).")
    final = _level(150.0, ("step",), "Final", "Value from step_at on.")
    frequency = param.Number(0.01, bounds=(0, 1e3), softbounds=(0, 0.2), step=0.001,
                             label="Frequency", doc="Cycles per unit of time t = k*delta_t.",
                             metadata={"kinds": ("sinusoidal",)})
    initial = _level(100.0, ("step", "random_walk"), "Initial",
                     "Value before the step / starting level of the walk.")
    offset = _level(100.0, ("sinusoidal",), "Offset", "Centre line of the sinusoid.")
    pulse_height = _level(50.0, ("pulse",), "Pulse height", "Added to the baseline "
                          "during a pulse (may be negative).", soft=(-200, 200))
    pulse_period = param.Integer(100, bounds=(1, 1_000_000), softbounds=(1, 1000),
                                 label="Pulse period (steps)",
                                 doc="Steps from one pulse start to the next.",
                                 metadata={"kinds": ("pulse",)})
    pulse_width = param.Integer(10, bounds=(0, 1_000_000), softbounds=(0, 500),
                                label="Pulse width (steps)",
                                doc="Steps a pulse lasts: on while k mod period < width.",
                                metadata={"kinds": ("pulse",)})
    seed = param.Integer(42, bounds=(0, 2**63 - 1), softbounds=(0, 10_000),
                         label="Seed", doc="Seed of this walk's own random generator.",
                         metadata={"kinds": ("random_walk",)})
    start = _level(100.0, ("ramp",), "Start", "Value at step 0.")
    step_at = param.Integer(None, allow_None=True, bounds=(0, 1_000_000),
                            softbounds=(0, 5000), label="Step at (step index)",
                            doc="First step index with the final value; empty means "
                                "num_steps // 2.", metadata={"kinds": ("step",)})
    value = _level(100.0, ("constant",), "Value", "The constant level.")
    volatility = param.Number(5.0, bounds=(0, LEVEL), softbounds=(0, 50), step=0.5,
                              label="Volatility", doc="Standard deviation of each step's "
                              "Normal(0, volatility) change.",
                              metadata={"kinds": ("random_walk",)})

    def __init__(self, **params: Any) -> None:
        errors = check_values(type(self), params)
        errors += _cross_errors({**{n: type(self).param[n].default for n in ("pulse_width",
                                 "pulse_period")}, **params})
        if errors:
            raise ValidationError(errors)
        values = {
            k: (coerce_number(type(self).param[k], v)
                if isinstance(type(self).param[k], param.Number) else v)
            for k, v in params.items()
        }
        super().__init__(**values)

    @classmethod
    def kind_params(cls, kind: str) -> list[str]:
        """Names of the parameters that ``kind`` uses, alphabetical."""
        return [n for n in cls.param
                if n not in ("name", "kind") and kind in cls.param[n].metadata["kinds"]]

    def to_dict(self) -> dict[str, Any]:
        """Canonical form: the kind and only the parameters that kind uses (numbers
        coerced to their declared type, so ``value = 100`` and ``100.0`` hash alike)."""
        cls = type(self)
        return {"kind": self.kind, **{n: coerce_number(cls.param[n], getattr(self, n))
                                      for n in self.kind_params(self.kind)}}

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Signal:
        """Build from ``{"kind": ..., <that kind's parameters>}``; unknown keys are errors."""
        data = dict(data)
        kind = data.pop("kind", "constant")
        if kind not in KINDS:
            raise ValidationError([FieldError("kind", kind, "one of " + ", ".join(KINDS))])
        allowed = set(cls.kind_params(kind))
        stray = [FieldError(k, v, f"not a parameter of a {kind} signal "
                                  f"({', '.join(sorted(allowed))})")
                 for k, v in data.items() if k not in allowed]
        if stray:
            raise ValidationError(stray)
        return cls(kind=kind, **data)

    def errors(self, num_steps: int | None = None) -> list[FieldError]:
        """Problems with the current values (param guards single values; this the rest)."""
        out: list[FieldError] = []
        for n in self.kind_params(self.kind):
            allowed = check_number(self.param[n], getattr(self, n))
            if allowed is not None:
                out.append(FieldError(n, getattr(self, n), allowed))
        if self.kind == "pulse":
            out += _cross_errors({"pulse_width": self.pulse_width,
                                  "pulse_period": self.pulse_period})
        return out

    def notes(self, num_steps: int) -> list[str]:
        """Legal but probably unintended settings, as plain sentences."""
        if self.kind == "step" and self.step_at is not None and self.step_at >= num_steps:
            return [f"step_at = {self.step_at} is at or past the end of the run "
                    f"({num_steps} steps): the step never happens."]
        return []

    def generate(self, num_steps: int, delta_t: float) -> np.ndarray:
        """The value at each step k = 0..num_steps-1 (time t = k*delta_t), float64."""
        k = np.arange(num_steps)
        kind = self.kind
        if kind == "constant":
            return np.full(num_steps, self.value, dtype=np.float64)
        if kind == "sinusoidal":
            t = k * delta_t
            return self.offset + self.amplitude * np.sin(2 * np.pi * self.frequency * t)
        if kind == "step":
            at = num_steps // 2 if self.step_at is None else self.step_at
            return np.where(k < at, self.initial, self.final).astype(np.float64)
        if kind == "random_walk":
            rng = np.random.default_rng(self.seed)
            walk = self.initial + np.cumsum(rng.normal(0.0, self.volatility, num_steps))
            return np.maximum(walk, 0.0)
        if kind == "pulse":
            on = (k % self.pulse_period) < self.pulse_width
            return np.where(on, self.baseline + self.pulse_height, self.baseline).astype(
                np.float64)
        if kind == "ramp":
            if num_steps == 1:
                return np.array([self.start], dtype=np.float64)
            return np.linspace(self.start, self.end, num_steps)
        raise AssertionError(f"unhandled signal kind {kind!r}")  # pragma: no cover

    @property
    def is_random(self) -> bool:
        return self.kind == "random_walk"


def _cross_errors(values: dict[str, Any]) -> list[FieldError]:
    width, period = values.get("pulse_width"), values.get("pulse_period")
    if (isinstance(width, int | float) and isinstance(period, int | float)
            and not isinstance(width, bool) and width > period):
        return [FieldError("pulse_width", width,
                           f"at most pulse_period ({period}); a wider pulse never ends")]
    return []
