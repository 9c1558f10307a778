"""Accounts and roles: a ``users`` table (argon2id password hashes, never passwords), a
``visibility`` for every scenario (``team`` by default, or ``private``), and the audit
actions that record account changes, logins and refused writes.

Existing scenarios become ``team`` scenarios and keep their owner (``local`` unless a
store was opened for a named user), so a database upgraded from the single-user app reads
exactly as before.

On SQLite a CHECK constraint can only change by rebuilding the table (``batch``), which
drops the table's triggers: the append-only triggers of ``audit_events`` are therefore
dropped first and created again afterwards, with the helpers of 0001.

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-29
"""

from __future__ import annotations

import importlib

import sqlalchemy as sa
from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None

OLD_ACTIONS = ["create", "revise", "delete", "restore", "run", "export", "import"]
NEW_ACTIONS = [*OLD_ACTIONS, "visibility", "user", "login", "refuse"]
ROLES = ["viewer", "editor", "admin"]
_initial = importlib.import_module(
    "nexus_panel.storage.migrations.versions.0001_initial_schema")


def _in(column: str, values: list[str]) -> str:
    return f"{column} IN (" + ", ".join(f"'{v}'" for v in values) + ")"


def _set_actions(actions: list[str]) -> None:
    sqlite = op.get_bind().dialect.name == "sqlite"
    if sqlite:
        _initial._drop_append_only("audit_events")
    with op.batch_alter_table("audit_events") as batch:
        batch.drop_constraint(op.f("ck_audit_events_known_action"), type_="check")
        batch.create_check_constraint(op.f("ck_audit_events_known_action"),
                                      sa.text(_in("action", actions)))
    if sqlite:
        _initial._append_only("audit_events")


def upgrade() -> None:
    op.create_table(
        "users",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("display_name", sa.String(length=200), nullable=False),
        sa.Column("role", sa.String(length=10), nullable=False),
        sa.Column("password_hash", sa.String(length=200), nullable=False),
        sa.Column("disabled", sa.Boolean(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("last_login_at", sa.DateTime(timezone=True), nullable=True),
        sa.CheckConstraint(_in("role", ROLES), name=op.f("ck_users_known_role")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_users")),
        sa.UniqueConstraint("name", name=op.f("uq_users_name")),
    )
    # A plain ADD COLUMN (no table rebuild: SQLite cannot drop ``scenarios`` while
    # revisions reference it); the store checks the value.
    op.add_column("scenarios", sa.Column("visibility", sa.String(length=10), nullable=False,
                                         server_default="team"))
    _set_actions(NEW_ACTIONS)


def downgrade() -> None:
    # Events of the new kinds cannot satisfy the old constraint, and the chain forbids
    # removing them: refuse clearly rather than fail half-way.
    bind = op.get_bind()
    newer = bind.execute(sa.text("SELECT COUNT(*) FROM audit_events WHERE NOT "
                                 + _in("action", OLD_ACTIONS))).scalar_one()
    if newer:
        raise RuntimeError(f"cannot downgrade below 0004: the audit trail holds {newer} "
                           "account, login or refusal events")
    _set_actions(OLD_ACTIONS)
    op.drop_column("scenarios", "visibility")
    op.drop_table("users")
