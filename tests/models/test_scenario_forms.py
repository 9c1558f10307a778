"""Canonical dict/JSON, content hash, defaults, and import of the original app's export."""

from __future__ import annotations

import json

import pytest

from nexus_panel.models import (
    GROUPS,
    INPUT_NAMES,
    KINDS,
    EngineParams,
    Scenario,
    Signal,
    ValidationError,
)


def test_defaults_are_the_spec_defaults() -> None:
    p = EngineParams()
    assert (p.alpha, p.beta, p.kappa, p.eta, p.F_floor) == (1.0, 1.0, 0.01, 0.1, 10.0)
    assert (p.w_H, p.w_M, p.w_D, p.w_E) == (0.4, 0.3, 0.2, 0.1)
    assert (p.gamma_C, p.gamma_D, p.gamma_E) == (0.5, 0.3, 0.2)
    assert (p.K_p, p.K_i, p.K_d, p.N_target, p.N_initial) == (0.1, 0.01, 0.05, 1000, 1000)
    assert (p.lambda_E, p.lambda_N, p.lambda_H, p.lambda_M) == (0.3, 0.3, 0.2, 0.2)
    assert (p.N_0, p.H_0, p.M_0, p.delta_t, p.num_steps) == (1000, 100, 100, 0.1, 1000)
    assert p.phi_limit == 100
    values = {n: s.to_dict() for n, s in Scenario().inputs.signals().items()}
    assert values == {"H": {"kind": "constant", "value": 100.0},
                      "M": {"kind": "constant", "value": 80.0},
                      "D": {"kind": "constant", "value": 50.0},
                      "E": {"kind": "constant", "value": 0.8},
                      "C_cons": {"kind": "constant", "value": 60.0},
                      "C_disp": {"kind": "constant", "value": 40.0}}


def test_every_parameter_has_a_group_label_with_symbol_and_doc() -> None:
    for name in EngineParams.names():
        p = EngineParams.param[name]
        assert p.metadata["group"] in GROUPS, name
        assert p.metadata["symbol"] in p.label, name
        assert p.doc, name
    assert EngineParams.param["alpha"].label == "Issuance gain α"


def test_weight_sums_other_than_one_are_warnings_not_errors() -> None:
    scenario = Scenario.from_dict({"params": {"w_H": 0.9}})
    warnings = scenario.validate()
    assert any("Issuance weights" in w and "1.5" in w for w in warnings)
    assert Scenario().validate() == []


def test_unknown_keys_are_errors_that_name_them() -> None:
    with pytest.raises(ValidationError) as err:
        Scenario.from_dict({"params": {"alpah": 1.0}, "extra": 1,
                            "inputs": {"X": {"kind": "constant"}}})
    assert sorted(err.value.fields) == ["extra", "inputs.X", "params.alpah"]


def test_to_dict_has_a_schema_version_and_from_dict_refuses_another() -> None:
    data = Scenario(name="a").to_dict()
    assert data["schema_version"] == 1
    data["schema_version"] = 99
    with pytest.raises(ValidationError) as err:
        Scenario.from_dict(data)
    assert err.value.fields == ["schema_version"]


def test_bad_json_text_is_a_validation_error() -> None:
    with pytest.raises(ValidationError) as err:
        Scenario.from_json("{not json")
    assert err.value.fields == ["file"]
    with pytest.raises(ValidationError):
        Scenario.from_json("[1, 2]")


def test_content_hash_ignores_name_and_description() -> None:
    a = Scenario(name="a", description="first")
    b = Scenario(name="b", description="second")
    assert a.content_hash() == b.content_hash()
    assert len(a.content_hash()) == 64


def _other_value(p: object, current: object) -> object:
    lo, hi = p.bounds  # type: ignore[attr-defined]
    return hi if current != hi else lo


def test_content_hash_changes_for_every_parameter() -> None:
    base = Scenario().to_dict()
    seen = {Scenario.from_dict(base).content_hash()}
    for name in EngineParams.names():
        data = json.loads(json.dumps(base))
        data["params"][name] = _other_value(EngineParams.param[name], base["params"][name])
        seen.add(Scenario.from_dict(data).content_hash())
    assert len(seen) == len(EngineParams.names()) + 1


def test_content_hash_changes_for_every_signal_kind_and_parameter() -> None:
    base = Scenario().to_dict()
    seen = {Scenario.from_dict(base).content_hash()}
    changes = 0
    for target in INPUT_NAMES:
        for kind in KINDS:
            data = json.loads(json.dumps(base))
            data["inputs"][target] = Signal(kind=kind).to_dict()
            if kind != "constant":
                seen.add(Scenario.from_dict(data).content_hash())
                changes += 1
            for name in Signal.kind_params(kind):
                changed = json.loads(json.dumps(data))
                current = data["inputs"][target][name]
                value = 5 if current is None else _other_value(Signal.param[name], current)
                if name == "pulse_width":
                    value = 3
                changed["inputs"][target][name] = value
                seen.add(Scenario.from_dict(changed).content_hash())
                changes += 1
    assert len(seen) == changes + 1


ORIGINAL_EXPORT = {
    "parameters": {"alpha": 1.5, "beta": 0.8, "kappa": 0.02, "eta": 0.1, "F_floor": 10.0,
                   "w_H": 0.4, "w_M": 0.3, "w_D": 0.2, "w_E": 0.1, "gamma_C": 0.5,
                   "gamma_D": 0.3, "gamma_E": 0.2, "K_p": 0.2, "K_i": 0.01, "K_d": 0.05,
                   "N_target": 1200.0, "N_initial": 900.0, "lambda_E": 0.3, "lambda_N": 0.3,
                   "lambda_H": 0.2, "lambda_M": 0.2, "N_0": 1000.0, "H_0": 100.0,
                   "M_0": 100.0, "delta_t": 0.05, "num_steps": 300},
    "signal_configs": {
        "H": {"type": "sinusoidal", "amplitude": 20.0, "offset": 100.0, "frequency": 0.01},
        "M": {"type": "random_walk", "initial": 80.0, "volatility": 2.0, "seed": 7},
        "D": {"type": "pulse", "baseline": 50.0, "pulse_height": 10.0, "pulse_width": 5,
              "pulse_period": 50},
        "E": {"type": "constant", "value": 0.8},
        "C_cons": {"type": "step", "initial": 60.0, "final": 70.0, "step_at": 100},
        "C_disp": {"type": "ramp", "start": 40.0, "end": 20.0},
    },
    "results": {"N": [1.0, 2.0], "t": [0.0, 0.1]},
}


def test_original_export_imports_with_its_values() -> None:
    scenario = Scenario.from_json(json.dumps(ORIGINAL_EXPORT))
    assert scenario.params.alpha == 1.5
    assert scenario.params.N_target == 1200.0
    assert scenario.params.num_steps == 300
    assert scenario.params.phi_limit == 100.0  # the original's fixed limit
    inputs = scenario.inputs
    assert inputs.H.to_dict() == {"kind": "sinusoidal", "amplitude": 20.0, "frequency": 0.01,
                                  "offset": 100.0}
    assert (inputs.M.kind, inputs.M.seed, inputs.M.volatility) == ("random_walk", 7, 2.0)
    assert (inputs.D.pulse_width, inputs.D.pulse_period) == (5, 50)
    assert (inputs.C_cons.kind, inputs.C_cons.step_at) == ("step", 100)
    assert (inputs.C_disp.start, inputs.C_disp.end) == (40.0, 20.0)


def test_original_export_with_missing_parts_takes_defaults() -> None:
    scenario = Scenario.from_dict({"parameters": {"alpha": 2.0},
                                   "signal_configs": {"H": {"type": "constant"}}})
    assert scenario.params.alpha == 2.0
    assert scenario.params.beta == 1.0
    assert scenario.inputs.H.value == 100.0  # the original's default for a constant
    assert scenario.inputs.M.value == 80.0


def test_original_export_errors_use_the_original_names() -> None:
    bad = json.loads(json.dumps(ORIGINAL_EXPORT))
    bad["parameters"]["alpha"] = 9.0
    bad["parameters"]["alpah"] = 1.0
    bad["signal_configs"]["H"]["type"] = "sawtooth"
    bad["signal_configs"]["D"]["pulse_width"] = 60
    bad["extra"] = {}
    with pytest.raises(ValidationError) as err:
        Scenario.from_dict(bad)
    assert "extra" in err.value.fields
    bad.pop("extra")
    with pytest.raises(ValidationError) as err:
        Scenario.from_dict(bad)
    assert sorted(err.value.fields) == ["parameters.alpah", "parameters.alpha",
                                        "signal_configs.D.pulse_width",
                                        "signal_configs.H.type"]


def test_whole_numbers_assigned_as_ints_hash_like_floats() -> None:
    scenario = Scenario()
    scenario.params.alpha = 1  # param accepts an int here
    scenario.inputs.H.value = 100
    assert scenario.content_hash() == Scenario().content_hash()
    assert json.dumps(scenario.to_dict()) == json.dumps(Scenario().to_dict())


def test_undecodable_json_files_are_validation_errors() -> None:
    """Nesting deeper than the parser's recursion limit and bytes that are not UTF-8 are
    bad files like any other, not a RecursionError or UnicodeDecodeError traceback."""
    for text in ("[" * 100_000 + "]" * 100_000, b"\xff\xfe{", b'{"name": "\xe9"}'):
        with pytest.raises(ValidationError) as err:
            Scenario.from_json(text)
        assert err.value.fields == ["file"]
        assert str(err.value).startswith("1 invalid value: file = '(not JSON)' (allowed: "
                                         "valid JSON (")


def test_huge_or_deeply_nested_bad_values_give_a_short_message() -> None:
    nested: list = []
    for _ in range(50_000):
        nested = [nested]
    for value, shown in ((list(range(1_000_000)), "[0, 1, 2, 3, 4, 5, 6, 7, ...]"),
                         (nested, "[[[[...]]]]"), ("x" * 10_000, "'xxxxxxxxxxxxxxxxxxxxxxxxxx"),
                         (10**5000, "<int too long to show>")):
        with pytest.raises(ValidationError) as err:
            EngineParams(alpha=value)
        message = str(err.value)
        assert message.startswith(f"1 invalid value: alpha = {shown}")
        assert message.endswith("(allowed: a finite number in [0, 5])")
        assert len(message) < 200


def test_original_export_reports_every_problem_at_once() -> None:
    """A malformed ``parameters`` block must not hide the bad signal configs (and vice
    versa): the user fixes the file in one round trip."""
    with pytest.raises(ValidationError) as err:
        Scenario.from_dict({"parameters": [], "results": {},
                            "signal_configs": {"Q": {"type": "constant"},
                                               "H": {"type": "wave"}}, "extra": 1})
    assert sorted(err.value.fields) == ["extra", "parameters", "signal_configs.H.type",
                                        "signal_configs.Q"]


@pytest.mark.parametrize("version", [True, 2, "1", None, 1.5])
def test_schema_version_must_be_exactly_the_current_one(version: object) -> None:
    with pytest.raises(ValidationError) as caught:
        Scenario.from_dict({"schema_version": version})
    assert caught.value.fields == ["schema_version"]
