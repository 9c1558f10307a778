"""Write transactions that cannot deadlock one another, and the retry for those that still
meet a transient failure.

Why: a save locks its scenario row, then appends to the audit chain under one global
lock, which it holds until commit. A transaction touching two scenarios used to lock the
first, take the audit lock, then wait for the second, while a save of the second held
that row and waited for the audit lock: a cycle PostgreSQL breaks by failing one side
(21 of 45 such saves). So every write transaction first claims all its scenario rows, one
at a time in one global order (their names, sorted), before anything takes the audit
lock. A new name is claimed by inserting its row at its place in that order, because a
second insert of the same unique name waits for the first exactly like a row lock.

What can still happen (a client outside the store holding rows, a serialisation failure
under a stricter isolation level) is retried: PostgreSQL rolled the whole transaction
back, so running it again is safe. Waits grow exponentially with random jitter, so
colliding writers spread out instead of colliding again in step.
"""

from __future__ import annotations

import random
from collections.abc import Iterable

import sqlalchemy as sa
from sqlalchemy.orm import Session

from nexus_panel.storage.schema import ScenarioRow, utcnow

TRANSIENT_SQLSTATES: dict[str, str] = {
    "40001": "serialization failure",
    "40P01": "deadlock detected",
}
"""PostgreSQL errors after which the rolled-back transaction may simply run again."""
FIRST_WAIT_S = 0.02
LONGEST_WAIT_S = 0.5


def claim_scenarios(session: Session, names: Iterable[str], owner: str
                    ) -> dict[str, ScenarioRow]:
    """Lock the scenario row of every name (``SELECT ... FOR UPDATE``), creating the rows
    of new names, one name at a time in sorted order; returns name -> row.

    A created row has ``revision_count == 0`` and is visible to no one else until the
    transaction commits (with its first revision). On SQLite, where a write transaction
    already holds the whole database, this only finds or creates the rows."""
    claimed: dict[str, ScenarioRow] = {}
    for name in sorted(set(names)):
        row = session.scalar(sa.select(ScenarioRow).where(ScenarioRow.name == name)
                             .with_for_update())
        if row is None:
            now = utcnow()
            row = ScenarioRow(name=name, description="", owner=owner, revision_count=0,
                              deleted=False, created_at=now, updated_at=now)
            session.add(row)
            session.flush()
        claimed[name] = row
    return claimed


def is_transient(exc: sa.exc.DBAPIError) -> bool:
    """True for a deadlock or serialisation failure (the transaction may run again)."""
    return getattr(exc.orig, "sqlstate", None) in TRANSIENT_SQLSTATES


def backoff_s(attempt: int) -> float:
    """Seconds to wait before attempt ``attempt + 1``: 20 ms doubling up to 0.5 s, each
    scaled by a random factor in [0.5, 1.5)."""
    return min(LONGEST_WAIT_S, FIRST_WAIT_S * 2**attempt) * (0.5 + random.random())
