"""Random scenarios inside the sliders' ranges, read from the declarations (softbounds,
else bounds; values on the slider's step grid), for the fixed-point vs float checks."""

from __future__ import annotations

import numpy as np
import param

from nexus_panel.models import INPUT_NAMES, KINDS, EngineParams, Inputs, Scenario, Signal


def _slider_value(p: param.Number, rng: np.random.Generator) -> float | int:
    lo, hi = p.softbounds or p.bounds
    lo = max(lo, p.bounds[0])  # a soft range may start below an open hard bound
    if isinstance(p, param.Integer):
        return int(rng.integers(lo, hi + 1))
    step = p.step or (hi - lo) / 100
    ticks = round((hi - lo) / step)
    value = round(lo + step * int(rng.integers(0, ticks + 1)), 9)
    return value if value > 0 or p.bounds[0] <= 0 else p.bounds[0]


def slider_signal(rng: np.random.Generator, num_steps: int) -> Signal:
    kind = KINDS[int(rng.integers(len(KINDS)))]
    values = {}
    for name in Signal.kind_params(kind):
        if name == "step_at":
            values[name] = int(rng.integers(0, num_steps))
        elif name != "pulse_width":
            values[name] = _slider_value(Signal.param[name], rng)
    if kind == "pulse":
        values["pulse_width"] = int(rng.integers(0, values["pulse_period"] + 1))
    return Signal(kind=kind, **values)


def slider_scenario(seed: int, num_steps: int = 10_000) -> Scenario:
    """Every parameter and signal drawn from its slider range; ``num_steps`` fixed."""
    rng = np.random.default_rng(seed)
    values = {n: _slider_value(EngineParams.param[n], rng) for n in EngineParams.names()}
    values["num_steps"] = num_steps
    inputs = Inputs(**{n: slider_signal(rng, num_steps) for n in INPUT_NAMES})
    return Scenario(name=f"slider {seed}", params=EngineParams(**values), inputs=inputs)
