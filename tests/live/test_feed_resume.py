"""A live run fed from a Redis stream, handed from producer to producer: the checkpoint
keeps each live input's held value and stream offset, so the next producer continues
without a jump (the input keeps its value, not the feed's default) and reads the entries
added while no producer ran (from the offset, not only new ones). Real Redis."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from typing import Any

import numpy as np

from nexus_panel.engine.kernel import COLUMNS
from nexus_panel.live.producer import Producer
from nexus_panel.models import Scenario
from nexus_panel.storage import ScenarioStore
from nexus_panel.storage.live_runs import LiveStore

C = COLUMNS.index("C_cons")


def _newest_c(live: LiveStore) -> float | None:
    history = live.history("plant")
    return float(history[-1, C]) if len(history) else None


def _until(check: Callable[[], bool], timeout: float = 30.0) -> None:
    deadline = time.monotonic() + timeout
    while not check():
        assert time.monotonic() < deadline, "condition not met in time"
        time.sleep(0.02)


def _produce_for(live: LiveStore, steps: int, before: Callable[[], None] = lambda: None
                 ) -> tuple[int, int]:
    """Run a producer until it made ``steps`` steps after ``before()``; stop it (its
    checkpoint saved, the lease released). Returns the steps it resumed at and ended at."""
    producer = Producer(live, "plant")
    thread = threading.Thread(target=producer.run)
    first = live.get("plant").step
    thread.start()
    _until(lambda: producer.produced > 5)
    before()
    done = producer.produced
    _until(lambda: producer.produced > done + steps)
    producer.stop.set()
    thread.join(30)
    return first, live.get("plant").step


def test_a_resumed_run_keeps_its_value_and_reads_on_from_its_offset(
        sqlite_url: str, redis_stream: Any) -> None:
    client = redis_stream.client
    with ScenarioStore(sqlite_url) as store:
        redis_stream.define(store, "grid", "C")
        sc = Scenario.from_dict({"name": "resume", "params": {"num_steps": 100_000},
                                 "inputs": {"C_cons": {"kind": "feed", "feed": "grid",
                                                       "column": "C"}}})
        live = LiveStore(store)
        live.create("plant", sc.to_dict(), [], steps_per_second=400, max_steps=100_000,
                    checkpoint_every=20, state={})
        default = float(sc.inputs.C_cons.value)  # what a fresh run holds at first

        def read_250() -> None:
            client.xadd(redis_stream.name, {"time": 1, "C": 250})
            _until(lambda: _newest_c(live) == 250.0)

        _produce_for(live, 20, read_250)
        saved = live.get("plant").state["feeds"]["C_cons"]
        assert saved["value"] == 250.0 and saved["redis_id"].count("-") == 1

        # The next producer holds 250 from its first step (no message meanwhile).
        resumed, ended = _produce_for(live, 40)
        history = live.history("plant")
        assert np.all(history[resumed:ended, C] == 250.0)
        assert default != 250.0

        # An entry added while no producer runs is read by the next one.
        client.xadd(redis_stream.name, {"time": 2, "C": 400})
        resumed, _ = _produce_for(live, 40)
        _until(lambda: _newest_c(live) == 400.0, timeout=5)
        assert live.get("plant").state["feeds"]["C_cons"]["value"] == 400.0
        steps = live.history("plant")[:, C]
        assert len(steps) == live.get("plant").step  # no gap, no duplicate step
        live.control("plant", "stop")
