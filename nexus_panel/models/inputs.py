"""The six named input signals of a scenario and their spec defaults."""

from __future__ import annotations

from typing import Any

import numpy as np
import param

from nexus_panel.models.declared import field_names
from nexus_panel.models.errors import FieldError, ValidationError
from nexus_panel.models.signals import Signal, SignalSampler

Domain = tuple[float, float | None]
"""(low, high) of an input's values; high None means unbounded above."""


def _input(value: float, label: str, doc: str, domain: Domain = (0.0, None),
           ) -> param.ClassSelector:
    """An input: a constant ``value`` by default, every other kind starting inside
    ``domain`` (the one place an input's domain is declared)."""
    default = Signal(**{**Signal.defaults_within(*domain), "value": value})
    return param.ClassSelector(class_=Signal, default=default, instantiate=True,
                               label=label, doc=doc, metadata={"domain": domain})


class Inputs(param.Parameterized):
    """H, M, D, E, C_cons, C_disp; each a :class:`Signal` (constants by default)."""

    H = _input(100.0, "Human contribution H", "Human contribution entering issuance.")
    M = _input(80.0, "Machine contribution M", "Machine contribution entering issuance.")
    D = _input(50.0, "Data inflow D", "Data inflow entering issuance.")
    E = _input(0.8, "Environmental index E", "Environmental index; clipped to [0, 1] "
               "in every step, enters issuance, health and the ecological load 1 - E.",
               domain=(0.0, 1.0))
    C_cons = _input(60.0, "Consumption rate C_cons", "Consumption entering burn.")
    C_disp = _input(40.0, "Disposal rate C_disp", "Disposal entering burn.")

    @classmethod
    def names(cls) -> list[str]:
        """The inputs, in declaration order: engine rows, columns, tables and plots."""
        return field_names(cls)

    @classmethod
    def domain(cls, name: str) -> Domain:
        """The values input ``name`` can take: E in [0, 1], the others >= 0."""
        return cls.param[name].metadata["domain"]

    @classmethod
    def levels(cls) -> list[str]:
        """Inputs that are amounts (>= 0, no upper bound): the shared level axis."""
        return [n for n in cls.names() if cls.domain(n)[1] is None]

    @classmethod
    def bounded(cls) -> list[str]:
        """Inputs with an upper bound (plotted on their own axis, clipped by the engine)."""
        return [n for n in cls.names() if cls.domain(n)[1] is not None]

    @classmethod
    def signal_defaults(cls, name: str) -> dict[str, Any]:
        """Starting values of every kind's parameters for input ``name``."""
        default = cls.param[name].default
        return {n: getattr(default, n) for n in field_names(Signal, exclude=("kind",))}

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
                signals[key] = Signal.from_dict(spec, cls.signal_defaults(key))
            except ValidationError as exc:
                errors += exc.prefixed(key).errors
        if errors:
            raise ValidationError(errors)
        return cls(**signals)

    def arrays(self, num_steps: int, delta_t: float) -> np.ndarray:
        """A (6, num_steps) float64 array, rows in INPUT_NAMES order, as the engine takes."""
        return self.sampler(num_steps, delta_t).take(num_steps)

    def arrays_and_notes(self, num_steps: int, delta_t: float) -> tuple[np.ndarray, list[str]]:
        """:meth:`arrays`, and what producing them must tell the run (a feed clipped into
        its input's domain), as warnings."""
        sampler = self.sampler(num_steps, delta_t)
        return sampler.take(num_steps), sampler.notes()

    def feeds(self) -> dict[str, Signal]:
        """The inputs driven by a stored feed snapshot (kind ``feed``)."""
        return {n: s for n, s in self.signals().items() if s.uses_data}

    def domain_warnings(self, arrays: np.ndarray) -> list[str]:
        """Where a run's inputs (rows in INPUT_NAMES order) left their domains: the engine
        clips E to [0, 1], a random walk is held at 0; neither may pass silently."""
        out = []
        n = arrays.shape[1]
        for row, (name, signal) in zip(arrays, self.signals().items(), strict=True):
            low, high = self.domain(name)
            below = int(np.count_nonzero(row < low))
            above = 0 if high is None else int(np.count_nonzero(row > high))
            if below or above:
                shown = f"[{low:g}, {high:g}]" if high is not None else f"≥ {low:g}"
                action = ("clipped it" if high is not None
                          else "used the values as given")
                out.append(f"Input {name} left its domain {shown} in {below + above} of "
                           f"{n} steps ({below} below, {above} above); the engine "
                           f"{action}.")
            if signal.is_random:
                held = int(np.count_nonzero(row == 0.0))
                if held:
                    out.append(f"Input {name}: the random walk fell below 0 and was held "
                               f"at 0 in {held} of {n} steps.")
        return out

    def sampler(self, num_steps: int, delta_t: float) -> InputsSampler:
        """The same arrays a span of steps at a time (see ``Signal.sampler``)."""
        return InputsSampler([s.sampler(num_steps, delta_t, self.domain(n))
                              for n, s in self.signals().items()])


INPUT_NAMES: tuple[str, ...] = tuple(Inputs.names())
"""Order of the inputs everywhere: engine rows and columns, tables, plots."""


class InputsSampler:
    """Consecutive (6, m) spans of a run's inputs, rows in INPUT_NAMES order."""

    def __init__(self, samplers: list[SignalSampler]) -> None:
        self.samplers = samplers

    @property
    def position(self) -> int:
        return self.samplers[0].position

    def notes(self) -> list[str]:
        """Every input's notes so far, prefixed with the input's name."""
        return [f"Input {name}: {note}" for name, sampler in zip(INPUT_NAMES, self.samplers,
                                                                 strict=True)
                for note in sampler.notes]

    def take(self, count: int) -> np.ndarray:
        rows = []
        for name, sampler in zip(INPUT_NAMES, self.samplers, strict=True):
            try:
                rows.append(sampler.take(count))
            except ValidationError as exc:  # a feed refused: say which input
                raise exc.prefixed(f"inputs.{name}") from None
        out = np.empty((len(rows), rows[0].size), dtype=np.float64)
        for j, row in enumerate(rows):
            out[j] = row
        return out
