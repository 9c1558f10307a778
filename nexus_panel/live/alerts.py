"""Alert rules on a live run: a metric crossing a threshold, with hysteresis and debounce.

A rule (:class:`AlertRule`, a spec with a JSON form: ``{"metric", "above" or "below",
"clear", "min_steps", "severity"}``) watches one metric of every step. Its alert goes

    ok --breach--> pending --breached min_steps steps in a row--> firing
    pending --no longer breached--> ok (event "dismissed": a blip shorter than min_steps)
    firing --crosses the clear threshold--> ok (event "resolved")

*Breached* means above the trigger threshold (``above``) or below it (``below``).
*Cleared* means back on the other side of ``clear``, which lies on the safe side of the
trigger (``clear <= above``, ``clear >= below``): between the two is the hysteresis band,
where a firing alert keeps firing and an idle one stays idle, so a metric hovering at the
threshold cannot make the alert flap. Every transition is an :class:`AlertEvent` (rule,
state, step, value), which the live run stores with its wall-clock time.

Why a per-step machine and not a query over the stored history: alerts must fire while
the run is live, from the producer's loop, at a cost of a few comparisons per rule and
step; the same machine replayed over a stored run gives the same events (it is a pure
function of the metric sequence), which is what the property tests check.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

import param

from nexus_panel.analysis.specs import SpecBase
from nexus_panel.models import INPUT_NAMES, FieldError, ValidationError
from nexus_panel.models import text as text_rules

STEP_METRICS: tuple[str, ...] = ("N", "S", "Phi", "I_minus_B", "ledger_residual",
                                 "phi_saturated_share", *INPUT_NAMES)
"""What a rule may watch: the stock, the health index, the controller's correction, net
issuance, the ledger's residual so far, the share of steps so far with Phi at its limit,
and each input."""
SEVERITIES: tuple[str, ...] = ("info", "warning", "critical")
STATES: tuple[str, ...] = ("ok", "pending", "firing")
EVENTS: tuple[str, ...] = ("pending", "firing", "resolved", "dismissed")


class AlertRule(SpecBase):
    """One alert rule of a live run."""

    title = param.String("", doc="Shown in notifications and the alert log; empty: "
                                 "derived from the metric and threshold.")
    metric = param.Selector(default="N", objects=list(STEP_METRICS),
                            doc="The per-step figure the rule watches.")
    above = param.Number(None, allow_None=True, bounds=(-1e15, 1e15),
                         doc="Fire when the metric rises above this (give above or below).")
    below = param.Number(None, allow_None=True, bounds=(-1e15, 1e15),
                         doc="Fire when the metric falls below this (give above or below).")
    clear = param.Number(None, allow_None=True, bounds=(-1e15, 1e15),
                         doc="Resolve when the metric is back past this (default: the "
                             "trigger threshold itself, i.e. no hysteresis band).")
    min_steps = param.Integer(1, bounds=(1, 10_000_000),
                              doc="Steps the breach must last before the alert fires.")
    severity = param.Selector(default="warning", objects=list(SEVERITIES))

    def _cross_errors(self) -> list[FieldError]:
        title_errors = text_rules.NAME.errors(self.title, "title")
        if title_errors:
            return title_errors
        if (self.above is None) == (self.below is None):
            return [FieldError("above", self.above, "exactly one of above or below")]
        if self.clear is None:
            return []
        if self.above is not None and self.clear > self.above:
            return [FieldError("clear", self.clear,
                               f"at most above ({self.above:g}): it must lie on the safe side")]
        if self.below is not None and self.clear < self.below:
            return [FieldError("clear", self.clear,
                               f"at least below ({self.below:g}): it must lie on the safe side")]
        return []

    @property
    def rising(self) -> bool:
        return self.above is not None

    @property
    def trigger(self) -> float:
        return float(self.above if self.above is not None else self.below)

    @property
    def clear_level(self) -> float:
        return self.trigger if self.clear is None else float(self.clear)

    @property
    def label(self) -> str:
        if self.title:
            return self.title
        return f"{self.metric} {'above' if self.rising else 'below'} {self.trigger:g}"

    def breached(self, value: float) -> bool:
        return value > self.trigger if self.rising else value < self.trigger

    def cleared(self, value: float) -> bool:
        level = self.clear_level
        return value < level if self.rising else value > level


@dataclass(frozen=True)
class AlertEvent:
    """A transition of one rule's alert, at a step of the run."""

    rule: str
    state: str
    """One of :data:`EVENTS`."""
    step: int
    value: float
    severity: str

    def to_dict(self) -> dict[str, Any]:
        return {"rule": self.rule, "state": self.state, "step": self.step,
                "value": self.value, "severity": self.severity}


class AlertMachine:
    """The state of one rule's alert, advanced one step at a time."""

    def __init__(self, rule: AlertRule, state: str = "ok", streak: int = 0) -> None:
        rule.validate()
        self.rule = rule
        self.state = state
        self.streak = streak
        """Consecutive breached steps while pending."""

    def observe(self, step: int, value: float) -> AlertEvent | None:
        """Feed the metric at ``step``; the event if the alert changed state.

        A NaN (a metric not yet defined) changes nothing."""
        if math.isnan(value):
            return None
        rule = self.rule
        if self.state == "firing":
            if rule.cleared(value):
                self.state, self.streak = "ok", 0
                return self._event("resolved", step, value)
            return None
        if not rule.breached(value):
            if self.state == "pending":
                self.state, self.streak = "ok", 0
                return self._event("dismissed", step, value)
            return None
        self.streak += 1
        if self.streak >= rule.min_steps:
            self.state = "firing"
            return self._event("firing", step, value)
        if self.state == "ok":
            self.state = "pending"
            return self._event("pending", step, value)
        return None

    def _event(self, state: str, step: int, value: float) -> AlertEvent:
        return AlertEvent(self.rule.label, state, step, value, self.rule.severity)


def parse_rules(raw: Any) -> list[dict[str, Any]]:
    """A run's alert rules from JSON data (the scenario file's ``"alerts"``, the Live
    page's rules box), validated and normalised; a ValidationError names every bad field
    as ``alerts[i].field``."""
    if not isinstance(raw, list):
        raise ValidationError([FieldError("alerts", raw, "a list of alert rules")])
    rules, errors = [], []
    for i, item in enumerate(raw):
        try:
            rule = AlertRule.from_dict(item, prefix=f"alerts[{i}].")
            rule.validate(prefix=f"alerts[{i}].")
            rules.append(rule.to_dict())
        except ValidationError as exc:
            errors += exc.errors
    if errors:
        raise ValidationError(errors)
    return rules


def replay(rule: AlertRule, values: list[float], first_step: int = 0) -> list[AlertEvent]:
    """The events ``rule`` raises over ``values`` (step ``first_step`` onwards)."""
    machine = AlertMachine(rule)
    return [e for i, v in enumerate(values)
            if (e := machine.observe(first_step + i, v)) is not None]
