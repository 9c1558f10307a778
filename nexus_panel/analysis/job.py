"""One analysis run as a job: start, progress, cancel, result, save -- without Panel.

Why apart from the page: what a run does (which runner, its progress counter, the
cancel flag, the worker thread, saving under a scenario name someone chose) is the same
for a notebook, a test and a page, and can be tested without a browser or a document.
The page's view (nexus_panel.views.analysis_common.AnalysisView) only shows it: it starts
the job, polls :meth:`AnalysisJob.poll` on its event loop and renders the result.

Threads: ``start`` runs the analysis on a small process-wide pool (the numba kernels
release the GIL; with a Dask address the chunks go to the cluster); the worker writes
only the progress counter, the caller's thread reads it in ``poll``.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor
from typing import Any

from nexus_panel.analysis.chunks import Cancelled, Progress
from nexus_panel.analysis.executors import analysis_executor
from nexus_panel.analysis.registry import ANALYSES, AnalysisResult, kind_of
from nexus_panel.analysis.saving import named_scenario
from nexus_panel.analysis.specs import SpecBase

_RUNNER = ThreadPoolExecutor(max_workers=4, thread_name_prefix="nexus-analysis")
"""Runs analyses off the caller's thread. Each analysis fans out to its own chunk threads
(or the Dask cluster); this pool only bounds how many analyses run at once per process."""


Runner = Callable[[SpecBase, Progress, Callable[[], bool]], Any]
"""``runner(spec, progress, cancel)``: runs ``spec``, reporting ``progress(done, total)``
and stopping when ``cancel()`` turns True."""


def registry_runner(analysis: str) -> Runner:
    """The runner of a registered analysis (batched ones on the analysis executor)."""
    entry = ANALYSES[analysis]

    def run(spec: SpecBase, progress: Progress, cancel: Callable[[], bool]) -> Any:
        if not entry.batched:
            return entry.run(spec)
        with analysis_executor() as executor:
            return entry.run(spec, executor=executor, progress=progress, cancel=cancel)

    return run


class AnalysisJob:
    """Runs one analysis at a time; keeps the latest finished result.

    ``analysis`` is a registry name, or a :data:`Runner` for analyses whose results live
    elsewhere (the tuning studies)."""

    def __init__(self, analysis: str | Runner) -> None:
        self.runner = registry_runner(analysis) if isinstance(analysis, str) else analysis
        self.result: AnalysisResult | None = None
        self._stop = threading.Event()
        self._done = (0, 1)
        self._future: Future[Any] | None = None

    # --- running ---------------------------------------------------------------------------
    @property
    def running(self) -> bool:
        return self._future is not None

    @property
    def percent(self) -> int:
        """Share of the runs done, 0-100 (as the runner last reported it)."""
        done, total = self._done
        return int(100 * done / max(total, 1))

    def compute(self, spec: SpecBase) -> AnalysisResult:
        """Run ``spec`` here and now (the worker's body). The cancel flag is cleared by the
        caller beforehand, never here: a Cancel pressed before the worker starts counts."""
        def progress(done: int, total: int) -> None:
            self._done = (done, total)

        return self.runner(spec, progress, self._stop.is_set)

    def run(self, spec: SpecBase) -> AnalysisResult:
        """Run synchronously and keep the result."""
        self._stop.clear()
        self.result = self.compute(spec)
        self._done = (1, 1)
        return self.result

    def start(self, spec: SpecBase) -> bool:
        """Start ``spec`` on a worker thread; False if one is already running."""
        if self.running:
            return False
        self._stop.clear()
        self._done = (0, 1)
        self._future = _RUNNER.submit(self.compute, spec)
        return True

    def poll(self) -> AnalysisResult | None:
        """The new result once the started run finished, else None. A failure (a bad
        value, an unreachable cluster, :class:`Cancelled`) is raised here, once."""
        future = self._future
        if future is None or not future.done():
            return None
        self._future = None
        self.result = future.result()
        return self.result

    def cancel(self) -> None:
        """Stop the running analysis after its current chunk (``poll`` then raises
        :class:`Cancelled`)."""
        self._stop.set()

    # --- saving ----------------------------------------------------------------------------
    def save(self, store: Any, name: str | None, message: str = "") -> Any:
        """Store the result with its scenario under ``name`` (else the scenario's own
        name; an unnamed scenario is refused with a ValidationError on ``name``)."""
        result = self.result
        if result is None:
            raise ValueError("nothing to save: no analysis has finished")
        scenario = named_scenario(result.spec.base_scenario, name,
                                  "type a scenario name beside Save analysis")
        return store.save_analysis(scenario, kind_of(result), result, message=message)


__all__ = ["AnalysisJob", "Cancelled"]
