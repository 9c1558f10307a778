"""Where an analysis's chunks run: threads in this process, or an existing Dask cluster.

The batch API (:func:`nexus_panel.engine.batch.iter_batch`) takes any
``concurrent.futures``-style executor and submits ``plan.run_chunk`` (a bound method) once
per chunk. Sent to Dask as is, the whole plan (parameter matrix, shared inputs) would be
pickled into every task. :class:`DaskExecutor` therefore ships the object a bound method
belongs to once per cluster with ``Client.scatter`` and sends each task only a reference
to it plus the chunk bounds. ``distributed.Future`` already has ``result()`` and
``cancel()``, which is all ``iter_batch`` uses.

``NEXUS_DASK_ADDRESS`` (or an explicit address, e.g. the CLI's ``--dask``) selects the
cluster; without one, chunks run on threads in-process (the kernels release the GIL).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from concurrent.futures import Executor
from contextlib import contextmanager
from typing import Any

from nexus_panel.models import FieldError, ValidationError

CONNECT_TIMEOUT = 10
"""Seconds to wait for the scheduler before reporting the address as unreachable."""


def _call_method(owner: Any, method: str, *args: Any) -> Any:
    """Runs on a worker: ``owner`` arrives as the scattered object itself."""
    return getattr(owner, method)(*args)


class DaskExecutor(Executor):
    """A ``concurrent.futures.Executor`` over a ``distributed.Client``.

    Bound methods are sent as (scattered owner, method name): the owner travels to the
    workers once, not once per task. ``_max_workers`` (read by ``iter_batch`` to size its
    window of tasks in flight) is the cluster's total thread count.
    """

    def __init__(self, client: Any) -> None:
        self.client = client
        self._scattered: dict[int, tuple[Any, Any]] = {}
        threads = sum(client.nthreads().values()) if client.nthreads() else 1
        self._max_workers = max(1, threads)

    def _reference(self, owner: Any) -> Any:
        key = id(owner)
        if key not in self._scattered:
            # Keep the owner alive beside its future so its id() cannot be reused.
            future = self.client.scatter(owner, broadcast=True, hash=False)
            self._scattered[key] = (owner, future)
        return self._scattered[key][1]

    def submit(self, fn: Callable[..., Any], /, *args: Any, **kwargs: Any) -> Any:
        owner = getattr(fn, "__self__", None)
        if owner is not None and not isinstance(owner, type) and not kwargs:
            return self.client.submit(_call_method, self._reference(owner), fn.__name__,
                                      *args, pure=False)
        return self.client.submit(fn, *args, pure=False, **kwargs)

    def shutdown(self, wait: bool = True, *, cancel_futures: bool = False) -> None:
        futures = [f for _, f in self._scattered.values()]
        self._scattered.clear()
        if futures:
            self.client.cancel(futures)


def dask_address(explicit: str | None = None) -> str | None:
    """The cluster to use: the explicit address, else ``NEXUS_DASK_ADDRESS``, else None."""
    from nexus_panel.settings import current

    return explicit or current().dask_address or None


@contextmanager
def analysis_executor(address: str | None = None) -> Iterator[Executor | None]:
    """Yield a DaskExecutor connected to the cluster, or None (threads in-process).

    The connection is closed afterwards; the cluster itself is left running.
    """
    target = dask_address(address)
    if target is None:
        yield None
        return
    from distributed import Client

    try:
        client = Client(target, set_as_default=False, timeout=CONNECT_TIMEOUT)
    except (OSError, TimeoutError) as exc:
        raise ValidationError([FieldError("dask", target, "the address of a running Dask "
                                          f"scheduler ({type(exc).__name__})")]) from None
    executor = DaskExecutor(client)
    try:
        yield executor
    finally:
        executor.shutdown()
        client.close()
