"""Signing out ends a session on the server: ``revoked_sessions`` holds the SHA-256 of
each signed-out session cookie until the cookie would have expired; ``users.sessions_after``
ends every sign-in of an account made before its password was reset. And an index on the
audit trail's action and time, so the sign-in rate limit reads the window's login events
whatever else was audited meanwhile.

Revision ID: 0007
Revises: 0006
Create Date: 2026-11-29
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "revoked_sessions",
        sa.Column("digest", sa.String(length=64), nullable=False),
        sa.Column("user", sa.String(length=200), nullable=False),
        sa.Column("revoked_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("digest", name=op.f("pk_revoked_sessions")),
    )
    op.create_index(op.f("ix_revoked_sessions_expires_at"), "revoked_sessions",
                    ["expires_at"])
    op.create_index("ix_audit_events_action_at", "audit_events", ["action", "at"])
    op.add_column("users", sa.Column("sessions_after", sa.DateTime(timezone=True),
                                     nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("users") as batch:
        batch.drop_column("sessions_after")
    op.drop_index("ix_audit_events_action_at", table_name="audit_events")
    op.drop_index(op.f("ix_revoked_sessions_expires_at"), table_name="revoked_sessions")
    op.drop_table("revoked_sessions")
