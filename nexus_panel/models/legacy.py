"""Import of the original NexusOS Streamlit app's JSON export.

That file is ``{"parameters": {...}, "signal_configs": {"H": {"type": ..., ...}},
"results": {...}}``. Its parameter keys are ours; its signal configs say ``type`` where we
say ``kind``. The ``results`` block is ignored (we recompute, with the corrected time
axis). Unlike the original, an unknown signal type is an error, not a silent constant 100.
"""

from __future__ import annotations

from typing import Any

from nexus_panel.models.errors import FieldError, ValidationError

PARAMS_KEY = "parameters"
SIGNALS_KEY = "signal_configs"
RESULTS_KEY = "results"
LEGACY_KEYS: tuple[str, ...] = (PARAMS_KEY, SIGNALS_KEY, RESULTS_KEY)
"""The top-level keys of the original export, the only ones it may have."""
KIND_KEY = "type"
"""What the original calls a signal's ``kind``."""


def is_original_export(data: Any) -> bool:
    """Whether ``data`` is the original app's export rather than our scenario form."""
    return isinstance(data, dict) and bool(data.keys() & {PARAMS_KEY, SIGNALS_KEY})


def from_original_export(data: dict[str, Any]) -> Any:
    from nexus_panel.models.scenario import Scenario

    errors = [FieldError(k, "…", " or ".join((", ".join(LEGACY_KEYS[:-1]), LEGACY_KEYS[-1])))
              for k in data if k not in LEGACY_KEYS]
    params = data.get(PARAMS_KEY, {})
    configs = data.get(SIGNALS_KEY, {})
    if not isinstance(params, dict):
        errors.append(FieldError(PARAMS_KEY, params, "an object of parameter values"))
        params = {}
    if not isinstance(configs, dict):
        errors.append(FieldError(SIGNALS_KEY, configs, "an object of signal configs"))
        configs = {}
    inputs: dict[str, Any] = {}
    for name, config in configs.items():
        if not isinstance(config, dict):
            inputs[name] = config  # Inputs.from_dict reports it with the input's name
            continue
        spec = {k: v for k, v in config.items() if k != KIND_KEY}
        spec["kind"] = config.get(KIND_KEY, "constant")
        inputs[name] = spec
    try:
        scenario = Scenario.from_dict({"name": "Imported", "params": params, "inputs": inputs,
                                       "description": "Imported from the original app's "
                                                      "export."})
    except ValidationError as exc:  # reported with the rest: every problem at once
        errors += [FieldError(_original_field(e.field), e.value, e.allowed)
                   for e in exc.errors]
    if errors:
        raise ValidationError(errors)
    return scenario


def _original_field(field: str) -> str:
    """Our dotted field name as the original file spells it (its ``type`` is our ``kind``)."""
    if field.startswith("params."):
        return f"{PARAMS_KEY}." + field.removeprefix("params.")
    if field.startswith("inputs."):
        field = f"{SIGNALS_KEY}." + field.removeprefix("inputs.")
        if field.endswith(".kind"):
            field = field.removesuffix(".kind") + f".{KIND_KEY}"
    return field
