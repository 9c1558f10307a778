"""Many runs of one scenario with per-run parameter overrides and per-run seeds.

The analyses (Monte Carlo, sensitivity, stability maps, tuning) all reduce to this:
a base scenario, a matrix of parameter values (one row per run, one column per varied
parameter), and optionally independent random inputs per run.

Per-run seeds follow numpy's ``SeedSequence`` spawn tree: run r's random input j draws
from ``SeedSequence(master_seed).spawn(n_runs)[r].spawn(n_random)[j]`` (built directly as
``SeedSequence(master_seed, spawn_key=(r, j))``, which is the same node), turned into a
plain integer seed (computed in bulk by ``engine/seeding.py``, bit-identical to numpy's
own objects but far cheaper). So every run's streams depend only on (master seed, run,
input): results do not depend on chunk size, executor or worker count, two inputs of one
run are independent, and run r is reproduced exactly by ``simulate(plan.scenario_for(r))``.

Runs are processed in chunks. Inputs common to every run are generated once; only the
rows that vary (seeded random walks, and time-dependent signals when ``delta_t`` varies)
are produced per run: for a walk just its standard normal draws, which the kernel turns
into the walk. Chunks run in threads (the kernel and numpy's normal fill release the
GIL) or on any ``concurrent.futures``-style executor (Dask's ``client.get_executor()``
too). With ``keep_trajectories=False`` memory stays constant in the number of runs.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator, Mapping
from concurrent.futures import Executor, ThreadPoolExecutor
from dataclasses import dataclass
from numbers import Integral

import numpy as np
import pandas as pd
import param

from nexus_panel.engine.kernel import (
    PARAM_INDEX,
    SUMMARY_FIELDS,
    run_many,
    run_many_rows,
)
from nexus_panel.engine.seeding import pcg64_states, spawned_seeds
from nexus_panel.engine.simulate import param_vector
from nexus_panel.models import INPUT_NAMES, EngineParams, Scenario
from nexus_panel.models.checks import check_number
from nexus_panel.models.errors import FieldError, ValidationError
from nexus_panel.models.signals import walk_levels
from nexus_panel.models.text import NAME_LENGTH

DEFAULT_CHUNK = 1024
ROWS_BUDGET = 32 * 2**20
"""Bytes of per-run input rows (normal draws, regenerated series) a chunk holds at once."""


@dataclass
class BatchChunk:
    """The runs ``start .. start+len(summary)`` of a batch."""

    start: int
    summary: np.ndarray  # (runs, len(SUMMARY_FIELDS))
    trajectories: np.ndarray | None  # (runs, n+1) N(t) or None
    seeds: np.ndarray | None = None  # (runs, len(plan.random_inputs)) or None


@dataclass
class BatchResult:
    """Summary figures of every run (one row each), the varied values, and N(t) if kept.

    ``seeds[r, j]`` is the seed run r used for ``random_inputs[j]`` (None when the batch
    had no master seed or no random input).
    """

    summary: pd.DataFrame
    trajectories: np.ndarray | None
    seeds: np.ndarray | None
    random_inputs: tuple[str, ...] = ()


def derive_seeds(master_seed: int, runs: range, n_inputs: int) -> np.ndarray:
    """The (len(runs), n_inputs) integer seeds of the spawn tree described above."""
    return spawned_seeds(master_seed, runs.start, len(runs), n_inputs)


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
        if n_runs is not None:
            _check_counts(n_runs, master_seed)
        overrides = _as_vectors(overrides or {})
        sizes = {len(v) for v in overrides.values()}
        if n_runs is None:
            if len(sizes) != 1:
                raise ValidationError([FieldError(
                    "n_runs", None, "a whole number ≥ 0 when there are no overrides or "
                    "they differ in length")])
            n_runs = sizes.pop()
        elif sizes and sizes != {n_runs}:
            raise ValidationError([FieldError(name, f"{len(v)} values", f"{n_runs} values "
                                              "(one per run)")
                                   for name, v in overrides.items() if len(v) != n_runs])
        _check_overrides(overrides)
        _check_counts(n_runs, master_seed)
        self.n_runs = int(n_runs)
        self.overrides = overrides
        self.master_seed = None if master_seed is None else int(master_seed)
        self.num_steps = scenario.params.num_steps
        base = param_vector(scenario.params)
        self.matrix = np.repeat(base[None, :], self.n_runs, axis=0)
        for name, values in overrides.items():
            self.matrix[:, PARAM_INDEX[name]] = values
        signals = scenario.inputs.signals()
        self.random_inputs = tuple(n for n in INPUT_NAMES if signals[n].is_random)
        self.seeded = self.master_seed is not None and bool(self.random_inputs)
        walks = self.random_inputs if self.seeded else ()
        timed = tuple(n for n in INPUT_NAMES if "delta_t" in overrides
                      and signals[n].uses_time and n not in walks)
        # Rows regenerated per run, in INPUT_NAMES order; everything else is shared.
        self.varying = tuple(n for n in INPUT_NAMES if n in walks or n in timed)
        self.per_run_inputs = bool(self.varying)
        self.shared = scenario.inputs.arrays(self.num_steps, scenario.params.delta_t)
        self._rows = np.array([INPUT_NAMES.index(n) for n in self.varying], dtype=np.int64)
        self._walk = np.array([n in walks for n in self.varying], dtype=np.bool_)
        self._walk_initial = np.array([signals[n].initial for n in self.varying])
        self._walk_volatility = np.array([signals[n].volatility for n in self.varying])

    # --- seeds and per-run inputs ---------------------------------------------------------
    def run_seeds(self, start: int, stop: int) -> np.ndarray | None:
        """Seeds of runs start..stop, one column per random input (None if unseeded)."""
        if not self.seeded:
            return None
        assert self.master_seed is not None
        return derive_seeds(self.master_seed, range(start, stop), len(self.random_inputs))

    @property
    def seeds(self) -> np.ndarray | None:
        """Every run's seeds, (n_runs, len(random_inputs)); None if unseeded."""
        return self.run_seeds(0, self.n_runs)

    def _varying_values(self, start: int, stop: int,
                        seeds: np.ndarray | None) -> np.ndarray:
        """(runs, len(varying), n): normal draws for walks, the series for the others."""
        n = self.num_steps
        values = np.empty((stop - start, len(self.varying), n))
        signals = self.scenario.inputs.signals()
        dt_col = PARAM_INDEX["delta_t"]
        # One generator per chunk, re-seeded per run and input to exactly the state
        # default_rng(seed) would start from (see engine/seeding.py): the same draws as a
        # fresh generator, without building numpy objects for every run.
        bits = np.random.PCG64()
        draw = np.random.Generator(bits)
        for j, name in enumerate(self.varying):
            if self._walk[j]:
                assert seeds is not None
                column = self.random_inputs.index(name)
                for i, state in enumerate(pcg64_states(seeds[:, column])):
                    bits.state = state
                    draw.standard_normal(out=values[i, j])
            else:
                for i, run in enumerate(range(start, stop)):
                    values[i, j] = signals[name].generate(n, float(self.matrix[run, dt_col]))
        return values

    def scenario_for(self, run: int) -> Scenario:
        """Run ``run`` as a standalone scenario: ``simulate()`` of it gives that run exactly."""
        data = self.scenario.to_dict()
        for name in self.overrides:
            value = self.matrix[run, PARAM_INDEX[name]]
            data["params"][name] = float(value)
        seeds = self.run_seeds(run, run + 1)
        if seeds is not None:
            for j, name in enumerate(self.random_inputs):
                data["inputs"][name]["seed"] = int(seeds[0, j])
        suffix = f" (run {run})"  # within the name's length limit (models.text)
        data["name"] = self.scenario.name[:NAME_LENGTH - len(suffix)] + suffix
        return Scenario.from_dict(data)

    def chunk_inputs(self, start: int, stop: int) -> np.ndarray:
        """Inputs for runs start..stop: (1, 6, n) when shared, else (runs, 6, n).

        For inspection and tests; ``run_chunk`` never materialises the per-run form.
        """
        if not self.per_run_inputs:
            return self.shared[None]
        out = np.repeat(self.shared[None], stop - start, axis=0)
        values = self._varying_values(start, stop, self.run_seeds(start, stop))
        for j, row in enumerate(self._rows):
            if self._walk[j]:
                for i in range(stop - start):
                    out[i, row] = walk_levels(self._walk_initial[j],
                                              0.0 + self._walk_volatility[j] * values[i, j])[0]
            else:
                out[:, row] = values[:, j]
        return out

    # --- running -------------------------------------------------------------------------
    def run_chunk(self, start: int, stop: int, keep_trajectories: bool) -> BatchChunk:
        runs = stop - start
        summary = np.empty((runs, len(SUMMARY_FIELDS)))
        traj = (np.empty((runs, self.num_steps + 1)) if keep_trajectories
                else np.empty((0, 0)))
        seeds = self.run_seeds(start, stop)
        if self.per_run_inputs:
            # Sub-blocks bound the per-run rows held at once, whatever num_steps is.
            block = max(1, ROWS_BUDGET // (8 * self.num_steps * len(self.varying)))
            for a in range(start, stop, block):
                b = min(a + block, stop)
                lo, hi = a - start, b - start
                values = self._varying_values(a, b, None if seeds is None else seeds[lo:hi])
                run_many_rows(self.matrix[a:b], self.shared, self._rows, values, self._walk,
                              self._walk_initial, self._walk_volatility, summary[lo:hi],
                              traj[lo:hi] if keep_trajectories else traj)
        else:
            run_many(self.matrix[start:stop], self.shared[None], summary, traj)
        return BatchChunk(start, summary, traj if keep_trajectories else None, seeds)

    def bounds(self, chunk_size: int) -> list[tuple[int, int]]:
        if chunk_size < 1:
            raise ValueError(f"chunk_size must be at least 1, got {chunk_size}")
        return [(s, min(s + chunk_size, self.n_runs)) for s in range(0, self.n_runs, chunk_size)]


def _as_vectors(overrides: Mapping[str, object]) -> dict[str, np.ndarray]:
    """Each override as a 1-D float64 vector; anything else (a scalar, a matrix, strings,
    nested junk) is a ValidationError naming the parameter."""
    out: dict[str, np.ndarray] = {}
    errors: list[FieldError] = []
    for name, values in overrides.items():
        try:
            vector = np.asarray(values, dtype=np.float64)
        except (TypeError, ValueError, OverflowError):
            vector = None
        if vector is None or vector.ndim != 1:
            errors.append(FieldError(str(name), values, "a sequence of numbers, one per run"))
        else:
            out[name] = vector
    if errors:
        raise ValidationError(errors)
    return out


def _check_overrides(overrides: Mapping[str, np.ndarray]) -> None:
    errors: list[FieldError] = []
    for name, values in overrides.items():
        if name not in PARAM_INDEX:
            errors.append(FieldError(name, "…", "an engine parameter name"))
            continue
        if name == "num_steps":
            errors.append(FieldError(name, "…", "the same for every run of a batch"))
            continue
        p = EngineParams.param[name]
        if _all_inside(p, values):  # vectorised fast path; the loop below names a bad value
            continue
        bad = [v for v in values if check_number(p, float(v)) is not None]
        if bad:
            errors.append(FieldError(name, float(bad[0]),
                                     check_number(p, float(bad[0])) or ""))
    if errors:
        raise ValidationError(errors)


def _all_inside(p: param.Number, values: np.ndarray) -> bool:
    """True when every value is finite and inside ``p``'s bounds (what check_number asks of
    a float), checked with numpy: 100,000 overrides cost microseconds, not a Python loop."""
    ok = np.isfinite(values)
    lo, hi = p.bounds or (None, None)
    inc_lo, inc_hi = p.inclusive_bounds
    if lo is not None:
        ok &= (values >= lo) if inc_lo else (values > lo)
    if hi is not None:
        ok &= (values <= hi) if inc_hi else (values < hi)
    return bool(ok.all())


def _check_counts(n_runs: int, master_seed: int | None) -> None:
    errors: list[FieldError] = []
    if isinstance(n_runs, bool) or not isinstance(n_runs, Integral) or n_runs < 0:
        errors.append(FieldError("n_runs", n_runs, "a whole number ≥ 0"))
    if master_seed is not None and (isinstance(master_seed, bool)
                                    or not isinstance(master_seed, Integral)
                                    or master_seed < 0):
        errors.append(FieldError("master_seed", master_seed, "a whole number ≥ 0, or None"))
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
    bounds = plan.bounds(chunk_size)
    own = executor is None
    pool = executor or ThreadPoolExecutor(max_workers=os.cpu_count() or 1)
    try:
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
    seeds = (np.empty((plan.n_runs, len(plan.random_inputs)), dtype=np.int64)
             if plan.seeded else None)
    for chunk in iter_batch(plan, keep_trajectories=keep_trajectories, chunk_size=chunk_size,
                            executor=executor):
        stop = chunk.start + len(chunk.summary)
        summary[chunk.start:stop] = chunk.summary
        if traj is not None and chunk.trajectories is not None:
            traj[chunk.start:stop] = chunk.trajectories
        if seeds is not None and chunk.seeds is not None:
            seeds[chunk.start:stop] = chunk.seeds
    frame = pd.DataFrame(summary, columns=list(SUMMARY_FIELDS))
    for name, values in plan.overrides.items():
        frame.insert(len(frame.columns), name, values)
    return BatchResult(summary=frame, trajectories=traj, seeds=seeds,
                       random_inputs=plan.random_inputs if plan.seeded else ())
