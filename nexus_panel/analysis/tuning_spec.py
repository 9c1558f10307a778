"""What a tuning study is: the parameters to tune, the objectives, constraints, robustness.

Like every analysis spec, these ``param`` declarations are the single source of truth for
the Tune page's form, the JSON the CLI reads (``examples/tune.json``), what is stored with
the study, and validation (every bad field reported at once, naming it and what is
allowed). A study's *definition* (``DEFINING`` fields plus the scenario's content) is fixed
when it is created: running it again must use the same one, while the number of trials,
batch size, sampler seed and warm start may change between runs.
"""

from __future__ import annotations

from typing import Any, ClassVar

import param

from nexus_panel.analysis.distributions import ParameterDistribution
from nexus_panel.analysis.objectives import AGGREGATES, DOCS, OBJECTIVES, default_direction
from nexus_panel.analysis.sensitivity import ParameterRange
from nexus_panel.analysis.specs import (
    SpecBase,
    chunk_param,
    parameter_selector,
    scenario_param,
    task_memory_errors,
)
from nexus_panel.models import FieldError

SAMPLERS: tuple[str, ...] = ("auto", "tpe", "nsga2", "nsga3", "cmaes", "random")
MAX_TRIALS = 100_000
MAX_MEMBERS = 1024
MAX_BATCH = 4096
DEFINING: tuple[str, ...] = ("parameters", "objectives", "constraints", "members",
                             "aggregate", "level", "uncertain", "floor")
"""Fields that define a study: a run that continues a study must not change them."""


class TunedParameter(ParameterRange):
    """One engine parameter the study searches, and its range (a sensitivity range plus
    the search's log and whole-number flags)."""

    parameter = parameter_selector("K_p", "The engine parameter to tune.")
    log = param.Boolean(False, label="Log scale",
                        doc="Search on a log scale (needs low > 0).")
    integer = param.Boolean(False, label="Whole numbers",
                            doc="Try whole numbers only (low and high must be whole).")

    def to_dict(self) -> dict[str, Any]:
        return {k: getattr(self, k) for k in self.field_names()}

    def interval(self) -> tuple[float, float]:
        """The search range with the slider's ends filled in (a log range that would
        start at 0 starts one slider step above it)."""
        lo, hi = super().interval()
        if self.log and self.low is None and lo <= 0:
            lo = _slider_step(self.parameter)
        return float(lo), float(hi)

    def _cross_errors(self) -> list[FieldError]:
        lo, hi = self.interval()
        out = super()._cross_errors()
        if self.log and lo <= 0:
            out.append(FieldError("low", lo, "greater than 0 on a log scale"))
        if self.integer:
            out += [FieldError(k, v, "a whole number (integer search)")
                    for k, v in (("low", lo), ("high", hi)) if not float(v).is_integer()]
        return out


def _slider_step(name: str) -> float:
    from nexus_panel.models import EngineParams

    return float(EngineParams.param[name].step or 0.01)


class Objective(SpecBase):
    """One figure to optimise, and which way."""

    metric = param.Selector(default="rms_error", objects=list(OBJECTIVES), label="Objective",
                            doc="The figure to optimise: " + "; ".join(
                                f"{k}: {v}" for k, v in DOCS.items()) + ".")
    direction = param.Selector(default="auto", objects=["auto", "minimize", "maximize"],
                               label="Direction",
                               doc="minimize or maximize; auto = the figure's natural "
                                   "direction (up for min_S and min_N, else down).")

    def to_dict(self) -> dict[str, Any]:
        return {"metric": self.metric, "direction": self.direction}

    def resolved_direction(self) -> str:
        return default_direction(self.metric) if self.direction == "auto" else self.direction


class Constraint(SpecBase):
    """A bound a trial must respect to count (e.g. overshoot_pct <= 5)."""

    metric = param.Selector(default="overshoot_pct", objects=list(OBJECTIVES),
                            label="Constrained figure", doc="The figure to bound.")
    op = param.Selector(default="<=", objects=["<=", ">="], label="Must be",
                        doc="<= (at most) or >= (at least) the bound.")
    bound = param.Number(5.0, bounds=(-1e12, 1e12), label="Bound",
                         doc="The bound, in the figure's own units (overshoot_pct in %).")

    def to_dict(self) -> dict[str, Any]:
        return {"metric": self.metric, "op": self.op, "bound": self.bound}

    def text(self) -> str:
        return f"{self.metric} {self.op} {self.bound:g}"

    def violation(self, value: Any) -> Any:
        """How far ``value`` is past the bound (≤ 0: satisfied), Optuna's convention."""
        return value - self.bound if self.op == "<=" else self.bound - value


class TuningSpec(SpecBase):
    """A tuning study: search ranges, objectives, constraints, robustness and sampler."""

    _items: ClassVar[dict[str, type[SpecBase]]] = {
        "parameters": TunedParameter, "objectives": Objective, "constraints": Constraint,
        "uncertain": ParameterDistribution}

    scenario = scenario_param()
    parameters = param.List(default=[], item_type=TunedParameter, precedence=-1,
                            doc="The engine parameters to tune, with their ranges.")
    objectives = param.List(default=[], item_type=Objective, precedence=-1,
                            doc="One objective (single-objective study) or several (a "
                                "Pareto front).")
    constraints = param.List(default=[], item_type=Constraint, precedence=-1,
                             doc="Bounds a trial must respect (Optuna's constraints).")
    uncertain = param.List(default=[], item_type=ParameterDistribution, precedence=-1,
                           doc="Robust mode: parameters drawn per ensemble member, as in "
                               "Monte Carlo.")
    n_trials = param.Integer(100, bounds=(1, MAX_TRIALS), label="Trials",
                             doc=f"Trials to add in this run (at most {MAX_TRIALS:,}).")
    sampler = param.Selector(default="auto", objects=list(SAMPLERS), label="Sampler",
                             doc="tpe (one objective), nsga2/nsga3 (several), cmaes (one "
                                 "objective, no constraints, 2+ parameters), random; auto = "
                                 "tpe for one objective, nsga2 for several.")
    seed = param.Integer(2024, bounds=(0, 2**32 - 1), label="Seed",
                         doc="Seeds the sampler and every random draw: the same seed gives "
                             "the same study, on threads or a Dask cluster.")
    batch_size = param.Integer(64, bounds=(2, MAX_BATCH), label="Batch size (trials)",
                               doc="Trials asked together and run as one batch; NSGA's "
                                   "population size.")
    members = param.Integer(1, bounds=(1, MAX_MEMBERS), label="Ensemble members (K)",
                            doc="Robust mode: each trial runs on K seeded members (random "
                                "inputs reseeded, uncertain parameters drawn); 1 = plain.")
    aggregate = param.Selector(default="mean", objects=list(AGGREGATES), label="Aggregate",
                               doc="How K member values fold into one: mean, quantile (at "
                                   "level, on the bad side) or cvar (mean of the worst "
                                   "1 - level share).")
    level = param.Number(0.9, bounds=(0.5, 0.999), step=0.01, label="Level",
                         doc="Quantile level or CVaR level of the aggregate.")
    floor = param.Number(None, allow_None=True, bounds=(0, 1e12), label="Floor of N",
                         doc="Level of N for time_below_floor; empty = half of N_target.")
    warm_start = param.String(default="", label="Warm start from study",
                              doc="Name of another study whose best trials are tried first "
                                  "(their tuned values, clipped to these ranges).")
    warm_start_trials = param.Integer(8, bounds=(1, 1000), label="Warm-start trials",
                                      doc="How many of that study's best trials to try.")
    chunk_size = chunk_param()

    # --- derived -------------------------------------------------------------------------
    def directions(self) -> list[str]:
        return [o.resolved_direction() for o in self.objectives]

    def sampler_name(self) -> str:
        if self.sampler != "auto":
            return self.sampler
        return "tpe" if len(self.objectives) == 1 else "nsga2"

    def figures(self) -> list[str]:
        """Every figure the evaluator must compute (objectives, then constraints)."""
        out: list[str] = []
        for name in [o.metric for o in self.objectives] + [c.metric for c in self.constraints]:
            if name not in out:
                out.append(name)
        return out

    def floor_value(self) -> float:
        return self.base_scenario.params.N_target / 2 if self.floor is None else self.floor

    def definition(self) -> dict[str, Any]:
        """What fixes a study (DEFINING fields, canonical JSON form)."""
        data = self.to_dict()
        return {k: data[k] for k in DEFINING}

    # --- validation ----------------------------------------------------------------------
    def _cross_errors(self) -> list[FieldError]:
        out: list[FieldError] = []
        for field, items, key, what in (
                ("parameters", self.parameters, "parameter", "engine parameter to tune "
                                                             "(e.g. K_p)"),
                ("objectives", self.objectives, "metric", "objective (e.g. rms_error)")):
            if not items:
                out.append(FieldError(field, [], f"at least one {what}"))
            out += _duplicates(field, [getattr(i, key) for i in items], key)
        out += _duplicates("uncertain", [d.parameter for d in self.uncertain], "parameter")
        tuned = {p.parameter for p in self.parameters}
        params = self.base_scenario.params
        for i, dist in enumerate(self.uncertain):
            if dist.parameter in tuned:
                out.append(FieldError(f"uncertain[{i}].parameter", dist.parameter,
                                      "a parameter that is not also tuned"))
            out += [FieldError(f"uncertain[{i}].{e.field}", e.value, e.allowed)
                    for e in dist.check(float(getattr(params, dist.parameter)))]
        out += self._sampler_errors()
        steps = params.num_steps
        out += task_memory_errors("a tuning study", steps,
                                  min(self.chunk_size, self.batch_size * self.members))
        if self.warm_start and len(self.warm_start) > 200:
            out.append(FieldError("warm_start", self.warm_start[:40] + "...",
                                  "a study name of at most 200 characters"))
        return out

    def _sampler_errors(self) -> list[FieldError]:
        name = self.sampler_name()
        if name != "cmaes":
            return []
        out = []
        if len(self.objectives) > 1:
            out.append(FieldError("sampler", "cmaes", "tpe, nsga2, nsga3 or random for "
                                                      "several objectives"))
        if self.constraints:
            out.append(FieldError("sampler", "cmaes", "tpe, nsga2, nsga3 or random with "
                                                      "constraints (CMA-ES has none)"))
        if len(self.parameters) < 2:
            out.append(FieldError("sampler", "cmaes", "tpe or random for one parameter "
                                                      "(CMA-ES needs at least 2)"))
        if any(p.integer for p in self.parameters):
            out.append(FieldError("sampler", "cmaes", "tpe, nsga2 or random with whole-"
                                                      "number parameters"))
        return out


def _duplicates(field: str, names: list[str], key: str) -> list[FieldError]:
    seen: set[str] = set()
    out = []
    for i, name in enumerate(names):
        if name in seen:
            out.append(FieldError(f"{field}[{i}].{key}", name, "one not already in the list"))
        seen.add(name)
    return out

