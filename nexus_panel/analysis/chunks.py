"""Reduce each chunk of a batch where it ran, and stream the small results back.

``iter_batch`` submits ``plan.run_chunk(start, stop, keep)`` to its executor and yields the
results in order. Wrapping the plan in a :class:`ReducingPlan` makes that call run the
chunk *and* reduce it (response metrics, histogram counts, a few kept trajectories) on the
worker, so only small arrays cross threads or the network and no one ever holds every
run's N(t). Reducers are plain picklable objects, so the same code runs on threads and on
a Dask cluster.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from concurrent.futures import Executor
from dataclasses import dataclass
from typing import Any, Protocol

import numpy as np

from nexus_panel.analysis.response import response_table
from nexus_panel.analysis.specs import RESPONSE_FIELDS
from nexus_panel.engine.batch import BatchChunk, BatchPlan, iter_batch
from nexus_panel.engine.kernel import PARAM_INDEX, SUMMARY_FIELDS

Progress = Callable[[int, int], None]
"""``progress(done_runs, total_runs)``, called after every chunk."""


class Cancelled(Exception):
    """The analysis was cancelled before it finished; nothing partial is returned."""


class Reducer(Protocol):
    def __call__(self, plan: BatchPlan, chunk: BatchChunk) -> Any: ...


class ReducingPlan:
    """Looks like a BatchPlan to ``iter_batch``; its chunks come back reduced."""

    def __init__(self, plan: BatchPlan, reducer: Reducer, keep_trajectories: bool) -> None:
        self.plan = plan
        self.reducer = reducer
        self.keep_trajectories = keep_trajectories

    def bounds(self, chunk_size: int) -> list[tuple[int, int]]:
        return self.plan.bounds(chunk_size)

    def run_chunk(self, start: int, stop: int, keep_trajectories: bool) -> Any:
        return self.reducer(self.plan, self.plan.run_chunk(start, stop, self.keep_trajectories))


def iter_reduced(
    plan: BatchPlan,
    reducer: Reducer,
    *,
    keep_trajectories: bool,
    chunk_size: int,
    executor: Executor | None = None,
    progress: Progress | None = None,
    cancel: Callable[[], bool] | None = None,
) -> Iterator[Any]:
    """Yield the reduced chunks in run order; raise Cancelled if ``cancel()`` turned true."""
    done = 0
    wrapped = ReducingPlan(plan, reducer, keep_trajectories)
    for reduced in iter_batch(wrapped, chunk_size=chunk_size,  # type: ignore[arg-type]
                              executor=executor, cancel=cancel):
        done = min(plan.n_runs, done + chunk_size)
        if progress is not None:
            progress(done, plan.n_runs)
        yield reduced
    if cancel is not None and cancel() and done < plan.n_runs:
        raise Cancelled(f"cancelled after {done:,} of {plan.n_runs:,} runs")


@dataclass
class MetricsReducer:
    """Summary figures plus, when asked, the response metrics of every run."""

    response: bool
    k0: int = 0

    def __call__(self, plan: BatchPlan, chunk: BatchChunk) -> tuple[int, np.ndarray]:
        if not self.response or chunk.trajectories is None:
            return chunk.start, chunk.summary
        return chunk.start, np.hstack([chunk.summary, chunk_response(plan, chunk, self.k0)])


def chunk_response(plan: BatchPlan, chunk: BatchChunk, k0: int = 0) -> np.ndarray:
    """Response metrics of a chunk's kept trajectories (per-run target and time step)."""
    assert chunk.trajectories is not None
    rows = plan.matrix[chunk.start:chunk.start + len(chunk.summary)]
    return response_table(chunk.trajectories, rows[:, PARAM_INDEX["N_target"]],
                          rows[:, PARAM_INDEX["delta_t"]], k0)


def per_run_metrics(
    plan: BatchPlan,
    *,
    response: bool,
    k0: int = 0,
    chunk_size: int = 1024,
    executor: Executor | None = None,
    progress: Progress | None = None,
    cancel: Callable[[], bool] | None = None,
) -> np.ndarray:
    """(n_runs, fields) array: SUMMARY_FIELDS, then RESPONSE_FIELDS if ``response``."""
    width = len(SUMMARY_FIELDS) + (len(RESPONSE_FIELDS) if response else 0)
    out = np.empty((plan.n_runs, width))
    for start, values in iter_reduced(plan, MetricsReducer(response, k0),
                                      keep_trajectories=response, chunk_size=chunk_size,
                                      executor=executor, progress=progress, cancel=cancel):
        out[start:start + len(values)] = values
    return out


def run_durations(plan: BatchPlan, k0: int = 0) -> np.ndarray:
    """Model time from step k0 to the end of every run (delta_t may vary per run)."""
    return plan.matrix[:, PARAM_INDEX["delta_t"]] * (plan.num_steps - k0)
