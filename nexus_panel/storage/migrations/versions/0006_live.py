"""Live runs: ``live_runs`` (definition, checkpoint, lease), ``live_chunks`` (the history,
compact), ``live_alert_events``, and the audit action ``live``.

Revision ID: 0006
Revises: 0005
Create Date: 2026-11-29
"""

from __future__ import annotations

import importlib

import sqlalchemy as sa
from alembic import op

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None

_accounts = importlib.import_module("nexus_panel.storage.migrations.versions.0004_accounts")
_feeds = importlib.import_module("nexus_panel.storage.migrations.versions.0005_feeds")
OLD_ACTIONS = list(_feeds.NEW_ACTIONS)
NEW_ACTIONS = [*OLD_ACTIONS, "live"]
STATUSES = ("running", "paused", "stopped", "finished", "failed")


def _ts(name: str, nullable: bool = False) -> sa.Column:
    return sa.Column(name, sa.DateTime(timezone=True), nullable=nullable)


def upgrade() -> None:
    op.create_table(
        "live_runs",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("owner", sa.String(length=200), nullable=False),
        sa.Column("scenario", sa.JSON(), nullable=False),
        sa.Column("rules", sa.JSON(), nullable=False),
        sa.Column("webhook", sa.JSON(), nullable=True),
        sa.Column("steps_per_second", sa.Double(), nullable=False),
        sa.Column("max_steps", sa.Integer(), nullable=False),
        sa.Column("checkpoint_every", sa.Integer(), nullable=False),
        sa.Column("status", sa.String(length=10), nullable=False),
        sa.Column("step", sa.Integer(), nullable=False),
        sa.Column("state", sa.JSON(), nullable=False),
        sa.Column("producer", sa.String(length=120), nullable=True),
        _ts("lease_until", nullable=True),
        sa.Column("last_error", sa.Text(), nullable=False),
        _ts("created_at"),
        _ts("updated_at"),
        sa.CheckConstraint("status IN (" + ", ".join(f"'{s}'" for s in STATUSES) + ")",
                           name=op.f("ck_live_runs_known_status")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_live_runs")),
        sa.UniqueConstraint("name", name=op.f("uq_live_runs_name")),
    )
    op.create_table(
        "live_chunks",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("run_id", sa.Integer(), nullable=False),
        sa.Column("first_step", sa.Integer(), nullable=False),
        sa.Column("rows", sa.Integer(), nullable=False),
        sa.Column("data", sa.LargeBinary(), nullable=False),
        sa.ForeignKeyConstraint(["run_id"], ["live_runs.id"],
                                name=op.f("fk_live_chunks_run_id_live_runs")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_live_chunks")),
        sa.UniqueConstraint("run_id", "first_step",
                            name=op.f("uq_live_chunks_run_id_first_step")),
    )
    op.create_index(op.f("ix_live_chunks_run_id"), "live_chunks", ["run_id"])
    op.create_table(
        "live_alert_events",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("run_id", sa.Integer(), nullable=False),
        sa.Column("rule", sa.String(length=200), nullable=False),
        sa.Column("state", sa.String(length=10), nullable=False),
        sa.Column("step", sa.Integer(), nullable=False),
        sa.Column("value", sa.Double(), nullable=False),
        sa.Column("severity", sa.String(length=10), nullable=False),
        _ts("at"),
        sa.ForeignKeyConstraint(["run_id"], ["live_runs.id"],
                                name=op.f("fk_live_alert_events_run_id_live_runs")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_live_alert_events")),
    )
    op.create_index(op.f("ix_live_alert_events_run_id"), "live_alert_events", ["run_id"])
    _accounts._set_actions(NEW_ACTIONS)


def downgrade() -> None:
    bind = op.get_bind()
    newer = bind.execute(sa.text("SELECT COUNT(*) FROM audit_events WHERE action = 'live'")
                         ).scalar_one()
    if newer:
        raise RuntimeError(f"cannot downgrade below 0006: the audit trail holds {newer} "
                           "live-run events")
    _accounts._set_actions(OLD_ACTIONS)
    op.drop_index(op.f("ix_live_alert_events_run_id"), table_name="live_alert_events")
    op.drop_table("live_alert_events")
    op.drop_index(op.f("ix_live_chunks_run_id"), table_name="live_chunks")
    op.drop_table("live_chunks")
    op.drop_table("live_runs")
