"""How many sign-ins failed lately, per user name and per client address: the rate limit.

Why counted in the database: the web app may run as several processes (``--num-procs``)
or hosts behind one proxy, and each would count alone in memory, multiplying what an
attacker may try. Every attempt is already an audit ``login`` event (with the client
address in its details), so the failures of the last :data:`WINDOW_S` seconds are read
back from the audit trail, in the same write transaction that records the next attempt
(serialised like every append, so concurrent attempts cannot both see a free slot).

Cost is bounded: at most the newest :data:`SCAN_EVENTS` login events of the window are
read (an index on the audit trail's action and time). Other audited work (runs, exports,
live runs) does not count against that bound, so nobody can push failures out of view
by making the server audit something else; more login events than that within a minute
is a flood, which is mostly the flooder's own failures anyway.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import datetime, timedelta

import sqlalchemy as sa
from sqlalchemy.orm import Session

from nexus_panel.storage.schema import AuditEventRow, utcnow

MAX_FAILURES = 5
"""Failed attempts allowed per user name, and per client address, within the window."""
WINDOW_S = 60
SCAN_EVENTS = 2000
COUNTED = ("unknown user", "wrong password", "account disabled", "refused")
"""Outcomes that count as failures (a refusal by the limit itself does not count, so
waiting out the window always works)."""


@dataclass(frozen=True)
class Throttle:
    """The verdict for one attempt: ``retry_after`` > 0 means refuse it for that long."""

    retry_after: int = 0
    why: str = ""


def check(session: Session, name: str | None, address: str | None,
          now: datetime | None = None) -> Throttle:
    """Whether ``name`` or ``address`` had :data:`MAX_FAILURES` failures within the
    window; if so, the seconds until the oldest of those leaves it."""
    now = now or utcnow()
    cutoff = now - timedelta(seconds=WINDOW_S)
    rows = session.execute(
        sa.select(AuditEventRow.at, AuditEventRow.object, AuditEventRow.details)
        .where(AuditEventRow.action == "login", AuditEventRow.at >= cutoff)
        .order_by(AuditEventRow.at.desc(), AuditEventRow.id.desc())
        .limit(SCAN_EVENTS)).all()
    by_user: list[datetime] = []
    by_address: list[datetime] = []
    for at, obj, details in rows:
        if not isinstance(details, dict) or details.get("outcome") not in COUNTED:
            continue
        if name is not None and obj == f"user:{name}":
            by_user.append(at)
        if address is not None and details.get("address") == address:
            by_address.append(at)
    for times, who in ((by_user, "this user name"), (by_address, "this address")):
        if len(times) >= MAX_FAILURES:
            oldest = times[MAX_FAILURES - 1]  # newest first: the one that leaves first
            wait = (oldest + timedelta(seconds=WINDOW_S) - now).total_seconds()
            return Throttle(max(1, math.ceil(wait)),
                            f"{MAX_FAILURES} failed sign-ins for {who} within "
                            f"{WINDOW_S} s")
    return Throttle()
