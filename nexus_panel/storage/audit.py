"""The append-only audit trail and its hash chain.

Each event's hash is sha256(previous event's hash + canonical JSON of this event), so
editing, removing or reordering any event breaks the chain from that event on, and
``verify`` names the first broken link. Appends run inside the caller's write
transaction (an event is recorded exactly when its change commits) and are serialised
(PostgreSQL: a transaction-scoped advisory lock; SQLite: the write lock of BEGIN
IMMEDIATE), so concurrent writers extend one chain instead of forking it; a UNIQUE
constraint on ``prev_hash`` backs that up.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable
from contextlib import closing
from datetime import UTC, datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Session

from nexus_panel.models import canonical_json
from nexus_panel.storage.records import AuditCheck, AuditEvent
from nexus_panel.storage.schema import AuditEventRow, utcnow

GENESIS = "0" * 64
AUDIT_LOCK_KEY = 0x61756469  # "audi"


def event_hash(prev_hash: str, at: datetime, actor: str, action: str, obj: str, *,
               details: dict[str, Any]) -> str:
    body = canonical_json({"at": at.astimezone(UTC).isoformat(), "actor": actor,
                           "action": action, "object": obj, "details": details})
    return hashlib.sha256((prev_hash + body).encode()).hexdigest()


def serialise(session: Session) -> None:
    """Wait for, and hold until the transaction ends, the right to append (PostgreSQL's
    advisory lock; SQLite's BEGIN IMMEDIATE already holds the write lock). Taken early by
    a transaction that must read the newest events before adding one (login limits)."""
    if session.get_bind().dialect.name == "postgresql":
        session.execute(sa.select(sa.func.pg_advisory_xact_lock(AUDIT_LOCK_KEY)))


def append(session: Session, actor: str, action: str, obj: str,
           details: dict[str, Any] | None = None) -> None:
    """Add one event to the chain, in the session's (write) transaction."""
    serialise(session)
    prev = session.scalar(sa.select(AuditEventRow.hash).order_by(AuditEventRow.id.desc())
                          .limit(1)) or GENESIS
    details = details or {}
    at = utcnow()
    session.add(AuditEventRow(at=at, actor=actor, action=action, object=obj, details=details,
                              prev_hash=prev,
                              hash=event_hash(prev, at, actor, action, obj, details=details)))
    session.flush()


def _record(row: AuditEventRow) -> AuditEvent:
    return AuditEvent(id=row.id, at=row.at, actor=row.actor, action=row.action,
                      object=row.object, details=row.details, prev_hash=row.prev_hash,
                      hash=row.hash)


def events(session: Session, obj: str | None = None, limit: int | None = None
           ) -> list[AuditEvent]:
    """Events, newest first (optionally of one object, e.g. ``scenario:3``)."""
    query = sa.select(AuditEventRow).order_by(AuditEventRow.id.desc())
    if obj is not None:
        query = query.where(AuditEventRow.object == obj)
    if limit is not None:
        query = query.limit(limit)
    return [_record(r) for r in session.scalars(query)]


def verify(session: Session) -> AuditCheck:
    """Walk the chain from the first event; stop at the first broken link."""
    query = sa.select(AuditEventRow).order_by(AuditEventRow.id).execution_options(
        yield_per=1000)
    with closing(session.scalars(query)) as rows:  # a server-side cursor on PostgreSQL
        return _walk(rows)


def _walk(rows: Iterable[AuditEventRow]) -> AuditCheck:
    prev = GENESIS
    prev_id: int | None = None
    checked = 0
    for row in rows:
        if row.prev_hash != prev:
            after = f"event {prev_id}" if prev_id is not None else "the start of the chain"
            return AuditCheck(checked, row.id, f"it does not follow {after} "
                              "(an event before it was removed, reordered or altered)")
        if event_hash(prev, row.at, row.actor, row.action, row.object,
                      details=row.details) != row.hash:
            return AuditCheck(checked, row.id, "its contents do not match its hash "
                              "(the event was altered)")
        prev, prev_id = row.hash, row.id
        checked += 1
    return AuditCheck(checked)
