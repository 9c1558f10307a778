"""``LiveStore``: live runs, their checkpoints, leases, history and alert events.

Rides on a :class:`ScenarioStore` (transactions, retries, acting user, audit chain), as
``FeedStore`` does. Starting, pausing, resuming and stopping a live run are editor actions
(an editor's own runs; admins any), audited as ``live`` events; viewers read.

Exactly one producer per run, in any number of processes and machines, through a lease in
the run's row: :meth:`LiveStore.claim` takes it when it is free or expired;
:meth:`LiveStore.checkpoint` appends a chunk of history, saves the state after it and
renews the lease in one transaction that matches only while the caller is still the
producer *and* the stored step is where the chunk starts -- a fenced write. A producer
that stalled past its lease gets :class:`LeaseLost` and stops; the history therefore
never has a gap or a duplicate step. Times are the processes' UTC clocks (keep them in
NTP sync; a skew shortens or lengthens a lease by the skew).
"""

from __future__ import annotations

import zlib
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

import numpy as np
import sqlalchemy as sa
from sqlalchemy.orm import Session

from nexus_panel.engine.kernel import COLUMNS
from nexus_panel.models import FieldError, ValidationError
from nexus_panel.models import text as text_rules
from nexus_panel.storage import audit
from nexus_panel.storage.errors import ConflictError, NotFoundError, StorageError
from nexus_panel.storage.live_schema import (
    LIVE_STATUSES,
    LiveAlertRow,
    LiveChunkRow,
    LiveRunRow,
)
from nexus_panel.storage.permissions import require_owner
from nexus_panel.storage.schema import utcnow
from nexus_panel.storage.store import ScenarioStore

ACTIVE = ("running", "paused")
FINAL = tuple(s for s in LIVE_STATUSES if s not in ACTIVE)
CONTROLS = {"pause": "paused", "resume": "running", "stop": "stopped"}
"""What an editor may ask of a running run, and the status it leads to."""


class LeaseLost(StorageError):
    """This process no longer produces the run (another took over, or it was stopped
    and removed): it must stop stepping at once."""


@dataclass(frozen=True)
class LiveInfo:
    """A live run as the CLI and the Live page show it."""

    id: int
    name: str
    owner: str
    status: str
    step: int
    steps_per_second: float
    max_steps: int
    checkpoint_every: int
    scenario: dict[str, Any]
    rules: list[dict[str, Any]]
    webhook: dict[str, str] | None
    state: dict[str, Any]
    producer: str | None
    lease_until: datetime | None
    last_error: str
    updated_at: datetime

    def to_dict(self) -> dict[str, Any]:
        return {"name": self.name, "owner": self.owner, "state": self.status,
                "step": self.step, "N": self.state.get("N"),
                "steps_per_second": self.steps_per_second, "max_steps": self.max_steps,
                "producer": self.producer, "last_error": self.last_error,
                "lease_until": self.lease_until.isoformat() if self.lease_until else None,
                "updated_at": self.updated_at.isoformat()}


def _info(row: LiveRunRow) -> LiveInfo:
    return LiveInfo(row.id, row.name, row.owner, row.status, row.step, row.steps_per_second,
                    row.max_steps, row.checkpoint_every, dict(row.scenario), list(row.rules),
                    dict(row.webhook) if row.webhook else None, dict(row.state), row.producer,
                    row.lease_until, row.last_error, row.updated_at)


def encode_rows(rows: np.ndarray) -> bytes:
    """A chunk of frame rows, compactly (float64, little-endian, zlib level 1)."""
    return zlib.compress(np.ascontiguousarray(rows, dtype="<f8").tobytes(), 1)


def decode_rows(data: bytes, rows: int) -> np.ndarray:
    flat = np.frombuffer(zlib.decompress(data), dtype="<f8")
    return flat.reshape(rows, len(COLUMNS))


def check_run_name(name: Any) -> str:
    return text_rules.AUTHOR.check(name, "name").strip()


class LiveStore:
    """Live runs in ``store``'s database, acting as ``store``'s user."""

    def __init__(self, store: ScenarioStore) -> None:
        self.store = store

    # --- definition and control -----------------------------------------------------------
    def create(self, name: str, scenario: dict[str, Any], rules: list[dict[str, Any]], *,
               steps_per_second: float, max_steps: int, checkpoint_every: int,
               state: dict[str, Any], webhook: dict[str, str] | None = None) -> LiveInfo:
        """A new run, status ``running``, no producer yet. A run of that name that is
        still running or paused is a ConflictError; a finished one is replaced (its
        history goes with it)."""
        name = check_run_name(name)

        def work(s: Session) -> LiveInfo:
            self.store._acting(s, "editor", f"start the live run {name!r}", self.store.user)
            old = s.scalar(sa.select(LiveRunRow).where(LiveRunRow.name == name))
            if old is not None:
                if old.status in ACTIVE:
                    raise ConflictError(f"a live run named {name!r} is {old.status} already")
                require_owner(self.store._actor(s), old, f"replace the live run {name!r}",
                              "live run")
                for table in (LiveChunkRow, LiveAlertRow):
                    s.execute(sa.delete(table).where(table.run_id == old.id))
                s.delete(old)
                s.flush()
            row = LiveRunRow(name=name, owner=self.store.user, scenario=scenario, rules=rules,
                             webhook=webhook,
                             steps_per_second=steps_per_second, max_steps=max_steps,
                             checkpoint_every=checkpoint_every, status="running", step=0,
                             state=state, producer=None, lease_until=None, last_error="",
                             created_at=utcnow(), updated_at=utcnow())
            s.add(row)
            s.flush()
            audit.append(s, self.store.user, "live", f"live:{row.id}",
                         {"name": name, "change": "start", "steps_per_second":
                          steps_per_second, "max_steps": max_steps})
            return _info(row)
        return self.store._write(work, f"start the live run {name!r}")

    def control(self, name: str, action: str) -> LiveInfo:
        """``pause``, ``resume`` or ``stop`` a run (its owner, or an admin)."""
        if action not in CONTROLS:
            raise ValidationError([FieldError("action", action, " | ".join(CONTROLS))])
        doing = f"{action} the live run {name!r}"

        def work(s: Session) -> LiveInfo:
            self.store._acting(s, "editor", doing, self.store.user)
            row = _find(s, name, lock=True)
            require_owner(self.store._actor(s), row, doing, "live run")
            if row.status not in ACTIVE:
                raise ConflictError(f"the live run {name!r} is {row.status}: it cannot "
                                    f"{action}")
            row.status = CONTROLS[action]
            row.updated_at = utcnow()
            audit.append(s, self.store.user, "live", f"live:{row.id}",
                         {"name": row.name, "change": action})
            return _info(row)
        return self.store._write(work, doing)

    # --- reading ----------------------------------------------------------------------------
    def get(self, name: str) -> LiveInfo:
        return self.store._read(lambda s: _info(_find(s, name)), f"read live run {name!r}")

    def runs(self) -> list[LiveInfo]:
        return self.store._read(lambda s: [_info(r) for r in s.scalars(
            sa.select(LiveRunRow).order_by(LiveRunRow.name))], "list live runs")

    def history(self, name: str, since_step: int = 0) -> np.ndarray:
        """Stored frame rows of steps ``since_step`` .. step - 1 (one row per step)."""
        def work(s: Session) -> np.ndarray:
            row = _find(s, name)
            chunks = s.execute(
                sa.select(LiveChunkRow.first_step, LiveChunkRow.rows, LiveChunkRow.data)
                .where(LiveChunkRow.run_id == row.id,
                       LiveChunkRow.first_step + LiveChunkRow.rows > since_step)
                .order_by(LiveChunkRow.first_step)).all()
            blocks = [decode_rows(data, n)[max(0, since_step - first):]
                      for first, n, data in chunks]
            return np.concatenate(blocks) if blocks else np.empty((0, len(COLUMNS)))
        return self.store._read(work, f"read the history of live run {name!r}")

    def alerts(self, name: str) -> list[dict[str, Any]]:
        """Every alert event of the run, oldest first."""
        def work(s: Session) -> list[dict[str, Any]]:
            row = _find(s, name)
            return [{"rule": e.rule, "state": e.state, "step": e.step, "value": e.value,
                     "severity": e.severity, "at": e.at.isoformat()}
                    for e in s.scalars(sa.select(LiveAlertRow)
                                       .where(LiveAlertRow.run_id == row.id)
                                       .order_by(LiveAlertRow.id))]
        return self.store._read(work, f"read the alerts of live run {name!r}")

    def alert_log(self, *, run: str | None = None, severities: tuple[str, ...] = (),
                  states: tuple[str, ...] = (), limit: int = 1000) -> list[dict[str, Any]]:
        """Alert events of every live run (or of ``run``), newest first, at most ``limit``
        (1 to 10,000): each with ``id``, ``run``, ``rule``, ``state``, ``step``, ``value``,
        ``severity``, ``at`` and ``firing`` (True while that rule of that run is firing:
        its newest event is ``firing``). Empty ``severities``/``states`` mean all."""
        if not 1 <= limit <= 10_000:
            raise ValidationError([FieldError("limit", limit, "1 to 10000")])

        def work(s: Session) -> list[dict[str, Any]]:
            newest = (sa.select(sa.func.max(LiveAlertRow.id))
                      .group_by(LiveAlertRow.run_id, LiveAlertRow.rule))
            open_ids = set(s.scalars(
                sa.select(LiveAlertRow.id).where(LiveAlertRow.id.in_(newest),
                                                 LiveAlertRow.state == "firing")))
            query = (sa.select(LiveAlertRow, LiveRunRow.name)
                     .join(LiveRunRow, LiveRunRow.id == LiveAlertRow.run_id)
                     .order_by(LiveAlertRow.id.desc()).limit(limit))
            if run is not None:
                query = query.where(LiveRunRow.name == run)
            if severities:
                query = query.where(LiveAlertRow.severity.in_(severities))
            if states:
                query = query.where(LiveAlertRow.state.in_(states))
            return [{"id": e.id, "run": name, "rule": e.rule, "state": e.state,
                     "step": e.step, "value": e.value, "severity": e.severity,
                     "at": e.at.isoformat(), "firing": e.id in open_ids}
                    for e, name in s.execute(query)]
        return self.store._read(work, "read the alert log")

    def newest_alert_id(self) -> int:
        """The id of the newest alert event of any run (0 if none): a cheap test of
        whether the log changed."""
        return self.store._read(
            lambda s: int(s.scalar(sa.select(sa.func.max(LiveAlertRow.id))) or 0),
            "read the alert log")

    # --- the producer's side -----------------------------------------------------------------
    def claim(self, name: str, producer: str, lease_s: float) -> LiveInfo | None:
        """Take the run's lease if it is free, expired or already ours; None if another
        producer holds it or the run has ended."""
        def work(s: Session) -> LiveInfo | None:
            row = _find(s, name, lock=True)
            now = utcnow()
            if row.status not in ACTIVE:
                return None
            if row.producer not in (None, producer) and row.lease_until is not None \
                    and row.lease_until > now:
                return None
            row.producer = producer
            row.lease_until = now + timedelta(seconds=lease_s)
            row.updated_at = now
            return _info(row)
        return self.store._write_once(work, f"claim the live run {name!r}")

    def checkpoint(self, run_id: int, producer: str, first_step: int, rows: np.ndarray, *,
                   state: dict[str, Any], events: list[dict[str, Any]], lease_s: float,
                   final_status: str | None = None, error: str = "") -> str:
        """Append ``rows`` (steps ``first_step`` ..), save ``state`` and ``events`` and
        renew the lease, only while ``producer`` holds it and the stored history ends at
        ``first_step``. Returns the run's status (a pause or stop asked meanwhile);
        raises LeaseLost otherwise. ``final_status`` ends the run and frees the lease."""
        count = int(rows.shape[0])

        def work(s: Session) -> str:
            now = utcnow()
            changed = s.execute(
                sa.update(LiveRunRow)
                .where(LiveRunRow.id == run_id, LiveRunRow.producer == producer,
                       LiveRunRow.step == first_step)
                .values(step=first_step + count, state=state, updated_at=now,
                        lease_until=now + timedelta(seconds=lease_s),
                        **({"status": final_status, "producer": None, "last_error": error}
                           if final_status else {}))
                .execution_options(synchronize_session=False))
            if changed.rowcount != 1:
                raise LeaseLost(f"live run {run_id}: {producer} no longer holds the lease at "
                                f"step {first_step}")
            if count:
                s.add(LiveChunkRow(run_id=run_id, first_step=first_step, rows=count,
                                   data=encode_rows(rows)))
            for event in events:
                s.add(LiveAlertRow(run_id=run_id, rule=event["rule"], state=event["state"],
                                   step=event["step"], value=event["value"],
                                   severity=event["severity"], at=now))
            status = s.scalar(sa.select(LiveRunRow.status).where(LiveRunRow.id == run_id))
            return str(status)
        return self.store._write_once(work, f"checkpoint live run {run_id}")

    def fail(self, run_id: int, producer: str, error: str) -> None:
        """End the run as ``failed`` with ``error`` (its producer hit a bug or bad data),
        so no process retries it forever; the history up to the checkpoint stays."""
        self._let_go(run_id, producer, f"record the failure of live run {run_id}",
                     status="failed", last_error=error[:2000])

    def release(self, run_id: int, producer: str) -> None:
        """Give the lease up (a paused run's producer going away), if still ours."""
        self._let_go(run_id, producer, f"release live run {run_id}")

    def _let_go(self, run_id: int, producer: str, doing: str, **values: Any) -> None:
        """Free the lease (and set ``values``) only if ``producer`` still holds it."""
        def work(s: Session) -> None:
            s.execute(sa.update(LiveRunRow)
                      .where(LiveRunRow.id == run_id, LiveRunRow.producer == producer)
                      .values(producer=None, lease_until=None, updated_at=utcnow(), **values)
                      .execution_options(synchronize_session=False))
        self.store._write_once(work, doing)


def _find(s: Session, name: str, *, lock: bool = False) -> LiveRunRow:
    query = sa.select(LiveRunRow).where(LiveRunRow.name == name)
    row = s.scalar(query.with_for_update() if lock else query)
    if row is None:
        raise NotFoundError(f"no live run named {name!r}")
    return row
