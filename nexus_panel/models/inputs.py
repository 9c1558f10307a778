"""The six named input signals of a scenario and their spec defaults."""

from __future__ import annotations

from typing import Any

import numpy as np
import param

from nexus_panel.models.errors import FieldError, ValidationError
from nexus_panel.models.signals import Signal, SignalSampler

INPUT_NAMES: tuple[str, ...] = ("H", "M", "D", "E", "C_cons", "C_disp")
"""Order of the inputs everywhere: engine columns, tables, plots."""


def _input(value: float, label: str, doc: str) -> param.ClassSelector:
    return param.ClassSelector(class_=Signal, default=Signal(value=value), instantiate=True,
                               label=label, doc=doc)


class Inputs(param.Parameterized):
    """H, M, D, E, C_cons, C_disp; each a :class:`Signal` (constants by default)."""

    H = _input(100.0, "Human contribution H", "Human contribution entering issuance.")
    M = _input(80.0, "Machine contribution M", "Machine contribution entering issuance.")
    D = _input(50.0, "Data inflow D", "Data inflow entering issuance.")
    E = _input(0.8, "Environmental index E", "Environmental index; clipped to [0, 1] "
               "in every step, enters issuance, health and the ecological load 1 - E.")
    C_cons = _input(60.0, "Consumption rate C_cons", "Consumption entering burn.")
    C_disp = _input(40.0, "Disposal rate C_disp", "Disposal entering burn.")

    def signals(self) -> dict[str, Signal]:
        return {n: getattr(self, n) for n in INPUT_NAMES}

    def to_dict(self) -> dict[str, dict[str, Any]]:
        return {n: s.to_dict() for n, s in self.signals().items()}

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Inputs:
        """Build from ``{name: signal dict}``; missing inputs keep their defaults."""
        errors: list[FieldError] = []
        signals: dict[str, Signal] = {}
        for key, spec in data.items():
            if key not in INPUT_NAMES:
                errors.append(FieldError(key, spec, "one of " + ", ".join(INPUT_NAMES)))
                continue
            if not isinstance(spec, dict):
                errors.append(FieldError(key, spec, "an object with a 'kind' and its parameters"))
                continue
            try:
                signals[key] = Signal.from_dict(spec)
            except ValidationError as exc:
                errors += exc.prefixed(key).errors
        if errors:
            raise ValidationError(errors)
        return cls(**signals)

    def arrays(self, num_steps: int, delta_t: float) -> np.ndarray:
        """A (6, num_steps) float64 array, rows in INPUT_NAMES order, as the engine takes."""
        return self.sampler(num_steps, delta_t).take(num_steps)

    def sampler(self, num_steps: int, delta_t: float) -> InputsSampler:
        """The same arrays a span of steps at a time (see ``Signal.sampler``)."""
        return InputsSampler([s.sampler(num_steps, delta_t) for s in self.signals().values()])


class InputsSampler:
    """Consecutive (6, m) spans of a run's inputs, rows in INPUT_NAMES order."""

    def __init__(self, samplers: list[SignalSampler]) -> None:
        self.samplers = samplers

    @property
    def position(self) -> int:
        return self.samplers[0].position

    def take(self, count: int) -> np.ndarray:
        rows = [sampler.take(count) for sampler in self.samplers]
        out = np.empty((len(rows), rows[0].size), dtype=np.float64)
        for j, row in enumerate(rows):
            out[j] = row
        return out
