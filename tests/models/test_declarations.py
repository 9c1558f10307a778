"""Catalogues read from the declarations pick up a newly declared field by themselves."""

from __future__ import annotations

import param

from nexus_panel.models import EngineParams, Inputs, Signal
from nexus_panel.models.declared import field_names
from nexus_panel.models.engine_params import _num


class Extended(EngineParams):
    gamma_X = _num(0.5, 0, 1, 0.01, group="burn", symbol="γ_X", label="Extra weight",
                   weight=True, doc="A burn weight declared after the fact.")


def test_a_new_weight_joins_its_group_and_its_warning() -> None:
    assert Extended.weight_groups()["burn"] == ["gamma_C", "gamma_D", "gamma_E", "gamma_X"]
    assert "gamma_X" in Extended.names()
    assert Extended().weight_warnings() == [
        "Burn weights: gamma_C + gamma_D + gamma_E + gamma_X sum to 1.5, not 1."]
    assert EngineParams().weight_warnings() == []


def test_references_are_not_weights() -> None:
    assert EngineParams.weight_groups()["health"] == [
        "lambda_E", "lambda_H", "lambda_M", "lambda_N"]


def test_the_internal_name_is_never_a_field() -> None:
    class Thing(param.Parameterized):
        size = param.Number(1.0)

    assert field_names(Thing) == ["size"]
    assert field_names(Thing(name="x")) == ["size"]
    for cls in (EngineParams, Inputs, Signal):
        assert "name" not in field_names(cls)
    assert field_names(Signal, exclude=("kind",))[0] == "amplitude"


def test_signal_kind_traits_are_declared_on_signal() -> None:
    assert [k for k in ("constant", "sinusoidal", "random_walk")
            if Signal(kind=k).uses_time] == ["sinusoidal"]
    assert [k for k in ("constant", "sinusoidal", "random_walk")
            if Signal(kind=k).is_random] == ["random_walk"]
