"""Initial schema: scenarios, immutable revisions (one column per engine parameter), runs
with provenance and the binary time series, and the hash-chained audit log.

The parameter and summary columns are written out here, not generated: a migration is a
snapshot of the schema at one point in time. A parameter added to EngineParams later gets
its own migration (tests/storage/test_migrations.py checks that models and migrations agree).

Revision ID: 0001
Revises:
Create Date: 2026-11-26
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None

PARAMS = ["alpha", "beta", "eta", "F_floor", "kappa", "w_D", "w_E", "w_H", "w_M",
          "gamma_C", "gamma_D", "gamma_E", "K_d", "K_i", "K_p", "N_target", "phi_limit",
          "H_0", "lambda_E", "lambda_H", "lambda_M", "lambda_N", "M_0", "N_0",
          "delta_t", "N_initial"]
SUMMARY = ["final_N", "min_N", "max_N", "mean_issuance", "mean_burn", "issued_minus_burned",
           "ledger_residual", "clamp_events", "clamp_total", "phi_saturated_fraction"]
ACTIONS = ["create", "revise", "delete", "restore", "run", "export", "import"]


def _ts(name: str, nullable: bool = False) -> sa.Column:
    return sa.Column(name, sa.DateTime(timezone=True), nullable=nullable)


def upgrade() -> None:
    op.create_table(
        "scenarios",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("description", sa.Text(), nullable=False),
        sa.Column("owner", sa.String(length=200), nullable=False),
        sa.Column("deleted", sa.Boolean(), nullable=False),
        sa.Column("revision_count", sa.Integer(), nullable=False),
        _ts("created_at"),
        _ts("updated_at"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_scenarios")),
        sa.UniqueConstraint("name", name=op.f("uq_scenarios_name")),
    )
    op.create_table(
        "scenario_revisions",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("scenario_id", sa.Integer(), nullable=False),
        sa.Column("number", sa.Integer(), nullable=False),
        sa.Column("description", sa.Text(), nullable=False),
        sa.Column("inputs", sa.JSON(), nullable=False),
        sa.Column("content_hash", sa.String(length=64), nullable=False),
        sa.Column("author", sa.String(length=200), nullable=False),
        sa.Column("message", sa.Text(), nullable=False),
        _ts("created_at"),
        *[sa.Column(name, sa.Double(), nullable=False) for name in PARAMS],
        sa.Column("num_steps", sa.Integer(), nullable=False),
        sa.CheckConstraint("number >= 1", name=op.f("ck_scenario_revisions_number_positive")),
        sa.ForeignKeyConstraint(["scenario_id"], ["scenarios.id"],
                                name=op.f("fk_scenario_revisions_scenario_id_scenarios")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_scenario_revisions")),
        sa.UniqueConstraint("scenario_id", "number",
                            name=op.f("uq_scenario_revisions_scenario_id_number")),
    )
    op.create_index(op.f("ix_scenario_revisions_content_hash"), "scenario_revisions",
                    ["content_hash"])
    op.create_table(
        "runs",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("revision_id", sa.Integer(), nullable=False),
        _ts("created_at"),
        _ts("started_at", nullable=True),
        sa.Column("duration_s", sa.Double(), nullable=True),
        sa.Column("engine_version", sa.String(length=40), nullable=False),
        sa.Column("numpy_version", sa.String(length=40), nullable=False),
        sa.Column("numba_version", sa.String(length=40), nullable=False),
        sa.Column("package_version", sa.String(length=40), nullable=False),
        sa.Column("content_hash", sa.String(length=64), nullable=False),
        sa.Column("seeds", sa.JSON(), nullable=False),
        sa.Column("num_steps", sa.Integer(), nullable=False),
        sa.Column("data", sa.LargeBinary(), nullable=False),
        *[sa.Column(name, sa.Double(), nullable=True) for name in SUMMARY],
        sa.ForeignKeyConstraint(["revision_id"], ["scenario_revisions.id"],
                                name=op.f("fk_runs_revision_id_scenario_revisions")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_runs")),
    )
    op.create_index(op.f("ix_runs_revision_id"), "runs", ["revision_id"])
    op.create_table(
        "audit_events",
        sa.Column("id", sa.Integer(), nullable=False),
        _ts("at"),
        sa.Column("actor", sa.String(length=200), nullable=False),
        sa.Column("action", sa.String(length=20), nullable=False),
        sa.Column("object", sa.String(length=240), nullable=False),
        sa.Column("details", sa.JSON(), nullable=False),
        sa.Column("prev_hash", sa.String(length=64), nullable=False),
        sa.Column("hash", sa.String(length=64), nullable=False),
        sa.CheckConstraint("action IN (" + ", ".join(f"'{a}'" for a in ACTIONS) + ")",
                           name=op.f("ck_audit_events_known_action")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_audit_events")),
        sa.UniqueConstraint("hash", name=op.f("uq_audit_events_hash")),
        sa.UniqueConstraint("prev_hash", name=op.f("uq_audit_events_prev_hash")),
    )
    _append_only("audit_events")


def downgrade() -> None:
    _drop_append_only("audit_events")
    op.drop_table("audit_events")
    op.drop_index(op.f("ix_runs_revision_id"), table_name="runs")
    op.drop_table("runs")
    op.drop_index(op.f("ix_scenario_revisions_content_hash"), table_name="scenario_revisions")
    op.drop_table("scenario_revisions")
    op.drop_table("scenarios")


def _append_only(table: str) -> None:
    """Refuse UPDATE and DELETE on ``table`` (the hash chain still detects tampering by
    anyone who drops these triggers)."""
    if op.get_bind().dialect.name == "postgresql":
        op.execute(f"""
            CREATE FUNCTION {table}_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
            BEGIN RAISE EXCEPTION '{table} is append-only'; END $$""")
        op.execute(f"""
            CREATE TRIGGER {table}_append_only BEFORE UPDATE OR DELETE ON {table}
            FOR EACH ROW EXECUTE FUNCTION {table}_append_only()""")
    else:
        for event in ("UPDATE", "DELETE"):
            op.execute(f"""
                CREATE TRIGGER {table}_no_{event.lower()} BEFORE {event} ON {table}
                BEGIN SELECT RAISE(ABORT, '{table} is append-only'); END""")


def _drop_append_only(table: str) -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.execute(f"DROP TRIGGER {table}_append_only ON {table}")
        op.execute(f"DROP FUNCTION {table}_append_only()")
    else:
        for event in ("update", "delete"):
            op.execute(f"DROP TRIGGER {table}_no_{event}")
