"""Saved analyses: a Monte Carlo, sensitivity, stability or controller analysis of one
scenario revision, with its spec (JSON), results (JSON) and per-run arrays (a compressed
.npz blob), so a link can reopen it without rerunning.

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-26
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None

KINDS = ["montecarlo", "sensitivity", "stability", "controller"]


def upgrade() -> None:
    op.create_table(
        "analyses",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("revision_id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=20), nullable=False),
        sa.Column("spec", sa.JSON(), nullable=False),
        sa.Column("results", sa.JSON(), nullable=False),
        sa.Column("arrays", sa.LargeBinary(), nullable=True),
        sa.Column("author", sa.String(length=200), nullable=False),
        sa.Column("message", sa.Text(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("duration_s", sa.Double(), nullable=True),
        sa.CheckConstraint("kind IN (" + ", ".join(f"'{k}'" for k in KINDS) + ")",
                           name=op.f("ck_analyses_known_kind")),
        sa.ForeignKeyConstraint(["revision_id"], ["scenario_revisions.id"],
                                name=op.f("fk_analyses_revision_id_scenario_revisions")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_analyses")),
    )
    op.create_index(op.f("ix_analyses_revision_id"), "analyses", ["revision_id"])


def downgrade() -> None:
    op.drop_index(op.f("ix_analyses_revision_id"), table_name="analyses")
    op.drop_table("analyses")
