"""``simulate(scenario)``: validate, generate the inputs, run the kernel, wrap the result."""

from __future__ import annotations

from importlib.metadata import PackageNotFoundError, version

import numpy as np

from nexus_panel.engine.kernel import COLUMNS, PARAM_ORDER, SUMMARY_FIELDS, run_one
from nexus_panel.engine.result import SimulationResult, make_frame, summary_dict
from nexus_panel.models import EngineParams, Inputs, Scenario, Signal

ENGINE_VERSION = "1"
"""Bump whenever a change to the kernel or signal generation can change any number:
it is part of every memo key and is recorded with every stored run."""


def package_version() -> str:
    try:
        return version("nexus_panel")
    except PackageNotFoundError:  # pragma: no cover - running from a source tree
        return "0+unknown"


def param_vector(params: EngineParams) -> np.ndarray:
    """The parameters as the float64 vector the kernels read (PARAM_ORDER)."""
    return np.array([getattr(params, n) for n in PARAM_ORDER], dtype=np.float64)


CACHED_INPUT_STEPS = 100_000
"""Runs up to this long keep their input arrays on the scenario (at most 4.8 MB) until
an edit; longer ones regenerate them rather than hold them."""


def run_inputs(scenario: Scenario) -> tuple[np.ndarray, np.ndarray, list[str]]:
    """The parameter vector, the (6, n) inputs and their domain warnings (clipped E, a
    walk held at 0). Cached on the scenario until one of its values changes."""
    def compute() -> tuple[np.ndarray, np.ndarray, list[str]]:
        params = scenario.params
        inputs, notes = scenario.inputs.arrays_and_notes(params.num_steps, params.delta_t)
        inputs.flags.writeable = False  # shared by every run until the next edit
        return param_vector(params), inputs, notes + scenario.inputs.domain_warnings(inputs)

    if scenario.params.num_steps > CACHED_INPUT_STEPS:
        return compute()
    return scenario.derived("run_inputs", compute)


def simulate(scenario: Scenario) -> SimulationResult:
    """Run one scenario and return its full result.

    Raises :class:`nexus_panel.ValidationError` (naming every bad field) before any work.
    """
    warnings = scenario.validate()
    params = scenario.params
    vector, inputs, input_warnings = run_inputs(scenario)
    out = np.empty((params.num_steps + 1, len(COLUMNS)), dtype=np.float64, order="F")
    summary = np.empty(len(SUMMARY_FIELDS))
    run_one(vector, inputs, out, summary)
    figures = summary_dict(summary)
    warnings += input_warnings + run_warnings(params, figures)
    return SimulationResult(scenario=scenario, frame=make_frame(out), summary=figures,
                            warnings=warnings, engine_version=ENGINE_VERSION,
                            content_hash=scenario.content_hash())


def run_warnings(params: EngineParams, figures: dict[str, float]) -> list[str]:
    """What a run's summary figures tell the user to look at (clamps, saturation)."""
    out = []
    if figures["clamp_events"]:
        out.append(f"N hit zero and was clamped {int(figures['clamp_events'])} times "
                   f"(total top-up {figures['clamp_total']:.6g}).")
    if figures["phi_saturated_fraction"] > 0:
        out.append(f"The controller output Φ was at its ±{params.phi_limit:g} limit in "
                   f"{figures['phi_saturated_fraction']:.1%} of steps.")
    return out


def warm_up() -> None:
    """Compile (or load from the on-disk cache) every kernel, so no user waits for it."""
    from nexus_panel.engine.batch import run_batch

    simulate(Scenario(params=EngineParams(num_steps=2)))
    run_batch(Scenario(params=EngineParams(num_steps=2)), n_runs=2, keep_trajectories=True)
    walk = Scenario(params=EngineParams(num_steps=2), inputs=Inputs(H=Signal(kind="random_walk")))
    for keep in (False, True):  # the per-run-input kernel and the seeding kernels
        run_batch(walk, n_runs=2, master_seed=0, keep_trajectories=keep)
