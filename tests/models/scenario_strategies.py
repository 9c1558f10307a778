"""Hypothesis strategies for scenarios, built from the parameter declarations themselves
(so a new parameter or signal kind is covered without touching the tests)."""

from __future__ import annotations

import math
from typing import Any

import param
from hypothesis import strategies as st

from nexus_panel.models import INPUT_NAMES, KINDS, EngineParams, Signal
from nexus_panel.models import text as text_rules
from nexus_panel.models.declared import field_names


def valid_number(p: param.Number) -> st.SearchStrategy[Any]:
    lo, hi = p.bounds
    if isinstance(p, param.Integer):
        return st.integers(lo, hi)
    inc_lo, inc_hi = p.inclusive_bounds
    return st.floats(lo, hi, exclude_min=not inc_lo, exclude_max=not inc_hi,
                     allow_nan=False, allow_infinity=False)


def invalid_number(p: param.Number) -> st.SearchStrategy[Any]:
    """Values ``p`` must refuse: non-finite, out of bounds, wrong type, fractional ints."""
    lo, hi = p.bounds
    options = [st.sampled_from([math.nan, math.inf, -math.inf, "12", True, [1.0],
                                10**400, -(10**400)])]  # ints beyond float range: JSON has them
    span = st.floats(1e-6, 10.0)
    if lo is not None:
        options.append(span.map(lambda u: lo - max(1.0, abs(lo)) * u))
    if hi is not None:
        options.append(span.map(lambda u: hi + max(1.0, abs(hi)) * u))
    if isinstance(p, param.Integer):
        # (kept below 2**40 so that v + 0.5 is still fractional as a float)
        options.append(st.integers(lo, min(hi - 1, 2**40)).map(lambda v: v + 0.5))
    if not p.allow_None:
        options.append(st.none())
    return st.one_of(options)


def engine_params(max_steps: int = 60) -> st.SearchStrategy[dict[str, Any]]:
    fields = {n: valid_number(EngineParams.param[n]) for n in EngineParams.names()}
    fields["num_steps"] = st.integers(1, max_steps)
    return st.fixed_dictionaries(fields)


@st.composite
def signal_dicts(draw: st.DrawFn, max_steps: int = 60) -> dict[str, Any]:
    kind = draw(st.sampled_from(KINDS))
    out: dict[str, Any] = {"kind": kind}
    for name in Signal.kind_params(kind):
        p = Signal.param[name]
        if name == "step_at":
            out[name] = draw(st.none() | st.integers(0, max_steps + 5))
        elif name == "pulse_period":
            out[name] = draw(st.integers(1, max_steps + 5))
        elif name == "pulse_width":
            continue  # drawn below, never wider than the period
        else:
            out[name] = draw(valid_number(p))
    if kind == "pulse":
        out["pulse_width"] = draw(st.integers(0, out["pulse_period"]))
    return out


def scenario_dicts(max_steps: int = 60) -> st.SearchStrategy[dict[str, Any]]:
    return st.fixed_dictionaries({
        # any text the rule accepts (models/text.py; refusals: tests/models/test_text_rules)
        "name": st.text(max_size=20).filter(text_rules.NAME.accepts),
        "description": st.text(max_size=40).filter(text_rules.DESCRIPTION.accepts),
        "params": engine_params(max_steps),
        "inputs": st.fixed_dictionaries({n: signal_dicts(max_steps) for n in INPUT_NAMES}),
    })


def json_values() -> st.SearchStrategy[Any]:
    """Any JSON document, NaN and infinities included (Python's json reads them)."""
    scalars = (st.none() | st.booleans() | st.integers() | st.floats() | st.text(max_size=8)
               | st.sampled_from([10**400, "constant", "pulse", "random_walk"]))
    return st.recursive(scalars, lambda inner: st.lists(inner, max_size=4)
                        | st.dictionaries(st.text(max_size=6), inner, max_size=4),
                        max_leaves=12)


def hostile_scenario_dicts() -> st.SearchStrategy[dict[str, Any]]:
    """Scenario-shaped documents whose keys are mostly right and whose values are junk."""
    junk = json_values()
    signal_keys = st.sampled_from(["kind", *field_names(Signal)])
    signal = st.dictionaries(signal_keys, junk, max_size=5) | junk
    return st.fixed_dictionaries({}, optional={
        "schema_version": junk, "name": junk, "description": junk,
        "params": st.dictionaries(st.sampled_from(EngineParams.names()) | st.text(max_size=4),
                                  junk, max_size=5) | junk,
        "inputs": st.dictionaries(st.sampled_from(INPUT_NAMES) | st.text(max_size=3), signal,
                                  max_size=4) | junk,
        "parameters": junk, "signal_configs": st.dictionaries(
            st.sampled_from(INPUT_NAMES), signal, max_size=3) | junk,
    })
