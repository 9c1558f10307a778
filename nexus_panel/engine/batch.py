"""Many runs of one scenario with per-run parameter overrides and per-run seeds.

The analyses (Monte Carlo, sensitivity, stability maps, tuning) all reduce to this:
a base scenario, a matrix of parameter values (one row per run, one column per varied
parameter), and optionally independent seeds for the random signals, spawned from one
master seed with ``numpy.random.SeedSequence`` so results do not depend on how the runs
are chunked or on how many workers run them.

Runs are processed in chunks. Each chunk's inputs are generated once if no signal
depends on the run (the common case: shared (1, 6, n) inputs), else per run. Chunks run
in threads (the kernel releases the GIL) or on any ``concurrent.futures``-style executor.
With ``keep_trajectories=False`` memory stays constant in the number of runs.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator, Mapping
from concurrent.futures import Executor, ThreadPoolExecutor
from dataclasses import dataclass

import numpy as np
import pandas as pd

from nexus_panel.engine.kernel import PARAM_ORDER, SUMMARY_FIELDS, run_many
from nexus_panel.engine.simulate import param_vector
from nexus_panel.models import INPUT_NAMES, EngineParams, Scenario
from nexus_panel.models.checks import check_number
from nexus_panel.models.errors import FieldError, ValidationError

DEFAULT_CHUNK = 1024


@dataclass
class BatchChunk:
    """The runs ``start .. start+len(summary)`` of a batch."""

    start: int
    summary: np.ndarray  # (runs, len(SUMMARY_FIELDS))
    trajectories: np.ndarray | None  # (runs, n+1) N(t) or None


@dataclass
class BatchResult:
    """Summary figures of every run (one row each), the varied values, and N(t) if kept."""

    summary: pd.DataFrame
    trajectories: np.ndarray | None
    seeds: np.ndarray | None


class BatchPlan:
    """A validated batch: base scenario, overrides matrix, seeds. Cheap to build."""

    def __init__(
        self,
        scenario: Scenario,
        overrides: Mapping[str, np.ndarray] | None = None,
        n_runs: int | None = None,
        master_seed: int | None = None,
    ) -> None:
        scenario.validate()
        self.scenario = scenario
        overrides = {k: np.asarray(v, dtype=np.float64) for k, v in (overrides or {}).items()}
        sizes = {len(v) for v in overrides.values()}
        if n_runs is None:
            if len(sizes) != 1:
                raise ValueError("give n_runs, or overrides of one common length")
            n_runs = sizes.pop()
        elif sizes and sizes != {n_runs}:
            raise ValueError(f"every override needs n_runs = {n_runs} values")
        _check_overrides(overrides)
        self.n_runs = int(n_runs)
        self.overrides = overrides
        self.num_steps = scenario.params.num_steps
        base = param_vector(scenario.params)
        self.matrix = np.repeat(base[None, :], self.n_runs, axis=0)
        for name, values in overrides.items():
            self.matrix[:, PARAM_ORDER.index(name)] = values
        signals = scenario.inputs.signals()
        self.random_inputs = [n for n in INPUT_NAMES if signals[n].is_random]
        self.seeds: np.ndarray | None = None
        if master_seed is not None and self.random_inputs:
            children = np.random.SeedSequence(master_seed).spawn(self.n_runs)
            self.seeds = np.array([c.generate_state(2, np.uint32).view(np.uint64)[0]
                                   for c in children], dtype=np.uint64)
        self.per_run_inputs = self.seeds is not None or "delta_t" in overrides

    def chunk_inputs(self, start: int, stop: int) -> np.ndarray:
        """Inputs for runs start..stop: (1, 6, n) when shared, else (runs, 6, n)."""
        n = self.num_steps
        if not self.per_run_inputs:
            return self.scenario.inputs.arrays(n, self.scenario.params.delta_t)[None]
        out = np.empty((stop - start, len(INPUT_NAMES), n))
        signals = self.scenario.inputs.signals()
        dt_col = PARAM_ORDER.index("delta_t")
        for i, run in enumerate(range(start, stop)):
            dt = float(self.matrix[run, dt_col])
            for row, name in enumerate(INPUT_NAMES):
                signal = signals[name]
                if self.seeds is not None and signal.is_random:
                    rng = np.random.default_rng(int(self.seeds[run]) ^ row)
                    walk = signal.initial + np.cumsum(rng.normal(0.0, signal.volatility, n))
                    out[i, row] = np.maximum(walk, 0.0)
                else:
                    out[i, row] = signal.generate(n, dt)
        return out

    def run_chunk(self, start: int, stop: int, keep_trajectories: bool) -> BatchChunk:
        runs = stop - start
        summary = np.empty((runs, len(SUMMARY_FIELDS)))
        traj = (np.empty((runs, self.num_steps + 1)) if keep_trajectories
                else np.empty((0, 0)))
        run_many(self.matrix[start:stop], self.chunk_inputs(start, stop), summary, traj)
        return BatchChunk(start, summary, traj if keep_trajectories else None)

    def bounds(self, chunk_size: int) -> list[tuple[int, int]]:
        return [(s, min(s + chunk_size, self.n_runs)) for s in range(0, self.n_runs, chunk_size)]


def _check_overrides(overrides: Mapping[str, np.ndarray]) -> None:
    errors: list[FieldError] = []
    for name, values in overrides.items():
        if name not in PARAM_ORDER:
            errors.append(FieldError(name, "…", "an engine parameter name"))
            continue
        if name == "num_steps":
            errors.append(FieldError(name, "…", "the same for every run of a batch"))
            continue
        p = EngineParams.param[name]
        bad = [v for v in values if check_number(p, float(v)) is not None]
        if bad:
            errors.append(FieldError(name, bad[0], check_number(p, float(bad[0])) or ""))
    if errors:
        raise ValidationError(errors)


def iter_batch(
    plan: BatchPlan,
    *,
    keep_trajectories: bool = False,
    chunk_size: int = DEFAULT_CHUNK,
    executor: Executor | None = None,
    cancel: Callable[[], bool] | None = None,
) -> Iterator[BatchChunk]:
    """Yield chunks as they finish (in order). Stops early when ``cancel()`` is true."""
    own = executor is None
    pool = executor or ThreadPoolExecutor(max_workers=os.cpu_count() or 1)
    try:
        bounds = plan.bounds(chunk_size)
        window = 2 * max(1, getattr(pool, "_max_workers", 2))
        futures = []
        it = iter(bounds)
        for b in it:
            futures.append(pool.submit(plan.run_chunk, b[0], b[1], keep_trajectories))
            if len(futures) >= window:
                break
        while futures:
            chunk = futures.pop(0).result()
            if cancel is not None and cancel():
                for f in futures:
                    f.cancel()
                return
            nxt = next(it, None)
            if nxt is not None:
                futures.append(pool.submit(plan.run_chunk, nxt[0], nxt[1], keep_trajectories))
            yield chunk
    finally:
        if own:
            pool.shutdown(wait=True, cancel_futures=True)


def run_batch(
    scenario: Scenario,
    overrides: Mapping[str, np.ndarray] | None = None,
    *,
    n_runs: int | None = None,
    master_seed: int | None = None,
    keep_trajectories: bool = False,
    chunk_size: int = DEFAULT_CHUNK,
    executor: Executor | None = None,
) -> BatchResult:
    """Run a batch and collect every run's summary (and N(t) when asked)."""
    plan = BatchPlan(scenario, overrides, n_runs, master_seed)
    summary = np.empty((plan.n_runs, len(SUMMARY_FIELDS)))
    traj = np.empty((plan.n_runs, plan.num_steps + 1)) if keep_trajectories else None
    for chunk in iter_batch(plan, keep_trajectories=keep_trajectories, chunk_size=chunk_size,
                            executor=executor):
        stop = chunk.start + len(chunk.summary)
        summary[chunk.start:stop] = chunk.summary
        if traj is not None and chunk.trajectories is not None:
            traj[chunk.start:stop] = chunk.trajectories
    frame = pd.DataFrame(summary, columns=list(SUMMARY_FIELDS))
    for name, values in plan.overrides.items():
        frame.insert(len(frame.columns), name, values)
    return BatchResult(summary=frame, trajectories=traj, seeds=plan.seeds)
