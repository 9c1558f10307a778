"""The analyses by their CLI/page name: spec class, runner, title.

One table, read by the CLI (``nexus-panel mc|sensitivity|stability|controller``), the
benchmarks and the pages, so adding an analysis is one line here.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from nexus_panel.analysis.controller import ControllerSpec, run_controller
from nexus_panel.analysis.montecarlo import MonteCarloSpec, run_monte_carlo
from nexus_panel.analysis.sensitivity import SensitivitySpec, run_sensitivity
from nexus_panel.analysis.specs import SpecBase
from nexus_panel.analysis.stability import StabilitySpec, run_stability


@dataclass(frozen=True)
class Analysis:
    name: str
    title: str
    spec: type[SpecBase]
    run: Callable[..., Any]
    batched: bool
    """Whether ``run`` takes executor/progress/cancel (runs a batch in chunks)."""


ANALYSES: dict[str, Analysis] = {
    a.name: a for a in (
        Analysis("mc", "Monte Carlo", MonteCarloSpec, run_monte_carlo, True),
        Analysis("sensitivity", "Sensitivity", SensitivitySpec, run_sensitivity, True),
        Analysis("stability", "Stability map", StabilitySpec, run_stability, True),
        Analysis("controller", "Controller", ControllerSpec, run_controller, False),
    )
}
