"""Data feeds: ``feeds`` with immutable ``feed_revisions``, ``feed_snapshots`` (each fetch's
rows as Parquet bytes with provenance and sha256), the ``feed_allowlist`` of hosts HTTP
feeds may reach, and the audit action ``feed``.

The audit action list changes the way 0004 changed it (a CHECK constraint, rebuilt with
the append-only triggers dropped and restored on SQLite): its helper is reused.

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-29
"""

from __future__ import annotations

import importlib

import sqlalchemy as sa
from alembic import op

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None

_accounts = importlib.import_module("nexus_panel.storage.migrations.versions.0004_accounts")
OLD_ACTIONS = list(_accounts.NEW_ACTIONS)
NEW_ACTIONS = [*OLD_ACTIONS, "feed"]


def _ts(name: str, nullable: bool = False) -> sa.Column:
    return sa.Column(name, sa.DateTime(timezone=True), nullable=nullable)


def upgrade() -> None:
    op.create_table(
        "feeds",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("owner", sa.String(length=200), nullable=False),
        sa.Column("revision_count", sa.Integer(), nullable=False),
        _ts("created_at"),
        _ts("last_fetch_at", nullable=True),
        sa.Column("last_error", sa.Text(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_feeds")),
        sa.UniqueConstraint("name", name=op.f("uq_feeds_name")),
    )
    op.create_table(
        "feed_revisions",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("feed_id", sa.Integer(), nullable=False),
        sa.Column("number", sa.Integer(), nullable=False),
        sa.Column("definition", sa.JSON(), nullable=False),
        sa.Column("author", sa.String(length=200), nullable=False),
        sa.Column("message", sa.Text(), nullable=False),
        _ts("created_at"),
        sa.ForeignKeyConstraint(["feed_id"], ["feeds.id"],
                                name=op.f("fk_feed_revisions_feed_id_feeds")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_feed_revisions")),
        sa.UniqueConstraint("feed_id", "number", name=op.f("uq_feed_revisions_feed_id_number")),
    )
    op.create_table(
        "feed_snapshots",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("feed_id", sa.Integer(), nullable=False),
        sa.Column("revision", sa.Integer(), nullable=False),
        sa.Column("source", sa.Text(), nullable=False),
        _ts("fetched_at"),
        sa.Column("http_status", sa.Integer(), nullable=True),
        sa.Column("etag", sa.String(length=400), nullable=True),
        sa.Column("last_modified", sa.String(length=100), nullable=True),
        sa.Column("bytes", sa.BigInteger(), nullable=False),
        sa.Column("source_sha256", sa.String(length=64), nullable=False),
        sa.Column("sha256", sa.String(length=64), nullable=False),
        sa.Column("rows", sa.Integer(), nullable=False),
        sa.Column("columns", sa.JSON(), nullable=False),
        sa.Column("data", sa.LargeBinary(), nullable=False),
        sa.Column("author", sa.String(length=200), nullable=False),
        sa.ForeignKeyConstraint(["feed_id"], ["feeds.id"],
                                name=op.f("fk_feed_snapshots_feed_id_feeds")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_feed_snapshots")),
    )
    op.create_index(op.f("ix_feed_snapshots_feed_id"), "feed_snapshots", ["feed_id"])
    op.create_index(op.f("ix_feed_snapshots_sha256"), "feed_snapshots", ["sha256"])
    op.create_table(
        "feed_allowlist",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("host", sa.String(length=253), nullable=False),
        sa.Column("port", sa.Integer(), nullable=False),
        sa.Column("added_by", sa.String(length=200), nullable=False),
        _ts("added_at"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_feed_allowlist")),
        sa.UniqueConstraint("host", "port", name=op.f("uq_feed_allowlist_host_port")),
    )
    _accounts._set_actions(NEW_ACTIONS)


def downgrade() -> None:
    # Feed events cannot satisfy the old constraint and the chain forbids removing them.
    bind = op.get_bind()
    newer = bind.execute(sa.text("SELECT COUNT(*) FROM audit_events WHERE action = 'feed'")
                         ).scalar_one()
    if newer:
        raise RuntimeError(f"cannot downgrade below 0005: the audit trail holds {newer} "
                           "feed events")
    _accounts._set_actions(OLD_ACTIONS)
    op.drop_table("feed_allowlist")
    op.drop_index(op.f("ix_feed_snapshots_sha256"), table_name="feed_snapshots")
    op.drop_index(op.f("ix_feed_snapshots_feed_id"), table_name="feed_snapshots")
    op.drop_table("feed_snapshots")
    op.drop_table("feed_revisions")
    op.drop_table("feeds")
