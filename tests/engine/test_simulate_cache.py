"""simulate() caches validation, the content hash and the inputs on the scenario; every
edit of a value that changes a run must drop them."""

from __future__ import annotations

from collections.abc import Callable

import pytest

from nexus_panel import Scenario, simulate
from nexus_panel.models import EngineParams, Inputs, Signal, ValidationError


def small() -> Scenario:
    return Scenario(params=EngineParams(num_steps=200, N_initial=500.0))


def test_a_param_changed_after_a_run_changes_the_next_run() -> None:
    scenario = small()
    first = simulate(scenario)
    scenario.params.alpha = 2.0
    second = simulate(scenario)
    assert second.content_hash != first.content_hash
    assert second.final_N != first.final_N
    assert second.content_hash == Scenario.from_dict(scenario.to_dict()).content_hash()
    assert second.final_N == simulate(scenario.copy()).final_N


@pytest.mark.parametrize("edit", [
    lambda s: setattr(s.inputs.H, "value", 150.0),
    lambda s: setattr(s.inputs.H, "kind", "ramp"),
    lambda s: setattr(s.inputs, "C_cons", Signal(value=90.0)),
    lambda s: setattr(s, "inputs", Inputs(D=Signal(value=10.0))),
    lambda s: setattr(s, "params", EngineParams(num_steps=200, N_initial=500.0, beta=2.0)),
    lambda s: setattr(s.params, "num_steps", 150),
])
def test_every_kind_of_edit_invalidates(edit: Callable[[Scenario], None]) -> None:
    scenario = small()
    first = simulate(scenario)
    edit(scenario)
    second = simulate(scenario)
    assert second.content_hash != first.content_hash
    assert second.final_N != first.final_N or len(second.frame) != len(first.frame)


def test_edits_of_replaced_parts_still_invalidate() -> None:
    scenario = small()
    scenario.inputs.E = Signal(value=0.5)
    scenario.params = EngineParams(num_steps=200)
    before = simulate(scenario).final_N
    scenario.inputs.E.value = 0.9
    middle = simulate(scenario).final_N
    scenario.params.alpha = 0.5
    assert len({before, middle, simulate(scenario).final_N}) == 3


def test_a_name_change_keeps_the_hash_but_is_validated_again() -> None:
    scenario = small()
    digest = simulate(scenario).content_hash
    scenario.name = "renamed"
    assert simulate(scenario).content_hash == digest
    scenario.name = "bad\x00name"
    with pytest.raises(ValidationError, match="name"):
        simulate(scenario)


def test_warnings_are_a_fresh_list_each_time() -> None:
    scenario = small()
    scenario.params.w_H = 0.9
    warnings = scenario.validate()
    warnings.append("mine")
    assert "mine" not in scenario.validate()
    assert any("Issuance weights" in w for w in simulate(scenario).warnings)
