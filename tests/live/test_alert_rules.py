"""The alert state machine: hand-checked sequences and properties over any sequence."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from nexus_panel.live.alerts import AlertMachine, AlertRule, replay
from nexus_panel.models import ValidationError


def states(rule: AlertRule, values: list[float]) -> list[tuple[str, int]]:
    return [(e.state, e.step) for e in replay(rule, values)]


def test_hand_checked_sequence_with_band_and_debounce() -> None:
    rule = AlertRule(metric="N", above=100, clear=90, min_steps=3)
    #        0   1    2    3    4    5   6   7   8    9
    values = [50, 101, 102, 50, 101, 105, 110, 95, 91, 89]
    assert states(rule, values) == [
        ("pending", 1), ("dismissed", 3),          # two steps above: a blip
        ("pending", 4), ("firing", 6),             # three in a row: fires at the third
        ("resolved", 9),                           # 95 and 91 are in the band: still firing
    ]
    assert replay(rule, values)[3].to_dict() == {"rule": "N above 100", "state": "firing",
                                                 "step": 6, "value": 110.0,
                                                 "severity": "warning"}


def test_below_rule_without_band_fires_at_once() -> None:
    rule = AlertRule(metric="S", below=0.2, severity="critical", title="health low")
    assert states(rule, [0.5, 0.1, 0.1, 0.3, 0.19]) == [
        ("firing", 1), ("resolved", 3), ("firing", 4)]
    assert replay(rule, [0.1])[0].rule == "health low"


@pytest.mark.parametrize("fields, bad", [
    ({"metric": "N"}, "above"),
    ({"metric": "N", "above": 1, "below": 0}, "above"),
    ({"metric": "N", "above": 10, "clear": 11}, "clear"),
    ({"metric": "N", "below": 10, "clear": 9}, "clear"),
    ({"metric": "nope", "above": 1}, "metric"),
    ({"metric": "N", "above": 1, "min_steps": 0}, "min_steps"),
    ({"metric": "N", "above": 1, "severity": "panic"}, "severity"),
    ({"metric": "N", "above": 1, "title": "bad\x00title"}, "title"),
    ({"metric": "N", "above": 1, "title": "x" * 201}, "title"),
])
def test_bad_rules_name_the_field(fields: dict[str, object], bad: str) -> None:
    with pytest.raises(ValidationError) as caught:
        AlertMachine(AlertRule.from_dict(fields))
    assert bad in caught.value.fields


finite = st.floats(-1e3, 1e3, allow_nan=False)


@st.composite
def rules_and_values(draw: st.DrawFn) -> tuple[AlertRule, list[float]]:
    trigger = draw(finite)
    band = draw(st.floats(0, 100))
    rising = draw(st.booleans())
    rule = AlertRule(metric="N", min_steps=draw(st.integers(1, 6)),
                     **({"above": trigger, "clear": trigger - band} if rising
                        else {"below": trigger, "clear": trigger + band}))
    values = draw(st.lists(finite | st.sampled_from([trigger, trigger - band, trigger + band]),
                           max_size=200))
    return rule, values


@settings(max_examples=300, deadline=None)
@given(rules_and_values())
def test_alert_properties(case: tuple[AlertRule, list[float]]) -> None:
    rule, values = case
    events = replay(rule, values)
    open_firing = False
    for event in events:
        value = values[event.step]
        if event.state == "firing":
            # never two firings without a resolution; debounce: min_steps breached in a row
            assert not open_firing
            open_firing = True
            window = values[event.step - rule.min_steps + 1: event.step + 1]
            assert len(window) == rule.min_steps and all(map(rule.breached, window))
        elif event.state == "resolved":
            assert open_firing and rule.cleared(value)  # only past the clear threshold
            open_firing = False
        else:
            assert not open_firing
    # no flapping: while firing, values inside the band raise no event
    machine = AlertMachine(rule)
    for step, value in enumerate(values):
        before = machine.state
        event = machine.observe(step, value)
        if before == "firing" and not rule.cleared(value):
            assert event is None and machine.state == "firing"
    # every firing is resolved, or still open at the end
    assert open_firing == (machine.state == "firing")
