"""Evaluate a batch of trials at once: n trials x K ensemble members through the batch kernel.

Why per-member plans: member m of a robust study is one fixed "world" (its own values of
the uncertain parameters, its own seeds for the random inputs) and every trial meets the
same K worlds (common random numbers), so trials are compared on equal terms and a seed
gives the same study. A member is therefore a scenario, and a batch is K
:class:`~nexus_panel.engine.batch.BatchPlan` s (one per member) whose runs are the n
trials' tuned values. The K x n runs go through ``iter_batch`` in chunks (threads, or a
Dask cluster), each chunk reduced where it ran to the figures the study needs, so only
(runs, figures) arrays travel and no one holds every run's N(t).

Members: with K = 1 the scenario itself (its random inputs keep their seeds; uncertain
parameters, if any, take one draw). With K > 1 member m draws the uncertain parameters
from stream m of ``SeedSequence([seed, 1])`` (as Monte Carlo does) and reseeds each
random input with the batch API's spawn-tree seed of (seed, run m, input j).
"""

from __future__ import annotations

from collections.abc import Callable
from concurrent.futures import Executor
from dataclasses import dataclass

import numpy as np

from nexus_panel.analysis.chunks import Cancelled, Progress
from nexus_panel.analysis.distributions import sample_parameters
from nexus_panel.analysis.objective_kernel import EXTRA_FIELDS, extra_table
from nexus_panel.analysis.objectives import RESPONSE_NEEDS_TRAJECTORY, aggregate, fill_never
from nexus_panel.analysis.response import response_table
from nexus_panel.analysis.specs import RESPONSE_FIELDS
from nexus_panel.analysis.tuning_spec import TuningSpec
from nexus_panel.engine.batch import BatchPlan, derive_seeds, iter_batch
from nexus_panel.engine.kernel import DT, N_TARGET, SUMMARY_FIELDS
from nexus_panel.models import Scenario


def member_scenarios(spec: TuningSpec) -> list[Scenario]:
    """The K worlds every trial is evaluated in (see the module docstring)."""
    base = spec.base_scenario
    k = spec.members
    sampled = sample_parameters(spec.uncertain, base.params, k, spec.seed)
    if k == 1 and not sampled:
        return [base]
    random_inputs = [n for n, s in base.inputs.signals().items() if s.is_random]
    seeds = derive_seeds(spec.seed, range(k), len(random_inputs)) if k > 1 else None
    out = []
    for m in range(k):
        data = base.to_dict()
        for name, values in sampled.items():
            data["params"][name] = float(values[m])
        if seeds is not None:
            for j, name in enumerate(random_inputs):
                data["inputs"][name]["seed"] = int(seeds[m, j])
        out.append(Scenario.from_dict(data))
    return out


@dataclass
class TrialBatch:
    """n trials x K members as one batch for ``iter_batch`` (run index = m * n + trial)."""

    plans: list[BatchPlan]
    figures: list[str]
    floor: float

    @property
    def n_trials(self) -> int:
        return self.plans[0].n_runs

    @property
    def n_runs(self) -> int:
        return self.n_trials * len(self.plans)

    def bounds(self, chunk_size: int) -> list[tuple[int, int]]:
        n = self.n_trials
        return [(m * n + a, m * n + b) for m, plan in enumerate(self.plans)
                for a, b in plan.bounds(chunk_size)]

    def run_chunk(self, start: int, stop: int, _keep: bool) -> tuple[int, np.ndarray]:
        """Runs start..stop (one member's trials), reduced to (runs, len(figures))."""
        member, first = divmod(start, self.n_trials)
        plan = self.plans[member]
        a, b = first, first + (stop - start)
        need_traj = any(f in RESPONSE_NEEDS_TRAJECTORY for f in self.figures)
        chunk = plan.run_chunk(a, b, need_traj)
        rows = plan.matrix[a:b]
        columns: dict[str, np.ndarray] = dict(zip(SUMMARY_FIELDS, chunk.summary.T, strict=True))
        if chunk.trajectories is not None:
            response = response_table(chunk.trajectories, rows[:, N_TARGET], rows[:, DT])
            columns.update(zip(RESPONSE_FIELDS, response.T, strict=True))
            inputs = plan.chunk_inputs(a, b) if "min_S" in self.figures else None
            extra = extra_table(chunk.trajectories, rows, inputs,
                                np.full(b - a, self.floor))
            columns.update(zip(EXTRA_FIELDS, extra.T, strict=True))
        duration = rows[:, DT] * plan.num_steps
        out = np.empty((b - a, len(self.figures)))
        for i, name in enumerate(self.figures):
            out[:, i] = fill_never(name, columns[name], duration)
        return start, out


@dataclass
class Evaluation:
    """Folded figures of n trials: objectives (n, objectives) and constraint violations
    (n, constraints; ≤ 0 means satisfied), and how many runs it took."""

    objectives: np.ndarray
    violations: np.ndarray
    runs: int


def evaluate(
    spec: TuningSpec,
    members: list[Scenario],
    values: dict[str, np.ndarray],
    *,
    executor: Executor | None = None,
    cancel: Callable[[], bool] | None = None,
    progress: Progress | None = None,
) -> Evaluation:
    """Run every trial (``values``: parameter -> n tuned values) on every member, fold."""
    figures = spec.figures()
    plans = [BatchPlan(scenario, values) for scenario in members]
    batch = TrialBatch(plans, figures, spec.floor_value())
    k, n = len(plans), batch.n_trials
    table = np.empty((k, n, len(figures)))
    done = 0
    for start, rows in iter_batch(batch, chunk_size=spec.chunk_size,  # type: ignore[arg-type]
                                  executor=executor, cancel=cancel):
        member, first = divmod(start, n)
        table[member, first:first + len(rows)] = rows
        done += len(rows)
        if progress is not None:
            progress(done, batch.n_runs)
    if done < batch.n_runs:
        raise Cancelled(f"cancelled after {done:,} of {batch.n_runs:,} runs")
    column = {name: i for i, name in enumerate(figures)}
    objectives = np.empty((n, len(spec.objectives)))
    for i, objective in enumerate(spec.objectives):
        worse_high = objective.resolved_direction() == "minimize"
        objectives[:, i] = aggregate(table[:, :, column[objective.metric]], spec.aggregate,
                                     spec.level, worse_high)
    violations = np.empty((n, len(spec.constraints)))
    for i, constraint in enumerate(spec.constraints):
        folded = aggregate(table[:, :, column[constraint.metric]], spec.aggregate, spec.level,
                           constraint.op == "<=")
        violations[:, i] = constraint.violation(folded)
    return Evaluation(objectives, violations, batch.n_runs)

