"""Live runs against a real database: the live history is the batch run bit for bit, a
hung producer is replaced from its checkpoint (and fenced out), controls and roles."""

from __future__ import annotations

import threading
import time
from typing import Any

import numpy as np
import pytest

from nexus_panel.engine import simulate
from nexus_panel.engine.kernel import COLUMNS
from nexus_panel.live.alerts import AlertRule, replay
from nexus_panel.live.producer import Producer
from nexus_panel.models import Scenario, Signal
from nexus_panel.storage import PermissionDenied, ScenarioStore
from nexus_panel.storage.errors import ConflictError
from nexus_panel.storage.live_runs import LiveStore

SECRET = "a long enough secret"


def scenario(steps: int = 600) -> Scenario:
    s = Scenario(name="live test")
    s.params.num_steps = steps
    s.inputs.C_cons = Signal(kind="random_walk", initial=60, volatility=2.0, seed=7)
    s.inputs.H = Signal(kind="sinusoidal", offset=100, amplitude=20, frequency=0.01)
    return s


def start(live: LiveStore, name: str, sc: Scenario, *, rules: list[dict[str, Any]] | None = None,
          rate: float = 5000, every: int = 50) -> None:
    live.create(name, sc.to_dict(), rules or [], steps_per_second=rate,
                max_steps=sc.params.num_steps, checkpoint_every=every, state={})


def batch_rows(sc: Scenario) -> np.ndarray:
    frame = simulate(sc).frame
    return frame[list(COLUMNS)].to_numpy()[:-1]  # one row per step; the last row is the end


def wait_until(check, timeout: float = 30.0) -> None:
    deadline = time.monotonic() + timeout
    while not check():
        assert time.monotonic() < deadline, "condition not met in time"
        time.sleep(0.02)


def test_live_history_is_the_batch_run_and_alerts_match(db_url: str) -> None:
    sc = scenario()
    rule = {"metric": "N", "above": 1000.0, "clear": 990.0, "min_steps": 3}
    with ScenarioStore(db_url) as store:
        live = LiveStore(store)
        start(live, "exact", sc, rules=[rule])
        assert Producer(live, "exact").run() == "finished"
        info = live.get("exact")
        assert info.status == "finished" and info.step == 600 and info.producer is None
        history = live.history("exact")
        expected = batch_rows(sc)
        assert history.shape == expected.shape
        assert np.array_equal(history, expected, equal_nan=True)  # bit for bit
        assert np.array_equal(live.history("exact", since_step=550), expected[550:])
        events = [(e["state"], e["step"]) for e in live.alerts("exact")]
        assert events == [(e.state, e.step) for e in
                          replay(AlertRule.from_dict(rule), list(expected[:, 1]))]
        assert info.to_dict()["N"] == pytest.approx(float(simulate(sc).frame["N"].iloc[-1]))
        # saved as an ordinary scenario revision with its run: the batch run, exactly
        from nexus_panel.live.history import save_live_run

        name, number = save_live_run(live, "exact")
        stored = store.load_run(store.runs(name)[0].id)
        assert number == 1 and stored.summary == simulate(sc).summary
        assert np.array_equal(stored.frame[list(COLUMNS)].to_numpy(),
                              simulate(sc).frame[list(COLUMNS)].to_numpy(), equal_nan=True)


class Hung(LiveStore):
    """A store whose checkpoints block until released: a producer process that hangs."""

    def __init__(self, store: ScenarioStore) -> None:
        super().__init__(store)
        self.hang = threading.Event()
        self.go = threading.Event()

    def checkpoint(self, *args: Any, **kwargs: Any) -> str:
        if self.hang.is_set():
            self.go.wait(60)
        return super().checkpoint(*args, **kwargs)


def test_a_hung_producer_is_replaced_from_its_checkpoint_and_fenced_out(db_url: str) -> None:
    sc = scenario(3000)
    with ScenarioStore(db_url) as store:
        hung = Hung(store)
        start(hung, "takeover", sc, rate=1000, every=100)
        first = Producer(hung, "takeover", lease_s=1.0)
        outcome: dict[str, str] = {}
        thread = threading.Thread(target=lambda: outcome.update(first=first.run()))
        thread.start()
        wait_until(lambda: LiveStore(store).get("takeover").step >= 500)
        hung.hang.set()  # from now on the first producer cannot write
        stuck_at = LiveStore(store).get("takeover").step
        second = Producer(LiveStore(store), "takeover", lease_s=1.0)
        began = time.monotonic()
        assert second.run() == "finished"
        assert time.monotonic() - began < 10 + 3.0  # took over within the lease + a poll
        hung.go.set()  # the first one wakes up: its write is refused, it does not produce
        thread.join(30)
        assert outcome["first"] == "finished"
        history = LiveStore(store).history("takeover")
        assert history.shape[0] == 3000
        assert np.array_equal(history, batch_rows(sc), equal_nan=True)  # no gap, no repeat
        assert second.produced == 3000 - stuck_at


def test_pause_resume_stop_and_roles(sqlite_url: str) -> None:
    sc = scenario(100_000)
    with ScenarioStore(sqlite_url) as local:
        local.add_user("ed", "editor", SECRET)
        local.add_user("eve", "editor", SECRET)
        local.add_user("vic", "viewer", SECRET)
    with ScenarioStore(sqlite_url, user="vic") as viewer, \
            pytest.raises(PermissionDenied, match="'vic' may not start"):
        start(LiveStore(viewer), "ctl", sc)
    with ScenarioStore(sqlite_url, user="ed") as store:
        live = LiveStore(store)
        start(live, "ctl", sc, rate=200)
        with pytest.raises(ConflictError, match="running already"):
            start(live, "ctl", sc)
        producer = Producer(live, "ctl")
        thread = threading.Thread(target=producer.run)
        thread.start()
        wait_until(lambda: live.get("ctl").step > 20)
        live.control("ctl", "pause")
        wait_until(lambda: live.get("ctl").status == "paused")
        time.sleep(1.5)  # one heartbeat: it records where it paused
        held = live.get("ctl").step
        time.sleep(1.2)
        assert live.get("ctl").step == held  # paused: no step is added
        with ScenarioStore(sqlite_url, user="eve") as other, \
                pytest.raises(PermissionDenied, match="belongs to 'ed'"):
            LiveStore(other).control("ctl", "stop")
        live.control("ctl", "resume")
        wait_until(lambda: live.get("ctl").step > held)
        live.control("ctl", "stop")
        thread.join(10)
        info = live.get("ctl")
        assert info.status == "stopped" and info.producer is None
        assert live.history("ctl").shape[0] == info.step
        actions = [e.details.get("change") for e in store.audit_events()
                   if e.action == "live"]
        assert actions[::-1] == ["start", "pause", "resume", "stop"]  # newest first
