"""Monte Carlo: many runs with sampled parameters and independently seeded random inputs.

What makes the numbers trustworthy:

- Parameters are drawn by inverse CDF from distributions truncated to each parameter's
  bounds (:mod:`nexus_panel.analysis.distributions`), all up front from the master seed.
- Random-walk inputs get per-run seeds from the batch API's SeedSequence spawn tree
  (``BatchPlan(master_seed=...)``): runs differ from each other, and the same master seed
  gives the same ensemble on any executor, worker count or chunk size.
- Runs stream through in chunks; each chunk is reduced where it ran to summary rows,
  response metrics, histogram counts for the percentile bands
  (:mod:`nexus_panel.analysis.bands`, exact integer counts, error bound reported) and
  the trajectories of the first ``keep_sample`` runs (an i.i.d. sample, since runs are
  exchangeable) for the rasterized background and the linked scatter plots.

Memory for 100,000 runs x 5,000 steps: summary rows (~20 MB), band counters
(5,001 x 1,026 int32 = 21 MB, plus one per chunk in flight), the kept sample
(keep_sample x 5,001 float32) and the trajectories of the chunks in flight
(chunk size x 5,001 float64 each); the measured time and peak memory are in
docs/benchmarks.md.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from concurrent.futures import Executor
from dataclasses import dataclass, field
from typing import Any, ClassVar

import numpy as np
import pandas as pd
import param

from nexus_panel.analysis.bands import BINS, PERCENTILES, PILOT, BandCounts, BandGrid
from nexus_panel.analysis.chunks import Progress, chunk_response, iter_reduced, run_durations
from nexus_panel.analysis.distributions import ParameterDistribution, sample_parameters
from nexus_panel.analysis.response import classify
from nexus_panel.analysis.saved import frame_arrays, frame_from_arrays, frame_from_rows, frame_rows
from nexus_panel.analysis.specs import (
    MAX_TASK_BYTES,
    METRICS,
    SpecBase,
    chunk_param,
    scenario_param,
    seed_param,
    task_memory_errors,
)
from nexus_panel.analysis.statistics import COLUMN_LABELS, summary_statistics
from nexus_panel.engine.batch import BatchChunk, BatchPlan
from nexus_panel.models import FieldError

MAX_RUNS = 100_000


class MonteCarloSpec(SpecBase):
    """Which parameters are uncertain, how, and how many runs."""

    _items: ClassVar[dict[str, type[SpecBase]]] = {"parameters": ParameterDistribution}

    scenario = scenario_param()
    parameters = param.List(default=[], item_type=ParameterDistribution, precedence=-1,
                            doc="The uncertain parameters and their distributions.")
    n_runs = param.Integer(1000, bounds=(1, MAX_RUNS), label="Runs",
                           doc=f"Number of runs (at most {MAX_RUNS:,}).")
    master_seed = seed_param()
    keep_sample = param.Integer(500, bounds=(0, 5000), label="Trajectories kept",
                                doc="N(t) of the first runs (an i.i.d. sample) kept for the "
                                    "background raster and the linked scatter plots.")
    chunk_size = chunk_param()

    def _cross_errors(self) -> list[FieldError]:
        out: list[FieldError] = []
        seen: set[str] = set()
        params = self.base_scenario.params
        for i, dist in enumerate(self.parameters):
            if dist.parameter in seen:
                out.append(FieldError(f"parameters[{i}].parameter", dist.parameter,
                                      "a parameter not already in the list"))
            seen.add(dist.parameter)
            out += [FieldError(f"parameters[{i}].{e.field}", e.value, e.allowed)
                    for e in dist.check(float(getattr(params, dist.parameter)))]
        return out + self._memory_errors()

    def _memory_errors(self) -> list[FieldError]:
        steps = self.base_scenario.params.num_steps
        # a task holds its trajectories and one set of band counters
        out = task_memory_errors("a Monte Carlo", steps, min(self.chunk_size, self.n_runs),
                                 point_bytes=(BINS + 2) * 4)
        keep = min(self.keep_sample, self.n_runs)
        if keep * (steps + 1) * 4 > MAX_TASK_BYTES:
            out.append(FieldError(
                "keep_sample", self.keep_sample,
                f"at most {MAX_TASK_BYTES // ((steps + 1) * 4):,} trajectories of "
                f"{steps + 1:,} points (the kept sample may hold "
                f"{MAX_TASK_BYTES // 2**20} MiB)"))
        return out


@dataclass
class MonteCarloChunk:
    start: int
    metrics: np.ndarray  # (runs, len(METRICS))
    counts: BandCounts
    sample: np.ndarray | None  # (kept runs, points) float32


@dataclass
class MonteCarloReducer:
    grid: BandGrid
    keep_sample: int

    def __call__(self, plan: BatchPlan, chunk: BatchChunk) -> MonteCarloChunk:
        assert chunk.trajectories is not None
        metrics = np.hstack([chunk.summary, chunk_response(plan, chunk)])
        kept = max(0, min(self.keep_sample - chunk.start, len(chunk.summary)))
        sample = chunk.trajectories[:kept].astype(np.float32) if kept else None
        return MonteCarloChunk(chunk.start, metrics, self.grid.add(chunk.trajectories), sample)


@dataclass
class MonteCarloResult:
    """Bands of N(t), every run's metrics, a kept sample of trajectories, statistics."""

    spec: MonteCarloSpec
    t: np.ndarray
    percentiles: tuple[int, ...]
    bands: np.ndarray  # (len(percentiles), points)
    band_error: np.ndarray  # same shape: bound on |band - exact order statistic|
    runs: pd.DataFrame  # one row per run: sampled parameters, METRICS, regime
    sample: np.ndarray  # (keep, points) float32, runs 0..keep-1
    statistics: pd.DataFrame
    seconds: float
    notes: list[str] = field(default_factory=list)

    @property
    def median(self) -> np.ndarray:
        return self.bands[self.percentiles.index(50)]

    @property
    def n_runs(self) -> int:
        return len(self.runs)

    def table(self) -> pd.DataFrame:
        """Every run's sampled parameters, metrics and regime (what a download holds)."""
        return self.runs.rename_axis("run")

    def report(self) -> str:
        """The CLI's text report: end-of-run bands, statistics, regimes."""
        return "\n".join([
            f"Monte Carlo — {self.seconds:.3f} s",
            f"{self.n_runs} runs; bands of N(t) at the end "
            + ", ".join(f"p{q}={v:.6g}" for q, v in
                        zip(self.percentiles, self.bands[:, -1], strict=True))
            + f" (error bound ≤ {self.band_error.max():.3g})",
            self.statistics.to_string(),
            "regimes: " + ", ".join(f"{k} {v}" for k, v in
                                    self.runs["regime"].value_counts().items()),
            *self.notes])

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready: the spec, the bands (with error bounds), statistics, regimes."""
        return {
            "analysis": "montecarlo",
            "spec": self.spec.to_dict(),
            "t": self.t.tolist(),
            "percentiles": list(self.percentiles),
            "bands": self.bands.tolist(),
            "band_error_max": self.band_error.max(axis=1).tolist(),
            "statistics": frame_rows(self.statistics),
            "regimes": self.runs["regime"].value_counts().to_dict(),
            "seconds": self.seconds,
            "notes": self.notes,
        }

    def arrays(self) -> dict[str, np.ndarray]:
        """What JSON would bloat or round: every run's row, the kept sample, the bounds."""
        return {"band_error": self.band_error, "sample": self.sample,
                **frame_arrays(self.runs, "runs")}

    @classmethod
    def from_dict(cls, data: dict[str, Any], spec: MonteCarloSpec,
                  arrays: dict[str, np.ndarray]) -> MonteCarloResult:
        """The result again, from ``to_dict()`` and ``arrays()`` (no run needed)."""
        return cls(spec=spec, t=np.asarray(data["t"], dtype=float),
                   percentiles=tuple(data["percentiles"]),
                   bands=np.asarray(data["bands"], dtype=float),
                   band_error=np.asarray(arrays["band_error"]),
                   runs=frame_from_arrays(arrays, "runs"),
                   sample=np.asarray(arrays["sample"]),
                   statistics=frame_from_rows(data["statistics"], "metric",
                                              list(COLUMN_LABELS)),
                   seconds=float(data["seconds"]), notes=list(data.get("notes", [])))


def run_monte_carlo(
    spec: MonteCarloSpec,
    *,
    executor: Executor | None = None,
    progress: Progress | None = None,
    cancel: Callable[[], bool] | None = None,
) -> MonteCarloResult:
    """Run the ensemble (threads in-process, or ``executor``, e.g. a DaskExecutor)."""
    began = time.perf_counter()
    spec.validate()
    scenario = spec.base_scenario
    sampled = sample_parameters(spec.parameters, scenario.params, spec.n_runs,
                                spec.master_seed)
    plan = BatchPlan(scenario, sampled, n_runs=spec.n_runs, master_seed=spec.master_seed)
    pilot = plan.run_chunk(0, min(PILOT, plan.n_runs), True)
    assert pilot.trajectories is not None
    grid = BandGrid.from_pilot(pilot.trajectories)
    counts = grid.empty_counts()
    metrics = np.empty((plan.n_runs, len(METRICS)))
    keep = min(spec.keep_sample, plan.n_runs)
    sample = np.empty((keep, plan.num_steps + 1), dtype=np.float32)
    for chunk in iter_reduced(plan, MonteCarloReducer(grid, keep), keep_trajectories=True,
                              chunk_size=spec.chunk_size, executor=executor,
                              progress=progress, cancel=cancel):
        metrics[chunk.start:chunk.start + len(chunk.metrics)] = chunk.metrics
        counts.merge(chunk.counts)
        if chunk.sample is not None:
            sample[chunk.start:chunk.start + len(chunk.sample)] = chunk.sample
    bands, error = counts.percentiles(grid)
    runs = pd.DataFrame(sampled)
    runs = pd.concat([runs, pd.DataFrame(metrics, columns=list(METRICS))], axis=1)
    params = scenario.params
    runs["regime"] = classify(runs["settling_time"].to_numpy(), runs["oscillations"].to_numpy(),
                              runs["collapsed"].to_numpy(),
                              runs["phi_saturated_fraction"].to_numpy(),
                              run_durations(plan))
    notes = []
    if "delta_t" in sampled:
        notes.append("delta_t is sampled: the bands are per step index; the time axis uses "
                     f"the scenario's delta_t = {params.delta_t:g}.")
    return MonteCarloResult(
        spec=spec, t=np.arange(plan.num_steps + 1) * params.delta_t, percentiles=PERCENTILES,
        bands=bands, band_error=error, runs=runs, sample=sample,
        statistics=summary_statistics(runs, list(sampled) + list(METRICS)),
        seconds=time.perf_counter() - began, notes=notes)
