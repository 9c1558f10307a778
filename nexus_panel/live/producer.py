"""The producer of a live run: steps the scenario in real time and checkpoints it.

One producer per run in the whole deployment (the lease in ``storage.live_runs``). It
runs the same kernel as :func:`nexus_panel.simulate` (``kernel.advance``), one step at a
time, on the same input sampler, so a live run driven by its scenario's signals is the
batch run of that scenario, row for row and bit for bit -- also across a takeover: the
checkpoint holds the kernel's whole state vector and the step, and the next producer
fast-forwards the input sampler to that step (the random walk draws the same numbers).

Pacing: the steps due are ``rate x (now - start)``; each tick computes them all (at most
:data:`MAX_STEPS_PER_TICK`, so a stalled process catches up in bounded bursts) and then
sleeps until the next step is due. Every :attr:`checkpoint_every` steps, or
:data:`HEARTBEAT_S` seconds, the rows since the last checkpoint, the state and the alert
events go to the database in one fenced write that also renews the lease and reads back
the status an editor may have changed (pause, stop).

Live feed values (MQTT, Redis) enter through ``overrides``: per input, a function giving
the latest value (None: keep the scenario's own signal for that step).
"""

from __future__ import annotations

import logging
import os
import socket
import threading
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from nexus_panel.engine.kernel import (
    COLUMNS,
    N_INIT,
    S_LEDGER,
    S_LEDGER_C,
    S_N,
    S_SATURATED,
    S_STEP,
    STATE_SIZE,
    advance,
    start_state,
)
from nexus_panel.engine.simulate import param_vector
from nexus_panel.live.alerts import AlertMachine, AlertRule
from nexus_panel.live.feed_inputs import live_inputs
from nexus_panel.live.hub import HUB, LiveHub
from nexus_panel.live.webhook import WebhookSender
from nexus_panel.models import INPUT_NAMES, Scenario
from nexus_panel.storage.errors import StorageError
from nexus_panel.storage.live_runs import LeaseLost, LiveInfo, LiveStore

log = logging.getLogger(__name__)

LEASE_S = 6.0
"""How long a lease holds without renewal: a producer that died is replaced after at most
this plus one :data:`STANDBY_POLL_S` (the issue asks for 10 s)."""
HEARTBEAT_S = 1.0
STANDBY_POLL_S = 1.0
MAX_STEPS_PER_TICK = 2_000
MAX_SLEEP_S = 0.05
_NO_TRAJ = np.empty(0)
I_COL, B_COL, S_COL, PHI_COL = (COLUMNS.index(c) for c in ("I", "B", "S", "Phi"))
INPUT_COL = {name: COLUMNS.index(name) for name in INPUT_NAMES}


def producer_id() -> str:
    """Who produces: host, process and a random part (two producers in one process, as
    in the tests, are still told apart)."""
    return f"{socket.gethostname()[:60]}:{os.getpid()}:{uuid.uuid4().hex[:8]}"


@dataclass
class Checkpointed:
    """What a producer resumes from: the kernel state and each rule's alert machine."""

    kernel: np.ndarray
    alerts: list[tuple[str, int]] = field(default_factory=list)
    feeds: dict[str, dict[str, Any]] = field(default_factory=dict)
    """Each live input's held value and stream offset (``LiveInputs.offsets``)."""

    def to_json(self) -> dict[str, Any]:
        return {"kernel": [float(x) for x in self.kernel], "alerts": self.alerts,
                "N": float(self.kernel[S_N]), "feeds": self.feeds}


class Producer:
    """Produce live run ``name`` until it ends, is stopped, or ``stop`` is set."""

    def __init__(self, live: LiveStore, name: str, *, lease_s: float = LEASE_S,
                 overrides: dict[str, Callable[[], float | None]] | None = None,
                 hub: LiveHub = HUB, producer: str | None = None) -> None:
        self.live = live
        self.name = name
        self.lease_s = lease_s
        self.overrides = overrides or {}
        self.hub = hub
        self.id = producer or producer_id()
        self.stop = threading.Event()
        self.produced = 0
        self.webhook: WebhookSender | None = None
        """Steps this producer computed (for tests and the status line)."""

    # --- the outer loop: wait for the lease, produce, repeat -------------------------------
    def run(self) -> str:
        """Block until the run is final (returns its status) or ``stop`` is set (returns
        "released": the lease is given up, another producer may continue)."""
        while not self.stop.is_set():
            info = self.live.claim(self.name, self.id, self.lease_s)
            if info is None:
                current = self.live.get(self.name)
                if current.status not in ("running", "paused"):
                    return current.status
                self.stop.wait(STANDBY_POLL_S)  # someone else produces: stand by
                continue
            try:
                status = self._produce(info)
            except LeaseLost as exc:
                log.warning("live run %r: %s", self.name, exc)
                continue
            except StorageError:
                raise  # the database is away: the supervisor (or the user) retries later
            except Exception as exc:  # not the database's doing: retrying would fail again
                log.exception("live run %r failed", self.name)
                self.live.fail(info.id, self.id, f"{type(exc).__name__}: {exc}")
                return "failed"
            if status != "released":
                return status
        return "released"

    # --- producing ----------------------------------------------------------------------------
    def _produce(self, info: LiveInfo) -> str:
        feeds = live_inputs(Scenario.from_dict(info.scenario), self.live.store,
                            resume=info.state.get("feeds"))
        self.webhook = webhook_for(info, self.live)
        try:
            return self._produce_with(info, feeds.scenario,
                                      {**feeds.overrides, **self.overrides}, feeds.offsets)
        finally:
            feeds.close()
            if self.webhook is not None:
                self.webhook.close()

    def _produce_with(self, info: LiveInfo, scenario: Scenario,
                      overrides: dict[str, Callable[[], float | None]],
                      offsets: Callable[[], dict[str, dict[str, Any]]] = dict) -> str:
        params = scenario.params
        p = param_vector(params)
        sampler = scenario.inputs.sampler(params.num_steps, params.delta_t)
        step = info.step
        while sampler.position < step:  # fast-forward: same draws as the batch run
            sampler.take(min(65_536, step - sampler.position))
        point = self._resume(info, p)
        machines = [AlertMachine(AlertRule.from_dict(r), *point.alerts[i])
                    if i < len(point.alerts) else AlertMachine(AlertRule.from_dict(r))
                    for i, r in enumerate(info.rules)]
        state = point.kernel
        rate = info.steps_per_second
        last_write = time.monotonic()
        pending: list[np.ndarray] = []
        events: list[dict[str, Any]] = []
        written = step  # the stored history ends here
        clock_start, clock_step = time.monotonic(), step
        status = info.status

        def checkpoint(final: str | None = None) -> str:
            nonlocal written, last_write, pending, events
            rows = np.concatenate(pending) if pending else np.empty((0, len(COLUMNS)))
            alerts = [(m.state, m.streak) for m in machines]
            result = self.live.checkpoint(
                info.id, self.id, written, rows,
                state=Checkpointed(state.copy(), alerts, offsets()).to_json(), events=events,
                lease_s=self.lease_s, final_status=final)
            written += rows.shape[0]
            pending, events, last_write = [], [], time.monotonic()
            return result

        while True:
            if self.stop.is_set():
                checkpoint()
                self.live.release(info.id, self.id)
                return "released"
            if status == "paused":
                if time.monotonic() - last_write >= HEARTBEAT_S:
                    status = checkpoint()
                    clock_start, clock_step = time.monotonic(), int(state[S_STEP])
                self.stop.wait(MAX_SLEEP_S)
                continue
            if status == "stopped":
                checkpoint("stopped")
                return "stopped"
            now = time.monotonic()
            k = int(state[S_STEP])
            due = int((now - clock_start) * rate) + clock_step - k
            due = max(0, min(due, MAX_STEPS_PER_TICK, info.max_steps - k))
            if due:
                block = sampler.take(due)
                override(block, overrides)
                rows = np.empty((due, len(COLUMNS)))
                for j in range(due):
                    advance(p, block[:, j:j + 1], state, rows[j:j + 1], _NO_TRAJ)
                    for machine in machines:
                        event = machine.observe(k + j, metric(machine.rule.metric, rows[j],
                                                              state, p))
                        if event is not None:
                            events.append(event.to_dict())
                            if self.webhook is not None:
                                self.webhook.send(event.to_dict())
                pending.append(rows)
                self.produced += due
                self.hub.publish(self.name, k, rows, state[S_N])
            k = int(state[S_STEP])
            if k >= info.max_steps:
                checkpoint("finished")
                return "finished"
            if sum(len(r) for r in pending) >= info.checkpoint_every or \
                    time.monotonic() - last_write >= HEARTBEAT_S:
                status = checkpoint()
            next_due = clock_start + (k + 1 - clock_step) / rate
            self.stop.wait(min(MAX_SLEEP_S, max(0.0, next_due - time.monotonic())))

    def _resume(self, info: LiveInfo, p: np.ndarray) -> Checkpointed:
        saved = info.state.get("kernel")
        if saved is None:
            kernel = np.empty(STATE_SIZE)
            start_state(p, kernel)
            return Checkpointed(kernel)
        kernel = np.asarray(saved, dtype=np.float64)
        if kernel.shape != (STATE_SIZE,) or int(kernel[S_STEP]) != info.step:
            raise ValueError(f"live run {info.name!r}: the checkpoint does not match step "
                             f"{info.step}")
        return Checkpointed(kernel, [tuple(a) for a in info.state.get("alerts", [])])



def webhook_for(info: LiveInfo, live: LiveStore) -> WebhookSender | None:
    """The run's alert webhook (its URL re-checked against the allowlist per delivery)."""
    if not info.webhook:
        return None
    from nexus_panel.feeds.store import FeedStore

    feeds = FeedStore(live.store)
    return WebhookSender(info.name, info.webhook["url"], info.webhook.get("secret_env", ""),
                         lambda: frozenset((e.host, e.port) for e in feeds.allowlist()))


def override(block: np.ndarray, overrides: dict[str, Callable[[], float | None]]) -> None:
    """Put each live input's newest value into the tick's block of inputs."""
    for name, newest in overrides.items():
        value = newest()
        if value is not None:
            block[INPUT_NAMES.index(name), :] = value


def metric(name: str, row: np.ndarray, state: np.ndarray, p: np.ndarray) -> float:
    """Alert metric ``name`` at the step in ``row`` (state: the kernel's, after it)."""
    if name == "N":
        return float(row[1])
    if name == "S":
        return float(row[S_COL])
    if name == "Phi":
        return float(row[PHI_COL])
    if name == "I_minus_B":
        return float(row[I_COL] - row[B_COL])
    if name == "ledger_residual":
        return float((state[S_N] - p[N_INIT]) - (state[S_LEDGER] + state[S_LEDGER_C]))
    if name == "phi_saturated_share":
        return float(state[S_SATURATED] / max(state[S_STEP], 1.0))
    return float(row[INPUT_COL[name]])
