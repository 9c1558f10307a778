"""Faults and load on the real databases: dropped connections, concurrent writers, and
failed writes that must leave nothing behind."""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import Any

import pytest
import sqlalchemy as sa
from storage_helpers import count_rows, execute, make_scenario

from nexus_panel.storage import RevisionRecord, ScenarioStore, StorageError
from nexus_panel.storage.schema import PARAM_COLUMNS, ScenarioRow


def _together(count: int, url: str, work: Callable[[ScenarioStore, int], Any]) -> list[Any]:
    """Run ``work(store, i)`` in ``count`` threads, each with its own store (connection
    pool), released at the same instant."""
    stores = [ScenarioStore(url) for _ in range(count)]
    barrier = threading.Barrier(count)
    results: list[Any] = [None] * count

    def run(i: int) -> None:
        barrier.wait()
        try:
            results[i] = work(stores[i], i)
        except Exception as exc:  # reported below, with the thread's index
            results[i] = exc

    threads = [threading.Thread(target=run, args=(i,)) for i in range(count)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=120)
    for s in stores:
        s.close()
    errors = [r for r in results if isinstance(r, Exception)]
    assert not errors, errors
    return results


def test_twenty_concurrent_writers_get_gapless_unique_revisions(store: ScenarioStore,
                                                                db_url: str) -> None:
    store.save(make_scenario(), message="base")
    # alpha 1.1 .. 3.0: never the base's 1.0 (writer 9 with 0.1 * 10 == 1.0 saved the base
    # content again when it won the race, so got revision 1 back: a flaky failure)
    saved: list[RevisionRecord] = _together(20, db_url, lambda s, i: s.save(
        make_scenario(alpha=0.1 * (i + 11)), message=f"writer {i}", author=f"user{i}"))
    assert sorted(r.number for r in saved) == list(range(2, 22))
    history = store.revisions("baseline")
    assert [r.number for r in history] == list(range(1, 22))
    assert {r.message for r in history[1:]} == {f"writer {i}" for i in range(20)}
    assert {r.params["alpha"] for r in history[1:]} == {0.1 * (i + 11) for i in range(20)}
    assert store.get("baseline").revision == 21
    check = store.verify_audit()
    assert check.ok and check.checked == 21  # one chain, not forked by the race


def test_concurrent_first_saves_of_one_name_make_one_scenario(store: ScenarioStore,
                                                              db_url: str) -> None:
    saved = _together(8, db_url, lambda s, i: s.save(make_scenario("fresh", beta=0.1 * (i + 1))))
    assert sorted(r.number for r in saved) == list(range(1, 9))
    assert len({r.scenario_id for r in saved}) == 1
    assert [e.action for e in store.audit_events()].count("create") == 1


def test_a_failed_write_leaves_no_partial_rows(store: ScenarioStore, db_url: str) -> None:
    store.save(make_scenario(), message="base")
    # A rogue client takes the next revision number behind the store's back: the store's
    # next save then violates UNIQUE (scenario_id, number) half-way through its writes.
    columns = ", ".join(f'"{c}"' for c in ("scenario_id", "description", "inputs",
                                           "content_hash", "author", "message", "created_at",
                                           *PARAM_COLUMNS))
    execute(db_url, f"INSERT INTO scenario_revisions (number, {columns}) "
                    f"SELECT 2, {columns} FROM scenario_revisions WHERE number = 1")
    before = {t: count_rows(db_url, t) for t in ("scenarios", "scenario_revisions",
                                                 "audit_events")}
    changed = make_scenario(alpha=3.0)
    changed.description = "must not stick"
    with pytest.raises(StorageError, match="nothing was saved"):
        store.save(changed, message="lost")
    assert {t: count_rows(db_url, t) for t in before} == before
    info = store.get("baseline")
    assert (info.revision, info.description) == (1, "")  # the scenario row rolled back too
    assert store.verify_audit().ok


@pytest.mark.postgres
def test_the_next_operation_survives_a_killed_connection(pg_url: str) -> None:
    def kill_connections() -> int:
        admin = sa.create_engine(pg_url, isolation_level="AUTOCOMMIT")
        with admin.connect() as conn:
            killed = conn.execute(sa.text(
                "SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity "
                "WHERE datname = current_database() AND pid <> pg_backend_pid()")).scalar_one()
        admin.dispose()
        return int(killed)

    with ScenarioStore(pg_url) as store:
        store.save(make_scenario())
        assert kill_connections() >= 1  # the store's pooled connection is gone
        assert [s.name for s in store.list()] == ["baseline"]
        assert kill_connections() >= 1
        assert store.save(make_scenario(alpha=2.0)).number == 2
        assert kill_connections() >= 1
        assert store.load("baseline").params.alpha == 2.0


@pytest.mark.postgres
def test_a_read_whose_connection_dies_mid_way_is_retried(pg_url: str) -> None:
    """pre-ping cannot help once a connection was handed out: the read retry must."""
    admin = sa.create_engine(pg_url, isolation_level="AUTOCOMMIT")
    calls: list[int] = []

    def read_after_losing_the_connection(session: sa.orm.Session) -> list[str]:
        pid = session.execute(sa.text("SELECT pg_backend_pid()")).scalar_one()
        calls.append(pid)
        if len(calls) == 1:
            with admin.connect() as conn:
                conn.execute(sa.text("SELECT pg_terminate_backend(:p)"), {"p": pid})
        return [s.name for s in session.execute(sa.select(ScenarioRow.name))]

    with ScenarioStore(pg_url) as store:
        store.save(make_scenario())
        names = store._read(read_after_losing_the_connection, "read")
    admin.dispose()
    assert names == ["baseline"]
    assert len(calls) == 2 and calls[0] != calls[1]  # retried on a fresh connection
