"""Concurrent multi-scenario saves on the real PostgreSQL: no deadlocks, no lost saves.

``save_many([A, B])`` used to lock A, take the audit chain's lock, then wait for B, while a
concurrent ``save(B)`` held B and waited for the audit lock: PostgreSQL broke the cycle by
failing one of them (21 of 45 saves). Row locks are now taken in one global order before
the audit lock, and a deadlock or serialisation failure that still happens (another
client's locks) is retried with backoff.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor

import pytest
import sqlalchemy as sa
from sqlalchemy.orm import Session
from storage_helpers import make_scenario

from nexus_panel.storage import ScenarioStore, StorageError
from nexus_panel.storage.store import WRITE_ATTEMPTS

pytestmark = pytest.mark.postgres
ROUNDS = 12


Worker = Callable[[ScenarioStore, int], object]


def _rounds(url: str, workers: list[Worker]) -> None:
    """Run every worker ``ROUNDS`` times, all released together each round, each with its
    own store (connection pool) for all rounds; no call may fail."""
    stores = [ScenarioStore(url) for _ in workers]
    barrier = threading.Barrier(len(workers))
    failures: list[str] = []

    def work(index: int) -> None:
        for round_ in range(ROUNDS):
            barrier.wait()
            try:
                workers[index](stores[index], round_)
            except Exception as exc:  # collected and asserted below, keeping the rounds going
                failures.append(f"worker {index} round {round_}: {exc}")

    try:
        with ThreadPoolExecutor(len(workers)) as pool:
            list(pool.map(work, range(len(workers))))
    finally:
        for store in stores:
            store.close()
    assert failures == []


def test_save_many_against_save_in_both_orders_never_fails(pg_url: str) -> None:
    with ScenarioStore(pg_url) as store:
        store.save_many([make_scenario("A"), make_scenario("B")])

    def pair(first: str, second: str, offset: float) -> Worker:
        return lambda s, r: s.save_many([make_scenario(first, alpha=offset + r / 100),
                                         make_scenario(second, alpha=offset + r / 100)])

    def single(name: str, offset: float) -> Worker:
        return lambda s, r: s.save(make_scenario(name, alpha=offset + r / 100))

    _rounds(pg_url, [pair("A", "B", 1.1), single("B", 1.5), pair("B", "A", 2.1),
                     single("A", 2.5)])
    with ScenarioStore(pg_url) as store:
        # every save made a revision: 1 initial + 12 x (two pairs + one single) each
        assert [store.get(n).revision for n in ("A", "B")] == [1 + 3 * ROUNDS] * 2
        check = store.verify_audit()
        assert check.ok and check.checked == 2 + 6 * ROUNDS


def test_new_names_saved_together_in_opposite_orders_never_fail(pg_url: str) -> None:
    """Two first saves of the same new names, in opposite orders: inserting a unique name
    waits on the other transaction's insert, so new rows need the global order too."""
    def pair(first: str, second: str) -> Worker:
        return lambda s, r: s.save_many([make_scenario(f"{first}{r}", beta=0.5 + r / 100),
                                         make_scenario(f"{second}{r}", beta=0.7 + r / 100)])

    _rounds(pg_url, [pair("x", "y"), pair("y", "x")])
    with ScenarioStore(pg_url) as store:
        assert len(store.list()) == 2 * ROUNDS
        assert all(info.revision == 2 for info in store.list())


def test_a_persistent_deadlock_gives_up_after_bounded_retries(pg_url: str) -> None:
    """Each attempt meets a real PostgreSQL deadlock error (SQLSTATE 40P01): retried with
    backoff a bounded number of times, then one StorageError saying nothing was saved."""
    attempts: list[int] = []

    def deadlocked(session: Session) -> None:
        attempts.append(1)
        session.execute(sa.text("DO $$ BEGIN RAISE EXCEPTION 'deadlock detected (test)' "
                                "USING ERRCODE = 'deadlock_detected'; END $$"))

    with ScenarioStore(pg_url) as store, pytest.raises(StorageError) as err:
        store._write(deadlocked, "save scenario 'A'")
    assert len(attempts) == WRITE_ATTEMPTS
    message = str(err.value)
    assert message.startswith("could not save scenario 'A' at postgresql")
    assert f"after {WRITE_ATTEMPTS} attempts" in message and "nothing was saved" in message
    assert "\n" not in message
