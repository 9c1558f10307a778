"""Preset scenarios: named starting points that each show one behaviour of the model.

Why presets: a first visitor does not know which of thirty numbers to move to see the
controller at work. Each preset is a small change from the spec's defaults, chosen (and
checked by ``tests/models/test_presets.py`` with the engine) so that the run really shows
what its name says:

* ``steady``: issuance tuned to balance burn, decay and the floor at N*, so N stays
  within a fraction of a percent of its target for the whole run.
* ``shock``: the steady economy, then consumption doubles (C_cons 60 -> 120 at step 500):
  burn jumps, N falls, and the controller pulls it back.
* ``collapse``: controller off, burn three times stronger and no floor: N drains to 0.
* ``oscillating``: a controller dominated by its integral term, started far below the
  target: N swings around N* many times before settling.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from nexus_panel.models.scenario import Scenario
from nexus_panel.models.signals import Signal

STEADY_ALPHA = 0.77
"""Issuance gain at which, with the default inputs, I - B - kappa*N* + eta*F is about 0
(I = 66.672*alpha, B = 42.04, kappa*N* = 10, eta*F = 1: alpha = 51.04/66.672 = 0.766)."""


@dataclass(frozen=True)
class Preset:
    slug: str
    """Stable key (used in tests and the picker's values)."""
    title: str
    """What the picker shows."""
    description: str
    """One sentence: what to look for in the plots."""
    build: Callable[[], Scenario]
    """A fresh scenario with the preset's values (name = ``title``)."""

    def scenario(self) -> Scenario:
        return self.build()


def _steady() -> Scenario:
    scenario = Scenario(name="Steady state")
    scenario.params.alpha = STEADY_ALPHA
    return scenario


def _shock() -> Scenario:
    scenario = _steady()
    scenario.name = "Consumption shock"
    scenario.inputs.C_cons = Signal(kind="step", initial=60, final=120, step_at=500)
    return scenario


def _collapse() -> Scenario:
    scenario = Scenario(name="Collapse")
    params = scenario.params
    params.K_p = params.K_i = params.K_d = 0.0
    params.beta = 3.0
    params.eta = 0.0
    return scenario


def _oscillating() -> Scenario:
    scenario = Scenario(name="Oscillating controller")
    params = scenario.params
    params.K_p, params.K_i, params.K_d = 0.05, 0.1, 0.0
    params.N_initial = 600.0
    params.num_steps = 2000
    return scenario


PRESETS: dict[str, Preset] = {p.slug: p for p in (
    Preset("steady", "Steady state",
           "Inflows balance outflows at the target: N stays flat at N*.", _steady),
    Preset("shock", "Consumption shock",
           "Consumption doubles at t = 50: burn jumps, N dips and the controller "
           "brings it back.", _shock),
    Preset("collapse", "Collapse",
           "No controller, triple burn, no floor: N drains to zero.", _collapse),
    Preset("oscillating", "Oscillating controller",
           "An integral-heavy controller started at N = 600 overshoots again and "
           "again around N*.", _oscillating),
)}
"""Every preset, in the order the picker lists them."""
