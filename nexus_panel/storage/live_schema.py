"""The live-run tables (migration 0006): runs with their checkpoint and lease, the history
in compact chunks, and the alert events.

Why the checkpoint and the lease share a row: the producer writes a chunk of history, the
state after it and its lease renewal in ONE transaction that only succeeds while it still
holds the lease (``producer`` = its id). A producer that lost the lease (it stalled past
the lease and another took over) therefore cannot write a single row more, and the
history has neither a gap nor a duplicate step: it always ends exactly at the
checkpointed ``step``, from which the next producer continues.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from nexus_panel.models.text import NAME_LENGTH
from nexus_panel.storage.schema import Base, UTCDateTime, utcnow

LIVE_STATUSES: tuple[str, ...] = ("running", "paused", "stopped", "finished", "failed")
"""``running``/``paused``: a producer holds (or will take) the lease; the other three are
final."""
PRODUCER_LENGTH = 120


class LiveRunRow(Base):
    __tablename__ = "live_runs"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(sa.String(NAME_LENGTH), unique=True)
    owner: Mapped[str] = mapped_column(sa.String(NAME_LENGTH))
    scenario: Mapped[dict[str, Any]] = mapped_column(sa.JSON)
    """The scenario's canonical dict (``Scenario.to_dict``)."""
    rules: Mapped[list[dict[str, Any]]] = mapped_column(sa.JSON)
    webhook: Mapped[dict[str, str] | None] = mapped_column(sa.JSON)
    """``{"url", "secret_env"}`` where alert events are POSTed (``live.webhook``), or None."""
    steps_per_second: Mapped[float] = mapped_column(sa.Double())
    max_steps: Mapped[int] = mapped_column(sa.Integer())
    checkpoint_every: Mapped[int] = mapped_column(sa.Integer())
    status: Mapped[str] = mapped_column(sa.String(10))
    step: Mapped[int] = mapped_column(sa.Integer(), default=0)
    """Steps done and stored: the history holds exactly steps 0 .. step - 1."""
    state: Mapped[dict[str, Any]] = mapped_column(sa.JSON)
    """The checkpoint: kernel state vector, alert machines, feed offsets."""
    producer: Mapped[str | None] = mapped_column(sa.String(PRODUCER_LENGTH))
    lease_until: Mapped[datetime | None] = mapped_column(UTCDateTime())
    last_error: Mapped[str] = mapped_column(sa.Text, default="")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)

    __table_args__ = (
        sa.CheckConstraint("status IN (" + ", ".join(f"'{s}'" for s in LIVE_STATUSES) + ")",
                           name="known_status"),
    )


class LiveChunkRow(Base):
    """Steps ``first_step`` .. ``first_step + rows - 1`` of a live run's frame (float64
    rows of ``kernel.COLUMNS``, zlib-compressed)."""

    __tablename__ = "live_chunks"

    id: Mapped[int] = mapped_column(primary_key=True)
    run_id: Mapped[int] = mapped_column(sa.ForeignKey("live_runs.id"), index=True)
    first_step: Mapped[int] = mapped_column(sa.Integer())
    rows: Mapped[int] = mapped_column(sa.Integer())
    data: Mapped[bytes] = mapped_column(sa.LargeBinary())

    __table_args__ = (sa.UniqueConstraint("run_id", "first_step"),)


class LiveAlertRow(Base):
    """One transition of one alert rule's state (``live.alerts``)."""

    __tablename__ = "live_alert_events"

    id: Mapped[int] = mapped_column(primary_key=True)
    run_id: Mapped[int] = mapped_column(sa.ForeignKey("live_runs.id"), index=True)
    rule: Mapped[str] = mapped_column(sa.String(NAME_LENGTH))
    state: Mapped[str] = mapped_column(sa.String(10))
    step: Mapped[int] = mapped_column(sa.Integer())
    value: Mapped[float] = mapped_column(sa.Double())
    severity: Mapped[str] = mapped_column(sa.String(10))
    at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
