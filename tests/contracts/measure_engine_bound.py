"""Measure how far the fixed-point reference is from the float engine across the sliders.

    .venv/bin/python tests/contracts/measure_engine_bound.py [SCENARIOS] [STEPS]

Draws SCENARIOS (default 1000) random scenarios from the sliders' ranges
(slider_scenarios.py, seeds 0..SCENARIOS-1) with STEPS steps (default 10,000) and prints,
for N, S, I, B and Phi, the largest distance in the documented norm
max |fixed - float| / max(1, max |float|) and in a per-step norm
max |fixed - float| / max(1, |float|), with the seed where each occurred.
docs/contracts.md quotes its output.
"""

from __future__ import annotations

import sys
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).parent))

from slider_scenarios import slider_scenario

from nexus_panel import simulate
from nexus_panel.contracts.fixedpoint import to_float_array
from nexus_panel.contracts.reference import fixed_scenario, run

SERIES = ("N", "S", "I", "B", "Phi")


def main(count: int, steps: int) -> None:
    worst = {(name, norm): (0.0, -1) for name in SERIES for norm in ("run", "step")}
    clamps = saturated = 0
    start = time.perf_counter()
    for seed in range(count):
        scenario = slider_scenario(seed, num_steps=steps)
        fp, inputs = fixed_scenario(scenario)
        fixed = run(fp, inputs)
        result = simulate(scenario)
        clamps += bool(sum(fixed.clamped))
        saturated += result.summary["phi_saturated_fraction"] > 0
        for name in SERIES:
            ours = to_float_array(fixed.N if name == "N" else getattr(fixed, name))
            theirs = result.frame[name].to_numpy()[:len(ours)]
            gap = np.abs(ours - theirs)
            for norm, value in (
                    ("run", float(gap.max() / max(1.0, np.abs(theirs).max()))),
                    ("step", float(np.max(gap / np.maximum(1.0, np.abs(theirs)))))):
                if value > worst[name, norm][0]:
                    worst[name, norm] = (value, seed)
    print(f"{count} slider scenarios x {steps:,} steps in {time.perf_counter() - start:.0f} s; "
          f"{clamps} with clamp events, {saturated} with Phi at its limit")
    print(f"{'series':6}  {'per run (documented)':>24}  {'per step':>24}")
    for name in SERIES:
        run_value, run_seed = worst[name, "run"]
        step_value, step_seed = worst[name, "step"]
        print(f"{name:6}  {run_value:14.3g} (seed {run_seed:4})  "
              f"{step_value:14.3g} (seed {step_seed:4})")


if __name__ == "__main__":
    main(*(int(a) for a in sys.argv[1:3]))
