"""Input signals: one kind (constant, sinusoidal, step, random walk, pulse, ramp, feed) and
its parameters, and the array it produces for a run.

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
from nexus_panel.models.declared import field_names
from nexus_panel.models.errors import FieldError, ValidationError

KIND_TRAITS: dict[str, frozenset[str]] = {
    "constant": frozenset(),
    "sinusoidal": frozenset({"time"}),
    "step": frozenset(),
    "random_walk": frozenset({"random"}),
    "pulse": frozenset(),
    "ramp": frozenset(),
    "feed": frozenset({"time", "data"}),
}
"""Each kind and what its series depends on beyond the step index: ``time`` (t = k*dt,
so it changes with delta_t), ``random`` (draws from a seeded generator) or ``data`` (a
stored feed snapshot, ``nexus_panel.feeds``: loaded before a run, pinned by its sha256).
The batch runner and the analyses ask :attr:`Signal.uses_time` / :attr:`Signal.is_random`
/ :attr:`Signal.uses_data`."""
SIGNAL_KINDS: tuple[str, ...] = tuple(KIND_TRAITS)
"""Every kind a signal may have."""
KINDS: tuple[str, ...] = tuple(k for k, t in KIND_TRAITS.items() if "data" not in t)
"""The kinds whose series come from their parameters alone (the generators): what the
contract generators, random scenario strategies and presets draw from."""
FEED_KIND = "feed"
LEVEL = 1e9
"""Hard bound on signal levels; the slider range (softbounds) is much narrower."""


def _level(default: float, kinds: tuple[str, ...], label: str, doc: str, *,
            soft: tuple[float, float] = (0, 500), role: str = "level") -> param.Number:
    """A level-type parameter; ``role`` says how it maps onto an input's domain: a
    ``level`` is a value of the input itself, a ``size`` a distance between values."""
    return param.Number(default, bounds=(-LEVEL, LEVEL), softbounds=soft, step=1.0,
                        label=label, doc=doc, metadata={"kinds": kinds, "role": role})


GENERIC_SPAN = 250.0
"""The span of input values the generic level defaults (100 to 200) are written for: an
input on a bounded domain gets them scaled from [0, GENERIC_SPAN] onto that domain."""


class Signal(param.Parameterized):
    """One input series. ``generate(num_steps, delta_t)`` gives its value at each step k."""

    kind = param.Selector(default="constant", objects=list(SIGNAL_KINDS), label="Kind",
                          doc="How the input evolves over the run.")
    amplitude = _level(20.0, ("sinusoidal",), "Amplitude",
                       "Peak deviation from the offset.", soft=(0, 200), role="size")
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
                          "during a pulse (may be negative).", soft=(-200, 200),
                          role="size")
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
                              metadata={"kinds": ("random_walk",), "role": "size"})

    # --- the feed kind: a stored snapshot's column, aligned to t = k*delta_t -------------
    feed = param.String("", label="Feed", doc="Name of the stored feed.",
                        metadata={"kinds": ("feed",)})
    column = param.String("", label="Column", doc="The feed's value column to use.",
                          metadata={"kinds": ("feed",)})
    snapshot = param.Integer(None, allow_None=True, bounds=(1, 2**63 - 1),
                             label="Snapshot", doc="Id of the snapshot the run used (where "
                             "it was fetched); empty: the feed's latest, pinned at the run.",
                             metadata={"kinds": ("feed",)})
    sha256 = param.String("", label="Snapshot sha256", doc="The snapshot's content hash: "
                          "what identifies the data (empty until pinned).",
                          metadata={"kinds": ("feed",)})
    start_time = param.Number(None, allow_None=True, bounds=(-1e15, 1e15),
                              label="Start time", doc="Feed time at step 0 (epoch seconds "
                              "for date-times); empty: the first row's time.",
                              metadata={"kinds": ("feed",)})
    time_scale = param.Number(1.0, bounds=(0, 1e12), inclusive_bounds=(False, True),
                              label="Feed time per model time", doc="Feed time units per "
                              "unit of t: step k reads the feed at start + k*delta_t*this.",
                              metadata={"kinds": ("feed",)})
    method = param.Selector(default="previous", objects=["previous", "linear"],
                            label="Method", doc="Value between rows: the previous row's, or "
                            "linear between the two rows around it.",
                            metadata={"kinds": ("feed",)})
    gap_policy = param.Selector(default="hold", objects=["hold", "interpolate", "fail"],
                                label="Gap policy", doc="Across a gap longer than max_gap: "
                                "hold the last value, interpolate, or fail naming it.",
                                metadata={"kinds": ("feed",)})
    max_gap = param.Number(None, allow_None=True, bounds=(0, 1e15),
                           inclusive_bounds=(False, True), label="Max gap",
                           doc="Longest distance between rows (feed time units) that is not "
                           "a gap; empty: no limit.", metadata={"kinds": ("feed",)})
    out_of_domain = param.Selector(default="refuse", objects=["refuse", "clip"],
                                   label="Out of domain", doc="Values outside the input's "
                                   "domain: refuse the run, or clip them (with a warning).",
                                   metadata={"kinds": ("feed",)})

    def __init__(self, **params: Any) -> None:
        errors = check_values(type(self), params)
        errors += _cross_errors({**{n: type(self).param[n].default for n in ("pulse_width",
                                 "pulse_period")}, **params})
        errors += _text_errors(params)
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
        return [n for n in field_names(cls, exclude=("kind",))
                if kind in cls.param[n].metadata["kinds"]]

    def to_dict(self) -> dict[str, Any]:
        """Canonical form: the kind and only the parameters that kind uses (numbers
        coerced to their declared type, so ``value = 100`` and ``100.0`` hash alike)."""
        cls = type(self)
        return {"kind": self.kind, **{n: _canonical(cls.param[n], getattr(self, n))
                                      for n in self.kind_params(self.kind)}}

    @classmethod
    def from_dict(cls, data: dict[str, Any],
                  defaults: dict[str, Any] | None = None) -> Signal:
        """Build from ``{"kind": ..., <that kind's parameters>}``; unknown keys are errors.
        Parameters left out take ``defaults`` (an input's own, see ``Inputs``), else the
        declared defaults."""
        data = dict(data)
        kind = data.pop("kind", "constant")
        if kind not in SIGNAL_KINDS:
            raise ValidationError([FieldError("kind", kind,
                                              "one of " + ", ".join(SIGNAL_KINDS))])
        allowed = set(cls.kind_params(kind))
        stray = [FieldError(k, v, f"not a parameter of a {kind} signal "
                                  f"({', '.join(sorted(allowed))})")
                 for k, v in data.items() if k not in allowed]
        if stray:
            raise ValidationError(stray)
        # Every field, not only this kind's: switching the kind later starts from them.
        return cls(kind=kind, **{**(defaults or {}), **data})

    @classmethod
    def defaults_within(cls, low: float, high: float | None) -> dict[str, float]:
        """Starting values of every kind for an input whose values lie in [low, high]:
        the declared defaults scaled from [0, GENERIC_SPAN] onto the domain, so that
        switching such an input to any kind starts inside it. Empty when unbounded (the
        declared defaults already suit an input >= 0)."""
        if high is None:
            return {}
        scale = (high - low) / GENERIC_SPAN
        out = {}
        for n in field_names(cls):
            role = (cls.param[n].metadata or {}).get("role")
            if role is not None:
                out[n] = (low if role == "level" else 0.0) + cls.param[n].default * scale
        return out

    @classmethod
    def slider_range(cls, field: str, low: float,
                     high: float | None) -> tuple[float, float, float] | None:
        """(start, end, step) of ``field``'s slider for an input on [low, high]; None
        when the declared slider range (softbounds, step) applies."""
        role = (cls.param[field].metadata or {}).get("role")
        if role is None or high is None:
            return None
        span = high - low
        step = span / 100
        if role == "level":
            return (low, high, step)
        soft_low = cls.param[field].softbounds[0]
        return (-span if soft_low is not None and soft_low < 0 else 0.0, span, step)

    def errors(self, num_steps: int | None = None) -> list[FieldError]:
        """Problems with the current values (param guards single values; this the rest)."""
        out: list[FieldError] = []
        for n in self.kind_params(self.kind):
            if not isinstance(self.param[n], param.Number):
                continue
            allowed = check_number(self.param[n], getattr(self, n))
            if allowed is not None:
                out.append(FieldError(n, getattr(self, n), allowed))
        if self.kind == FEED_KIND:
            out += _text_errors({n: getattr(self, n) for n in _TEXT_FIELDS}, required=True)
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

    def generate(self, num_steps: int, delta_t: float,
                 domain: tuple[float, float | None] | None = None) -> np.ndarray:
        """The value at each step k = 0..num_steps-1 (time t = k*delta_t), float64.
        ``domain``: the input's (low, high), which a feed's values are refused or clipped
        to (``out_of_domain``); the generators ignore it."""
        return self.sampler(num_steps, delta_t, domain).take(num_steps)

    def sampler(self, num_steps: int, delta_t: float,
                domain: tuple[float, float | None] | None = None) -> SignalSampler:
        """The same values as :meth:`generate`, a span at a time (for runs too long to
        hold whole): ``sampler.take(m)`` gives the next ``m`` values."""
        return SignalSampler(self, num_steps, delta_t, domain)

    @property
    def is_random(self) -> bool:
        """Whether the series draws from its seeded generator (KIND_TRAITS)."""
        return "random" in KIND_TRAITS[self.kind]

    @property
    def uses_data(self) -> bool:
        """Whether the series comes from a stored feed snapshot (loaded before a run)."""
        return "data" in KIND_TRAITS[self.kind]

    @property
    def uses_time(self) -> bool:
        """Whether the series depends on delta_t, not only on the step index k."""
        return "time" in KIND_TRAITS[self.kind]


class SignalSampler:
    """Consecutive spans of one signal's values over a run of ``num_steps`` steps.

    The single implementation of every kind: :meth:`Signal.generate` is one span of the
    whole run, streamed exports take many. Spans concatenate to exactly the whole-run
    array, to the last bit: index-based kinds compute each element from its own step
    index k; a random walk draws from one generator in sequence (numpy's Generator gives
    the same stream whatever the span sizes) and carries its running sum, added in the
    same order as one ``cumsum`` over the whole run.
    """

    def __init__(self, signal: Signal, num_steps: int, delta_t: float,
                 domain: tuple[float, float | None] | None = None) -> None:
        self.signal = signal
        self.num_steps = num_steps
        self.delta_t = delta_t
        self.domain = domain
        self.position = 0
        self.notes: list[str] = []
        """What the series did that a run must report (a feed's values clipped)."""
        self._fed: np.ndarray | None = None
        self._rng = np.random.default_rng(signal.seed) if signal.is_random else None
        self._walked = 0.0  # running sum of the walk's draws so far

    def take(self, count: int) -> np.ndarray:
        """The next ``count`` values (fewer at the end of the run)."""
        start = self.position
        stop = min(start + max(count, 0), self.num_steps)
        self.position = stop
        k = np.arange(start, stop)
        s = self.signal
        kind = s.kind
        if kind == "constant":
            return np.full(stop - start, s.value, dtype=np.float64)
        if kind == "sinusoidal":
            t = k * self.delta_t
            return s.offset + s.amplitude * np.sin(2 * np.pi * s.frequency * t)
        if kind == "step":
            at = self.num_steps // 2 if s.step_at is None else s.step_at
            return np.where(k < at, s.initial, s.final).astype(np.float64)
        if kind == "random_walk":
            assert self._rng is not None
            draws = self._rng.normal(0.0, s.volatility, stop - start)
            levels, walked = walk_levels(s.initial, draws, self._walked)
            self._walked = float(walked)
            return levels
        if kind == "pulse":
            on = (k % s.pulse_period) < s.pulse_width
            return np.where(on, s.baseline + s.pulse_height, s.baseline).astype(np.float64)
        if kind == "ramp":
            return _ramp(s.start, s.end, self.num_steps, k)
        if kind == FEED_KIND:
            if self._fed is None:
                from nexus_panel.feeds.series import feed_values

                self._fed, self.notes = feed_values(s, self.num_steps, self.delta_t,
                                                    self.domain)
            return self._fed[start:stop].copy()
        raise AssertionError(f"unhandled signal kind {kind!r}")  # pragma: no cover


def walk_levels(initial: float, steps: np.ndarray,
                carried: float = 0.0) -> tuple[np.ndarray, float]:
    """A random walk's levels max(0, initial + running sum of ``steps``), the sum
    continuing from ``carried``; returns them and the running sum after the last step.

    The one implementation of the walk: ``Signal.generate`` (through SignalSampler), the
    batch runner and the batch kernels (which compile this very function with numba)
    all call it, so a run in a batch equals its standalone simulation to the last bit.
    ``steps`` are Normal(0, volatility) draws; numpy's ``normal(0, v)`` is ``0.0 + v * z``
    of the standard draws z. The sum is numpy's sequential cumsum, in one fixed order.
    """
    sums = np.cumsum(np.concatenate((np.full(1, carried), steps)))
    return np.maximum(initial + sums[1:], 0.0), sums[-1]


def _ramp(start: float, end: float, num_steps: int, k: np.ndarray) -> np.ndarray:
    """start + k * (end - start) / (num_steps - 1), with the last step exactly ``end``
    (numpy's linspace, written out so that any span of it can be computed alone)."""
    if num_steps == 1:
        return np.full(k.size, start, dtype=np.float64)
    step = (end - start) / (num_steps - 1)
    # A step that underflows to zero (tiny end - start): linspace divides first.
    values = ((k / (num_steps - 1)) * (end - start) + start if step == 0
              else k * step + start).astype(np.float64)
    values[k == num_steps - 1] = end
    return values


_TEXT_FIELDS = ("feed", "column", "sha256")
_HEX = frozenset("0123456789abcdef")


def _text_errors(values: dict[str, Any], *, required: bool = False) -> list[FieldError]:
    """The feed kind's text fields: a feed name and column (one line, at most 200
    characters; required once the kind is feed), and a sha256 (64 hex digits, or empty)."""
    out = []
    for name in ("feed", "column"):
        if name not in values:
            continue
        value = values[name]
        if not isinstance(value, str) or "\n" in value or len(value) > 200 or \
                (required and not value.strip()):
            out.append(FieldError(name, value, "a name of one line, 1 to 200 characters"))
    sha = values.get("sha256", "")
    if not isinstance(sha, str) or (sha and (len(sha) != 64 or not set(sha) <= _HEX)):
        out.append(FieldError("sha256", sha, "64 lowercase hex digits, or empty"))
    return out


def _canonical(p: param.Parameter, value: Any) -> Any:
    return coerce_number(p, value) if isinstance(p, param.Number) else value


def _cross_errors(values: dict[str, Any]) -> list[FieldError]:
    width, period = values.get("pulse_width"), values.get("pulse_period")
    if (isinstance(width, int | float) and isinstance(period, int | float)
            and not isinstance(width, bool) and width > period):
        return [FieldError("pulse_width", width,
                           f"at most pulse_period ({period}); a wider pulse never ends")]
    return []
