"""The analyses, declared once: name, spec class, runner, result class, view, intro.

One table, from which the CLI subcommands (``nexus-panel montecarlo|sensitivity|...``),
the analysis pages and their URL slugs, the kinds the store accepts and the benchmarks
are all derived; each analysis has ONE name for all of them (``mc`` survives only as a
CLI alias of ``montecarlo`` so old scripts keep working). Adding an analysis is its
module, its view and one entry here; tests/analysis/test_registry_derived.py fails when
an entry does not reach the pages, the CLI or the store.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Protocol, runtime_checkable

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


@runtime_checkable
class AnalysisResult(Protocol):
    """What every analysis result offers, so callers never guess with ``getattr``.

    (``n_runs``, not ``runs``: Monte Carlo's and the network's ``runs`` are their
    per-run tables.)
    """

    spec: Any
    seconds: float
    """Wall time of the analysis."""

    @property
    def n_runs(self) -> int:
        """How many simulations it took."""

    def report(self) -> str:
        """A plain-text summary (what the CLI prints)."""

    def table(self) -> Any:
        """The main result table as a pandas DataFrame (what the pages let you download)."""

    def to_dict(self) -> dict[str, Any]:
        """The JSON document, ``"analysis"`` naming it."""

    def arrays(self) -> dict[str, Any]:
        """Per-run data kept exactly beside the JSON."""


@dataclass(frozen=True)
class Analysis:
    """Everything the app derives for one analysis, declared once.

    ``name`` is the one name of the analysis everywhere: the CLI subcommand
    (``nexus-panel <name> SPEC.json``), the page's URL slug (``/<name>``), the ``kind``
    stored with a saved analysis and the ``"analysis"`` key of its result document.
    """

    name: str
    title: str
    spec: type[SpecBase]
    run: Callable[..., Any]
    batched: bool
    """Whether ``run`` takes executor/progress/cancel (runs a batch in chunks)."""
    result: Any
    """The result class (``to_dict``, ``arrays``, ``from_dict``, ``runs``, ``seconds``,
    ``summary``)."""
    view: str
    """``"module:Class"`` of the page's view (imported only by the web app: the analysis
    layer never imports panel)."""
    about: str
    """What the analysis is for, in two sentences: the CLI help and the page's intro."""
    aliases: tuple[str, ...] = ()
    """Older names still accepted (CLI subcommands, stored result documents)."""
    command: str | None = None
    """Module registering a dedicated CLI subcommand ``name``; None: the generic
    ``nexus-panel <name> SPEC.json`` of ``nexus_panel.commands.analysis``."""

    @property
    def kind(self) -> str:
        """Name of a saved analysis of this type (database column ``analyses.kind``)."""
        return self.name

    @property
    def slug(self) -> str:
        """The page's URL path segment."""
        return self.name


ANALYSES: dict[str, Analysis] = {
    a.name: a for a in (
        Analysis("montecarlo", "Monte Carlo", MonteCarloSpec, run_monte_carlo, True,
                 MonteCarloResult, "nexus_panel.views.analysis_mc:MonteCarloView",
                 "Runs the scenario many times with uncertain parameters drawn from their "
                 "distributions. Shows how widely N(t) and the run metrics spread: "
                 "percentile bands, histograms and statistics.",
                 aliases=("mc",)),
        Analysis("sensitivity", "Sensitivity", SensitivitySpec, run_sensitivity, True,
                 SensitivityResult, "nexus_panel.views.analysis_sensitivity:SensitivityView",
                 "Ranks the parameters by how much each one moves the run metrics "
                 "(Sobol, Morris or one at a time). Use it to find the few parameters "
                 "worth tuning or measuring better."),
        Analysis("stability", "Stability", StabilitySpec, run_stability, True,
                 StabilityResult, "nexus_panel.views.analysis_stability:StabilityView",
                 "Maps the response of N over a grid of two parameters. Shows where the "
                 "economy settles, oscillates or runs away, and how fast it settles."),
        Analysis("controller", "Controller", ControllerSpec, run_controller, False,
                 ControllerResult, "nexus_panel.views.analysis_controller:ControllerView",
                 "Compares the response of N to a shock for one or more PID gain sets. "
                 "Rise time, overshoot and settling time say which gains damp the shock "
                 "best."),
        Analysis("network", "Network", NetworkSpec, run_network, True, NetworkResult,
                 "nexus_panel.views.analysis_network:NetworkView",
                 "Simulates heterogeneous agents on a graph instead of one aggregate "
                 "token holder. Shows the aggregates, inequality (Gini) and communities.",
                 command="nexus_panel.commands.network"),
    )
}
BY_KIND: dict[str, Analysis] = {a.kind: a for a in ANALYSES.values()}
BY_ALIAS: dict[str, Analysis] = {alias: a for a in ANALYSES.values() for alias in a.aliases}


def lookup(name: Any, field: str = "analysis") -> Analysis:
    """The analysis called ``name`` or one of its aliases (ValidationError naming
    ``field`` and the allowed names)."""
    if isinstance(name, str) and name in ANALYSES:
        return ANALYSES[name]
    if isinstance(name, str) and name in BY_ALIAS:
        return BY_ALIAS[name]
    raise ValidationError([FieldError(field, name, "one of " + ", ".join(ANALYSES))])


def by_kind(kind: str) -> Analysis:
    """The analysis saved under ``kind`` (ValidationError naming the allowed kinds)."""
    if kind not in BY_KIND:  # stored kinds are canonical names: no aliases here
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
    entry = lookup(results.get("analysis"))  # documents from before "mc" was renamed too
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
