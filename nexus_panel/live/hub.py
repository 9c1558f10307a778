"""In-process fan-out of a live run's new rows to the sessions that watch it.

Why in-process first: a browser session and the producer are usually in the same server
process, and handing each block of rows straight to the watchers is what keeps the path
from a feed message to a drawn point short. A watcher in another process (``--num-procs``
or another machine) follows the run through the database instead (``live.follow``).

Watchers are called on the producer's thread with ``(first_step, rows, N)``; they must be
quick and must not raise (a Panel session schedules the drawing on its own document).
A watcher that raises is dropped, so one broken session cannot stall the producer.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable

import numpy as np

log = logging.getLogger(__name__)

Watcher = Callable[[int, np.ndarray, float], None]


class LiveHub:
    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._watchers: dict[str, list[Watcher]] = {}

    def watch(self, name: str, watcher: Watcher) -> Callable[[], None]:
        """Call ``watcher`` with every block the local producer of ``name`` computes;
        returns the function that stops it (call it when the session ends)."""
        with self._lock:
            self._watchers.setdefault(name, []).append(watcher)

        def unwatch() -> None:
            with self._lock:
                watchers = self._watchers.get(name, [])
                if watcher in watchers:
                    watchers.remove(watcher)
                if not watchers:
                    self._watchers.pop(name, None)
        return unwatch

    def watching(self, name: str) -> int:
        with self._lock:
            return len(self._watchers.get(name, ()))

    def watching_total(self) -> int:
        """Watchers of every run: the sessions this process feeds (they share its event
        loop, so the Live view paces its drawing by this)."""
        with self._lock:
            return sum(len(w) for w in self._watchers.values())

    def publish(self, name: str, first_step: int, rows: np.ndarray, n_value: float) -> None:
        with self._lock:
            watchers = list(self._watchers.get(name, ()))
        for watcher in watchers:
            try:
                watcher(first_step, rows, n_value)
            except Exception:  # a broken session must not stall the producer
                log.exception("live run %r: dropping a watcher that failed", name)
                with self._lock:
                    if watcher in self._watchers.get(name, []):
                        self._watchers[name].remove(watcher)


HUB = LiveHub()
"""This process's hub."""
