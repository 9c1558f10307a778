"""Tuning studies on Optuna: ask a batch of trials, run them as one batch, tell, persist.

How a run goes (:func:`run_tuning`):

1. The study's trials are copied into an in-memory Optuna study, the *working copy*, which
   the sampler reads. Sampling straight from the database storage costs Optuna a dozen SQL
   round trips per trial (docs/benchmarks.md), so the database is written, not read, in
   the loop.
2. For every batch: a sampler seeded from (seed, trials so far) is set on the working copy
   (so a study is reproducible, and a resumed study continues deterministically), n
   trials are asked with the spec's distributions, all n x K runs go through the batch
   kernel at once (:mod:`nexus_panel.analysis.tuning_eval`), the folded values are told,
   and the finished trials are added to the study (``Study.add_trials``: each trial is
   written whole in one transaction, so an interruption, even ``kill -9``, leaves only
   complete trials, and running again continues the count).
3. A trial whose objective is NaN (e.g. overshoot with N_target = 0) is told as FAIL.
   Constraint violations (≤ 0: satisfied) are set with ``Trial.set_constraint`` (keys
   c0, c1 ... in the spec's order), which TPE and NSGA read; feasibility, the best trial
   and the Pareto front are computed here from them, the same way for every sampler.

Warm start: before the first trial of an empty study, the best trials of another study
are enqueued (their values of the parameters tuned here, clipped to these ranges; the
others sampled), so they are re-evaluated on *this* scenario and objective. Mismatched
parameters or ranges cannot crash it (the scikit-optimize original did).
"""

from __future__ import annotations

import time
import warnings
from collections.abc import Callable
from concurrent.futures import Executor
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import optuna
import pandas as pd
from optuna.distributions import BaseDistribution, FloatDistribution, IntDistribution
from optuna.trial import FrozenTrial, TrialState

from nexus_panel.analysis.chunks import Cancelled, Progress
from nexus_panel.analysis.saved import json_value
from nexus_panel.analysis.tuning_eval import Evaluation, evaluate, member_scenarios
from nexus_panel.analysis.tuning_spec import TuningSpec
from nexus_panel.models import FieldError, ValidationError

SUMMARY_ATTR = "nexus.summary"
INFEASIBLE = 1e300
"""Stands for a NaN constraint value (Optuna refuses NaN): as violated as can be."""


def distributions(spec: TuningSpec) -> dict[str, BaseDistribution]:
    """Optuna's search space: one distribution per tuned parameter."""
    out: dict[str, BaseDistribution] = {}
    for p in spec.parameters:
        lo, hi = p.interval()
        out[p.parameter] = (IntDistribution(int(lo), int(hi), log=p.log) if p.integer
                            else FloatDistribution(lo, hi, log=p.log))
    return out


def _violations(trial: FrozenTrial) -> list[float]:
    return list(trial.constraints.values())


def make_sampler(spec: TuningSpec, seed: int) -> optuna.samplers.BaseSampler:
    """The spec's sampler, seeded (samplers read the trials' constraints themselves)."""
    name = spec.sampler_name()
    with warnings.catch_warnings():  # NSGA-III is "experimental"
        warnings.simplefilter("ignore", optuna.exceptions.ExperimentalWarning)
        if name == "tpe":
            return optuna.samplers.TPESampler(seed=seed)
        if name == "nsga2":
            return optuna.samplers.NSGAIISampler(population_size=spec.batch_size, seed=seed)
        if name == "nsga3":
            return optuna.samplers.NSGAIIISampler(population_size=spec.batch_size, seed=seed)
        if name == "cmaes":
            return optuna.samplers.CmaEsSampler(seed=seed, warn_independent_sampling=False)
        return optuna.samplers.RandomSampler(seed=seed)


def batch_seed(seed: int, trials_so_far: int) -> int:
    """The sampler seed of the batch that starts after ``trials_so_far`` trials."""
    return int(np.random.SeedSequence([seed, trials_so_far]).generate_state(1)[0])


@dataclass
class Timing:
    """Where a run's wall time went (seconds)."""

    engine: float = 0.0
    sampler: float = 0.0
    storage: float = 0.0


@dataclass
class TuningOutcome:
    """A study after a run: its trials, the best one(s), the baseline, and the costs."""

    spec: TuningSpec
    study_name: str
    directions: list[str]
    trials: pd.DataFrame
    """One row per trial: number, state, feasible, value_<objective>..., the tuned
    parameters, and con_<i> (constraint i's folded value, on its bad side) per constraint."""
    added: int
    baseline: list[float | None] | None
    seconds: float
    timing: Timing
    runs: int = 0
    cancelled: bool = False
    notes: list[str] = field(default_factory=list)

    @property
    def n_trials(self) -> int:
        return len(self.trials)

    @property
    def n_runs(self) -> int:
        """Runs made by this run of the study (for the page's "done" line)."""
        return self.runs

    def value_columns(self) -> list[str]:
        return [f"value_{o.metric}" for o in self.spec.objectives]

    def feasible(self) -> pd.DataFrame:
        """Complete, feasible trials with finite objective values."""
        frame = self.trials
        ok = (frame["state"] == "COMPLETE") & frame["feasible"]
        ok &= np.isfinite(frame[self.value_columns()].to_numpy(dtype=float)).all(axis=1)
        return frame[ok]

    def pareto(self) -> pd.DataFrame:
        """The feasible trials no other feasible trial dominates (all of them for one
        objective's best), sorted by the first objective."""
        frame = self.feasible()
        if frame.empty:
            return frame
        signs = np.array([1.0 if d == "minimize" else -1.0 for d in self.directions])
        values = frame[self.value_columns()].to_numpy(dtype=float) * signs
        keep = nondominated(values)
        front = frame[keep]
        return front.sort_values(self.value_columns()[0],
                                 ascending=self.directions[0] == "minimize")

    def best(self) -> pd.Series | None:
        """The best feasible trial (several objectives: the front's best on the first)."""
        front = self.pareto()
        return None if front.empty else front.iloc[0]

    def best_params(self) -> dict[str, float]:
        best = self.best()
        if best is None:
            return {}
        return {p.parameter: _plain(best[p.parameter]) for p in self.spec.parameters}

    def summary(self) -> dict[str, Any]:
        """What the CLI's --json prints (and what the study keeps as its summary)."""
        best = self.best()
        single = len(self.directions) == 1
        values = None if best is None else [json_value(best[c]) for c in self.value_columns()]
        baseline = self.baseline
        return {
            "study": self.study_name,
            "n_trials": self.n_trials,
            "added": self.added,
            "direction": self.directions[0] if single else list(self.directions),
            "objectives": [o.metric for o in self.spec.objectives],
            "best_value": (values[0] if single else values) if values is not None else None,
            "baseline_value": (baseline[0] if single else baseline) if baseline else None,
            "best_params": self.best_params(),
            "best_trial": None if best is None else int(best["number"]),
            "pareto_size": len(self.pareto()),
            "feasible_trials": len(self.feasible()),
            "sampler": self.spec.sampler_name(),
            "seconds": self.seconds,
            "engine_seconds": self.timing.engine,
            "cancelled": self.cancelled,
        }

    def constraint_message(self) -> str | None:
        """Why no trial counts, if constraints rule every one out (None otherwise)."""
        if not self.spec.constraints or not self.feasible().empty or self.trials.empty:
            return None
        parts = []
        for c in self.spec.constraints:
            column = self.trials[f"con_{self.spec.constraints.index(c)}"].to_numpy(dtype=float)
            column = column[np.isfinite(column)]
            if column.size:
                closest = column.min() if c.op == "<=" else column.max()
                parts.append(f"{c.text()} (closest: {closest:.6g})")
            else:
                parts.append(f"{c.text()} (no finite value)")
        return (f"none of the {self.n_trials:,} trials satisfies the constraints: "
                + "; ".join(parts) + ". Loosen a bound or widen the parameter ranges.")


def _plain(value: Any) -> Any:
    number = float(value)
    return int(number) if number.is_integer() and isinstance(value, int | np.integer) else number


def nondominated(values: np.ndarray) -> np.ndarray:
    """Boolean mask of the rows of ``values`` (to minimise) that no other row dominates."""
    n = len(values)
    keep = np.ones(n, dtype=bool)
    order = np.lexsort(values.T[::-1])
    for i in order:
        if not keep[i]:
            continue
        dominated = (values[i] <= values).all(axis=1) & (values[i] < values).any(axis=1)
        keep &= ~dominated
    return keep


def trial_frame(trials: list[FrozenTrial], spec: TuningSpec) -> pd.DataFrame:
    """The study's trials as a table (see :attr:`TuningOutcome.trials`)."""
    metrics = [o.metric for o in spec.objectives]
    rows = []
    for t in trials:
        if t.state == TrialState.WAITING:
            continue
        values = t.values or [np.nan] * len(metrics)
        row: dict[str, Any] = {"number": t.number, "state": t.state.name,
                               "feasible": all(v <= 0 for v in _violations(t))}
        row.update({f"value_{m}": v for m, v in zip(metrics, values, strict=True)})
        row.update({p.parameter: t.params.get(p.parameter, np.nan) for p in spec.parameters})
        violations = _violations(t)
        row.update({f"con_{i}": c.bound + violations[i] if c.op == "<=" else
                    c.bound - violations[i]
                    for i, c in enumerate(spec.constraints) if i < len(violations)})
        rows.append(row)
    columns = ["number", "state", "feasible", *[f"value_{m}" for m in metrics],
               *[p.parameter for p in spec.parameters],
               *[f"con_{i}" for i in range(len(spec.constraints))]]
    return pd.DataFrame(rows, columns=columns)


def evaluate_baseline(spec: TuningSpec, *, executor: Executor | None = None
                      ) -> list[float | None]:
    """The objectives at the scenario's own values of the tuned parameters."""
    params = spec.base_scenario.params
    values = {p.parameter: np.array([float(getattr(params, p.parameter))])
              for p in spec.parameters}
    result = evaluate(spec, member_scenarios(spec), values, executor=executor)
    return [json_value(v) for v in result.objectives[0]]


def _warm_params(spec: TuningSpec, source: optuna.Study) -> list[dict[str, Any]]:
    """Up to ``warm_start_trials`` parameter sets from ``source``'s best complete trials,
    restricted to the parameters tuned here and clipped to these ranges."""
    done = [t for t in source.get_trials(deepcopy=False, states=(TrialState.COMPLETE,))
            if all(v <= 0 for v in _violations(t))]
    if not done:
        return []
    signs = np.array([1.0 if d == optuna.study.StudyDirection.MINIMIZE else -1.0
                      for d in source.directions])
    values = np.array([t.values for t in done], dtype=float) * signs
    front = nondominated(values)
    order = sorted(range(len(done)), key=lambda i: (not front[i], values[i, 0]))
    dists = distributions(spec)
    out: list[dict[str, Any]] = []
    for i in order:
        params = {}
        for name, dist in dists.items():
            if name in done[i].params:
                value = float(np.clip(done[i].params[name], dist.low, dist.high))  # type: ignore[attr-defined]
                params[name] = round(value) if isinstance(dist, IntDistribution) else value
        if params and params not in out:
            out.append(params)
        if len(out) >= spec.warm_start_trials:
            break
    return out


def _working_copy(study: optuna.Study, spec: TuningSpec) -> optuna.Study:
    copy = optuna.create_study(directions=spec.directions())
    copy.add_trials([t for t in study.get_trials(deepcopy=False)
                     if t.state.is_finished()])
    return copy


def check_directions(study: optuna.Study, spec: TuningSpec) -> None:
    stored = [d.name.lower() for d in study.directions]
    if stored != spec.directions():
        raise ValidationError([FieldError(
            "objectives", [o.metric for o in spec.objectives],
            f"objectives with the study's directions ({', '.join(stored)})")])


def _tell(copy: optuna.Study, trials: list[optuna.Trial], result: Evaluation) -> None:
    for i, trial in enumerate(trials):
        for j, v in enumerate(result.violations[i]):
            trial.set_constraint(f"c{j}", INFEASIBLE if np.isnan(v) else float(v))
        values = result.objectives[i]
        if np.isnan(values).any():
            copy.tell(trial, state=TrialState.FAIL)
        else:
            copy.tell(trial, [float(v) for v in values])


def run_tuning(
    spec: TuningSpec,
    study: optuna.Study | None = None,
    *,
    baseline: list[float | None] | None = None,
    warm_from: optuna.Study | None = None,
    executor: Executor | None = None,
    progress: Progress | None = None,
    cancel: Callable[[], bool] | None = None,
) -> TuningOutcome:
    """Add ``spec.n_trials`` trials to ``study`` (default: a new in-memory study).

    ``cancel()`` turning true stops after the current batch's runs are abandoned: the
    outcome has ``cancelled=True`` and the trials finished before. ``progress(done,
    total)`` counts trials.
    """
    began = time.perf_counter()
    spec.validate()
    optuna.logging.set_verbosity(optuna.logging.WARNING)
    if study is None:
        study = optuna.create_study(directions=spec.directions())
    check_directions(study, spec)
    timing = Timing()
    clock = time.perf_counter()
    copy = _working_copy(study, spec)
    if warm_from is not None and not copy.trials:
        for params in _warm_params(spec, warm_from):
            copy.enqueue_trial(params)
    timing.storage += time.perf_counter() - clock
    members = member_scenarios(spec)
    dists = distributions(spec)
    added = runs = 0
    cancelled = False
    notes: list[str] = []
    while added < spec.n_trials:
        if cancel is not None and cancel():
            cancelled = True
            break
        n = min(spec.batch_size, spec.n_trials - added)
        clock = time.perf_counter()
        copy.sampler = make_sampler(spec, batch_seed(spec.seed, len(copy.trials)))
        trials = [copy.ask(dists) for _ in range(n)]
        values = {name: np.array([t.params[name] for t in trials], dtype=float)
                  for name in dists}
        timing.sampler += time.perf_counter() - clock
        clock = time.perf_counter()
        try:
            result = evaluate(spec, members, values, executor=executor, cancel=cancel,
                              progress=_within(progress, added, n, spec.n_trials))
        except Cancelled:
            cancelled = True
            break
        timing.engine += time.perf_counter() - clock
        clock = time.perf_counter()
        _tell(copy, trials, result)
        timing.sampler += time.perf_counter() - clock
        clock = time.perf_counter()
        everything = copy.get_trials(deepcopy=False)
        finished = [everything[t.number] for t in trials]
        study.add_trials(finished)
        if _out_of_step(study, finished[-1].number):
            notes.append("another process added trials to this study meanwhile; the "
                         "working copy was reloaded")
            copy = _working_copy(study, spec)
        timing.storage += time.perf_counter() - clock
        added += n
        runs += result.runs
        if progress is not None:
            progress(added, spec.n_trials)
    clock = time.perf_counter()
    trials_now = study.get_trials(deepcopy=False)
    timing.storage += time.perf_counter() - clock
    outcome = TuningOutcome(
        spec=spec, study_name=study.study_name, directions=spec.directions(),
        trials=trial_frame(trials_now, spec), added=added, baseline=baseline,
        seconds=time.perf_counter() - began, timing=timing, runs=runs, cancelled=cancelled,
        notes=notes)
    message = outcome.constraint_message()
    if message:
        outcome.notes.append(message)
    return outcome


def _within(progress: Progress | None, added: int, n: int, total: int) -> Progress | None:
    """Progress in trials (fractional) while a batch's runs go through."""
    if progress is None:
        return None
    return lambda runs, of: progress(added + n * runs / max(of, 1), total)  # type: ignore[arg-type]


def _out_of_step(study: optuna.Study, last_number: int) -> bool:
    """Whether the trials just added got other numbers than in the working copy."""
    stored = study.get_trials(deepcopy=False)
    return not stored or stored[-1].number != last_number or len(stored) != last_number + 1


def parameter_importances(outcome: TuningOutcome, seed: int = 0) -> pd.DataFrame:
    """Optuna's PED-ANOVA importance of each tuned parameter for each objective (rows:
    parameters, columns: objectives), from the feasible complete trials."""
    frame = outcome.feasible()
    spec = outcome.spec
    names = [p.parameter for p in spec.parameters]
    result = pd.DataFrame(index=pd.Index(names, name="parameter"))
    if len(frame) < 2:
        return result
    dists = distributions(spec)
    evaluator = optuna.importance.PedAnovaImportanceEvaluator()
    for i, objective in enumerate(spec.objectives):
        column = outcome.value_columns()[i]
        study = optuna.create_study(direction=outcome.directions[i])
        study.add_trials([optuna.trial.create_trial(
            params={n: _plain(row[n]) for n in names}, distributions=dists,
            value=float(row[column])) for _, row in frame.iterrows()])
        try:
            scores = optuna.importance.get_param_importances(study, evaluator=evaluator,
                                                             params=names)
        except (RuntimeError, ValueError):  # e.g. every trial has the same value
            continue
        result[objective.metric] = pd.Series(scores)
    return result.fillna(0.0)
