"""Keep every live run produced while any server process is up.

Each ``nexus-panel serve`` process (every ``--num-procs`` worker, every machine) runs one
supervisor thread. Once a second it lists the live runs; for each one that is running or
paused and has no producer in this process, it starts a :class:`Producer` thread, which
claims the run's lease if it is free or expired and otherwise stands by. So a run started
on the Live page is produced by exactly one process, and when that process dies another
takes over within the lease -- the same mechanism as ``nexus-panel live start``.

Why threads and not the event loop: a producer sleeps between steps and writes its
checkpoints synchronously; on the Tornado loop that would stall every page of the
process. The kernel releases the GIL, so a producer costs the pages little.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable

from nexus_panel.live.producer import STANDBY_POLL_S, Producer
from nexus_panel.storage.live_runs import ACTIVE, LiveStore

log = logging.getLogger(__name__)


class Supervisor:
    def __init__(self, live: Callable[[], LiveStore | None],
                 poll_s: float = STANDBY_POLL_S) -> None:
        self._live = live
        self.poll_s = poll_s
        self.stop = threading.Event()
        self.producers: dict[str, Producer] = {}
        self._lock = threading.Lock()
        self._thread: threading.Thread | None = None

    def start(self) -> Supervisor:
        self._thread = threading.Thread(target=self._loop, name="nexus-live-supervisor",
                                        daemon=True)
        self._thread.start()
        return self

    def _loop(self) -> None:
        while not self.stop.is_set():
            try:
                self.tick()
            except Exception as exc:  # a database hiccup must not end supervision
                log.warning("live supervisor: %s", exc)
            self.stop.wait(self.poll_s)
        with self._lock:
            for producer in self.producers.values():
                producer.stop.set()

    def tick(self) -> None:
        """Start a producer thread for every active run this process does not produce."""
        live = self._live()
        if live is None:
            return
        for info in live.runs():
            if info.status not in ACTIVE:
                continue
            with self._lock:
                if info.name in self.producers:
                    continue
                producer = Producer(live, info.name)
                self.producers[info.name] = producer
            threading.Thread(target=self._produce, args=(producer,), daemon=True,
                             name=f"nexus-live-{info.name[:40]}").start()

    def _produce(self, producer: Producer) -> None:
        try:
            outcome = producer.run()
            log.info("live run %r: %s", producer.name, outcome)
        except Exception:
            log.exception("live run %r: the producer failed", producer.name)
        finally:
            with self._lock:
                self.producers.pop(producer.name, None)

    def close(self) -> None:
        self.stop.set()
        if self._thread is not None:
            self._thread.join(timeout=5)
