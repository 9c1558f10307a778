"""Where the web app's computations run: bounded thread pools, kept fair.

Why: every page session and every download shares one process. A run computed on the
event loop stalls every session of that process meanwhile, and downloads of long runs in
one shared pool made a 10-step download wait a minute behind eight long ones. So work
runs off the event loop in two *lanes*: jobs of at most ``settings.small_steps`` steps in
the small lane, longer ones in the large lane, each with its own threads, so a small job
never queues behind a long one. The large lane is bounded twice: at most
``client_jobs`` jobs per client address (running or queued), and at most
``queue_limit`` queued in all; past either, :class:`Busy` says when to retry (the HTTP
routes answer 429/503 with Retry-After). The numba kernels release the GIL, so threads
do run in parallel.
"""

from __future__ import annotations

import threading
from collections import Counter
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor
from typing import Any, TypeVar

from nexus_panel.settings import Settings, current

T = TypeVar("T")


class Busy(Exception):
    """The server cannot take this job now; ``status`` is the HTTP status to answer."""

    def __init__(self, message: str, status: int, retry_after: int) -> None:
        super().__init__(message)
        self.status = status
        self.retry_after = retry_after


class WorkPool:
    """The small and the large lane of one process."""

    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self._small = ThreadPoolExecutor(settings.small_workers, thread_name_prefix="nx-small")
        self._large = ThreadPoolExecutor(settings.large_workers, thread_name_prefix="nx-large")
        self._lock = threading.Lock()
        self._per_client: Counter[str] = Counter()
        self._large_jobs = 0

    def is_small(self, steps: int) -> bool:
        return steps <= self.settings.small_steps

    def submit(self, steps: int, fn: Callable[..., T], /, *args: Any,
               client: str | None = None) -> Future[T]:
        """Run ``fn(*args)`` in the lane for a job of ``steps`` steps. A large job from
        ``client`` (an address; None: a page session, limited by its own coalescing)
        counts against that client's limit until it ends. Raises :class:`Busy`."""
        if self.is_small(steps):
            return self._small.submit(fn, *args)
        s = self.settings
        with self._lock:
            if client is not None and self._per_client[client] >= s.client_jobs:
                raise Busy(f"{s.client_jobs} long downloads from your address are already "
                           "running or waiting; retry when one has finished", 429, 10)
            if self._large_jobs >= s.queue_limit + s.large_workers:
                raise Busy("the server is busy with long runs; retry in a minute", 503, 60)
            self._large_jobs += 1
            if client is not None:
                self._per_client[client] += 1
        future = self._large.submit(fn, *args)
        future.add_done_callback(lambda _f: self._release(client))
        return future

    def _release(self, client: str | None) -> None:
        with self._lock:
            self._large_jobs -= 1
            if client is not None:
                self._per_client[client] -= 1
                if self._per_client[client] <= 0:
                    del self._per_client[client]

    def load(self) -> dict[str, int]:
        """Large jobs running or queued, and how many clients they belong to."""
        with self._lock:
            return {"large_jobs": self._large_jobs, "clients": len(self._per_client)}

    def shutdown(self) -> None:
        self._small.shutdown(wait=False, cancel_futures=True)
        self._large.shutdown(wait=False, cancel_futures=True)


_LOCK = threading.Lock()
_POOLS: dict[int, WorkPool] = {}


def pool() -> WorkPool:
    """The process's pool, built from the current settings (rebuilt if they change)."""
    settings = current()
    with _LOCK:
        existing = _POOLS.get(id(settings))
        if existing is None:
            for old in _POOLS.values():
                old.shutdown()
            _POOLS.clear()
            existing = _POOLS[id(settings)] = WorkPool(settings)
        return existing


def check_steps(num_steps: int) -> str | None:
    """Why ``num_steps`` may not run here (the ``max_steps`` budget), or None."""
    limit = current().max_steps
    if num_steps <= limit:
        return None
    return (f"num_steps = {num_steps:,} is more than this server computes for a visitor "
            f"(at most {limit:,}; the operator sets this with --max-steps)")
