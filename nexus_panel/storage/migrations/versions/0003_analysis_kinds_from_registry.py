"""Saved-analysis kinds are checked against the analysis registry, not the database.

0002 fixed the allowed kinds in a CHECK constraint, so every new analysis needed a
migration. The store now checks a kind against ``nexus_panel.analysis.registry`` before
writing; the column only keeps its length limit.

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-29
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None

OLD_KINDS = ["montecarlo", "sensitivity", "stability", "controller"]


def upgrade() -> None:
    with op.batch_alter_table("analyses") as batch:
        batch.drop_constraint(op.f("ck_analyses_known_kind"), type_="check")


def downgrade() -> None:
    # Analyses of kinds added later cannot satisfy the old constraint: refuse clearly
    # rather than fail half-way.
    bind = op.get_bind()
    stray = bind.execute(sa.text("SELECT DISTINCT kind FROM analyses WHERE kind NOT IN ("
                                 + ", ".join(f"'{k}'" for k in OLD_KINDS) + ")")).scalars()
    stray = sorted(stray)
    if stray:
        raise RuntimeError("cannot downgrade below 0003 while analyses of kinds "
                           f"{', '.join(stray)} exist")
    with op.batch_alter_table("analyses") as batch:
        batch.create_check_constraint(
            op.f("ck_analyses_known_kind"),
            sa.text("kind IN (" + ", ".join(f"'{k}'" for k in OLD_KINDS) + ")"))
