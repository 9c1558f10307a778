"""The analyses by their CLI/page name: spec class, runner, result class, title.

One table, read by the CLI (``nexus-panel mc|sensitivity|stability|controller``), the
benchmarks, the pages and the saved analyses (``kind`` is the name stored in the
database and equals the page's URL slug), so adding an analysis is one line here.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from nexus_panel.analysis.controller import ControllerResult, ControllerSpec, run_controller
from nexus_panel.analysis.montecarlo import MonteCarloResult, MonteCarloSpec, run_monte_carlo
from nexus_panel.analysis.network import NetworkResult, run_network
from nexus_panel.analysis.network_spec import NetworkSpec
from nexus_panel.analysis.sensitivity import (
    SensitivityResult,
    SensitivitySpec,
    run_sensitivity,
)
from nexus_panel.analysis.specs import SpecBase
from nexus_panel.analysis.stability import StabilityResult, StabilitySpec, run_stability
from nexus_panel.models import FieldError, Scenario, ValidationError


@dataclass(frozen=True)
class Analysis:
    name: str
    title: str
    spec: type[SpecBase]
    run: Callable[..., Any]
    batched: bool
    """Whether ``run`` takes executor/progress/cancel (runs a batch in chunks)."""
    kind: str
    """Name of a saved analysis of this type (database column ``analyses.kind``)."""
    result: Any
    """The result class (``to_dict``, ``arrays``, ``from_dict``)."""


ANALYSES: dict[str, Analysis] = {
    a.name: a for a in (
        Analysis("mc", "Monte Carlo", MonteCarloSpec, run_monte_carlo, True, "montecarlo",
                 MonteCarloResult),
        Analysis("sensitivity", "Sensitivity", SensitivitySpec, run_sensitivity, True,
                 "sensitivity", SensitivityResult),
        Analysis("stability", "Stability map", StabilitySpec, run_stability, True,
                 "stability", StabilityResult),
        Analysis("controller", "Controller", ControllerSpec, run_controller, False,
                 "controller", ControllerResult),
        Analysis("network", "Network", NetworkSpec, run_network, True, "network",
                 NetworkResult),
    )
}
BY_KIND: dict[str, Analysis] = {a.kind: a for a in ANALYSES.values()}


def by_kind(kind: str) -> Analysis:
    """The analysis saved under ``kind`` (ValidationError naming the allowed kinds)."""
    if kind not in BY_KIND:
        raise ValidationError([FieldError("kind", kind, "one of " + ", ".join(BY_KIND))])
    return BY_KIND[kind]


def kind_of(result: Any) -> str:
    """The saved-analysis kind of a result object."""
    for entry in ANALYSES.values():
        if isinstance(result, entry.result):
            return entry.kind
    titles = ", ".join(a.title for a in ANALYSES.values())
    raise ValidationError([FieldError("result", type(result).__name__,
                                      f"the result of an analysis ({titles})")])


def restore_result(scenario: Scenario, spec: dict[str, Any], results: dict[str, Any]) -> Any:
    """Rebuild a saved analysis result without running it: ``spec`` (without its
    scenario) on ``scenario``, numbers from ``results`` (``to_dict()`` without the spec,
    plus ``"arrays"``), as ``ScenarioStore.load_analysis`` returns them."""
    name = results.get("analysis")
    if name not in ANALYSES:
        raise ValidationError([FieldError("analysis", name, "one of " + ", ".join(ANALYSES))])
    entry = ANALYSES[name]
    spec_obj = entry.spec.from_dict({**spec, "scenario": scenario.to_dict()})
    data = {k: v for k, v in results.items() if k != "arrays"}
    try:
        return entry.result.from_dict(data, spec_obj, results.get("arrays", {}))
    except ValidationError:
        raise
    except (KeyError, TypeError, ValueError, IndexError) as exc:  # incomplete or damaged
        raise ValidationError([FieldError("results", f"{type(exc).__name__}: {exc}",
                                          f"a complete saved {entry.title} result")]
                              ) from None
