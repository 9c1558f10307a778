"""A live run's stored history as an ordinary run result (frame, summary, warnings).

The history holds one frame row per step done; the checkpoint holds the kernel's state
after the last one. ``kernel.finish`` turns that state into the frame's final row and the
summary figures exactly as a batch run does, so the result reads, plots, exports and
imports like any run (``nexus-panel live export``, then ``nexus-panel import``).
"""

from __future__ import annotations

import numpy as np

from nexus_panel.engine.kernel import COLUMNS, STATE_SIZE, SUMMARY_FIELDS, finish
from nexus_panel.engine.result import SimulationResult, make_frame, summary_dict
from nexus_panel.engine.simulate import ENGINE_VERSION, param_vector
from nexus_panel.models import Scenario
from nexus_panel.storage.errors import NotFoundError
from nexus_panel.storage.live_runs import LiveStore


def live_result(live: LiveStore, name: str) -> SimulationResult:
    """Run ``name``'s history so far as a SimulationResult of its scenario, with
    ``num_steps`` set to the steps done (the inputs it read are in the frame)."""
    info = live.get(name)
    scenario = Scenario.from_dict(info.scenario)
    rows = live.history(name)
    state = np.asarray(info.state.get("kernel", []), dtype=np.float64)
    if rows.shape[0] == 0 or state.shape != (STATE_SIZE,):
        raise NotFoundError(f"live run {name!r} has no stored steps yet")
    p = param_vector(scenario.params)
    values = np.empty((rows.shape[0] + 1, len(COLUMNS)))
    values[:-1] = rows
    summary = np.empty(len(SUMMARY_FIELDS))
    finish(p, state, values[-1], summary)
    kept = scenario.copy(name=f"live {info.name}"[:200])
    kept.params.num_steps = rows.shape[0]
    kept.description = (f"History of live run {info.name!r} ({info.status} at step "
                        f"{info.step:,} of {info.max_steps:,}, "
                        f"{info.steps_per_second:g} steps/s); the inputs it read are the "
                        "frame's input columns.")
    return SimulationResult(scenario=kept, frame=make_frame(np.asfortranarray(values)),
                            summary=summary_dict(summary),
                            warnings=[f"live run: {info.status} at step {info.step:,}"],
                            engine_version=ENGINE_VERSION, content_hash=kept.content_hash())


def save_live_run(live: LiveStore, name: str) -> tuple[str, int]:
    """Store run ``name``'s history so far as scenario ``live NAME`` with its run (a new
    revision per save); returns the scenario's name and revision, which open it on
    Simulate (``?scenario=...&rev=...``), Compare and the Scenarios page."""
    result = live_result(live, name)
    info = live.get(name)
    record = live.store.save(result.scenario, message=f"history of live run {name!r} at "
                             f"step {info.step:,} ({info.status})", run=result)
    return result.scenario.name, record.number
