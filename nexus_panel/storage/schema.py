"""The database tables, as SQLAlchemy 2 typed ORM classes.

The engine parameters are real columns of ``scenario_revisions`` (so a query such as "every
scenario with alpha > 1.5" is a plain indexed WHERE clause), generated from the
``EngineParams`` declarations: one source of truth for names, types and nullability.
Likewise the summary figures of a run are columns generated from the engine's
``SUMMARY_FIELDS``. Adding a parameter to the model therefore changes these classes, and
``tests/storage/test_migrations.py`` fails until a migration adds the column too.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import param
import sqlalchemy as sa
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

from nexus_panel.engine.kernel import SUMMARY_FIELDS
from nexus_panel.models import EngineParams
from nexus_panel.models.text import NAME_LENGTH

AUDIT_ACTIONS: tuple[str, ...] = (
    "create", "revise", "delete", "restore", "run", "export", "import",
    "visibility", "user", "login", "refuse", "feed", "live",
)
"""``visibility``: a scenario made team/private; ``user``: an account added or changed
(details say how); ``login``: a password checked (details: ok or why not); ``refuse``: a
write the acting user may not make (details: the operation and why); ``feed``: a data
feed defined, fetched or a host allowlisted (details say which); ``live``: a live run
started, paused, resumed or stopped (details say which)."""

ROLES: tuple[str, ...] = ("viewer", "editor", "admin")
"""Account roles, least to most rights (``storage.permissions`` says what each may do)."""
VISIBILITIES: tuple[str, ...] = ("team", "private")
"""``team``: every account may read the scenario; ``private``: its owner and admins only."""


class UTCDateTime(sa.TypeDecorator[datetime]):
    """Timezone-aware UTC timestamps on every backend (SQLite drops the zone)."""

    impl = sa.DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: sa.Dialect) -> Any:
        if value is None:
            return None
        value = value.astimezone(UTC)
        return value.replace(tzinfo=None) if dialect.name == "sqlite" else value

    def process_result_value(self, value: datetime | None, dialect: sa.Dialect) -> Any:
        if value is None:
            return None
        if value.tzinfo is None:
            return value.replace(tzinfo=UTC)
        return value.astimezone(UTC)


def utcnow() -> datetime:
    return datetime.now(UTC)


def param_column_type(p: param.Parameter) -> sa.types.TypeEngine[Any]:
    """SQL type of an engine parameter: integers stay integers, numbers are float64."""
    return sa.Integer() if isinstance(p, param.Integer) else sa.Double()


PARAM_COLUMNS: tuple[str, ...] = tuple(EngineParams.names())
"""Engine parameters stored as columns of scenario_revisions, in declaration order."""


def _param_mixin() -> type:
    names = [n.lower() for n in PARAM_COLUMNS]
    if len(set(names)) != len(names):  # SQLite column names ignore case
        raise RuntimeError("two EngineParams names differ only in case")
    namespace: dict[str, Any] = {"__annotations__": {}}
    for name in PARAM_COLUMNS:
        p = EngineParams.param[name]
        kind = int if isinstance(p, param.Integer) else float
        namespace["__annotations__"][name] = Mapped[kind | None] if p.allow_None else Mapped[kind]
        namespace[name] = mapped_column(param_column_type(p), nullable=bool(p.allow_None))
    return type("ParamColumns", (), namespace)


def _summary_mixin() -> type:
    namespace: dict[str, Any] = {"__annotations__": {}}
    for name in SUMMARY_FIELDS:
        namespace["__annotations__"][name] = Mapped[float | None]
        namespace[name] = mapped_column(sa.Double(), nullable=True)
    return type("SummaryColumns", (), namespace)


ParamColumns = _param_mixin()
SummaryColumns = _summary_mixin()


class Base(DeclarativeBase):
    metadata = sa.MetaData(naming_convention={
        "ix": "ix_%(table_name)s_%(column_0_N_name)s",
        "uq": "uq_%(table_name)s_%(column_0_N_name)s",
        "ck": "ck_%(table_name)s_%(constraint_name)s",
        "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
        "pk": "pk_%(table_name)s",
    })


class ScenarioRow(Base):
    """A named scenario. Its content lives in immutable revisions; ``revision_count`` is
    the number of its latest revision (the counter new revision numbers come from)."""

    __tablename__ = "scenarios"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(sa.String(NAME_LENGTH), unique=True)
    description: Mapped[str] = mapped_column(sa.Text, default="")
    owner: Mapped[str] = mapped_column(sa.String(NAME_LENGTH), default="local")
    visibility: Mapped[str] = mapped_column(sa.String(10), default="team",
                                            server_default="team")
    """One of VISIBILITIES, checked by the store (``set_visibility``)."""
    deleted: Mapped[bool] = mapped_column(default=False)
    revision_count: Mapped[int] = mapped_column(default=0)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)


class RevisionRow(ParamColumns, Base):  # type: ignore[misc,valid-type]
    """One saved state of a scenario. Never updated: a change is a new revision."""

    __tablename__ = "scenario_revisions"
    __table_args__ = (
        sa.UniqueConstraint("scenario_id", "number"),
        sa.CheckConstraint("number >= 1", name="number_positive"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    scenario_id: Mapped[int] = mapped_column(sa.ForeignKey("scenarios.id"))
    number: Mapped[int]
    description: Mapped[str] = mapped_column(sa.Text, default="")
    inputs: Mapped[dict[str, Any]] = mapped_column(sa.JSON)
    content_hash: Mapped[str] = mapped_column(sa.String(64), index=True)
    author: Mapped[str] = mapped_column(sa.String(NAME_LENGTH))
    message: Mapped[str] = mapped_column(sa.Text, default="")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)


class RunRow(SummaryColumns, Base):  # type: ignore[misc,valid-type]
    """One stored simulation of a revision, with provenance and the full time series
    (``data``: ``SimulationResult.to_bytes()``, documented in engine/result.py)."""

    __tablename__ = "runs"

    id: Mapped[int] = mapped_column(primary_key=True)
    revision_id: Mapped[int] = mapped_column(sa.ForeignKey("scenario_revisions.id"), index=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    started_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    duration_s: Mapped[float | None] = mapped_column(sa.Double())
    engine_version: Mapped[str] = mapped_column(sa.String(40))
    numpy_version: Mapped[str] = mapped_column(sa.String(40))
    numba_version: Mapped[str] = mapped_column(sa.String(40))
    package_version: Mapped[str] = mapped_column(sa.String(40))
    content_hash: Mapped[str] = mapped_column(sa.String(64))
    seeds: Mapped[dict[str, Any]] = mapped_column(sa.JSON)
    num_steps: Mapped[int]
    data: Mapped[bytes] = mapped_column(sa.LargeBinary)


class AuditEventRow(Base):
    """Append-only log. ``hash`` = sha256 over the previous event's hash and this event's
    fields, so changing or removing any event breaks every link after it."""

    __tablename__ = "audit_events"
    __table_args__ = (
        sa.CheckConstraint("action IN (" + ", ".join(f"'{a}'" for a in AUDIT_ACTIONS) + ")",
                           name="known_action"),
        # the sign-in rate limit reads the latest login events (login_limits.check)
        sa.Index("ix_audit_events_action_at", "action", "at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    at: Mapped[datetime] = mapped_column(UTCDateTime())
    actor: Mapped[str] = mapped_column(sa.String(NAME_LENGTH))
    action: Mapped[str] = mapped_column(sa.String(20))
    object: Mapped[str] = mapped_column(sa.String(NAME_LENGTH + 40))
    details: Mapped[dict[str, Any]] = mapped_column(sa.JSON)
    prev_hash: Mapped[str] = mapped_column(sa.String(64), unique=True)
    hash: Mapped[str] = mapped_column(sa.String(64), unique=True)


class AnalysisRow(Base):
    """One saved analysis of a revision: its spec and results, never updated.

    ``spec``: the analysis spec's JSON form without its base scenario (that is the
    revision). ``results``: the result's JSON form (tables, bands, statistics) without the
    spec. ``arrays``: the per-run data as a compressed .npz (docs/storage.md), or None."""

    __tablename__ = "analyses"

    id: Mapped[int] = mapped_column(primary_key=True)
    revision_id: Mapped[int] = mapped_column(sa.ForeignKey("scenario_revisions.id"), index=True)
    kind: Mapped[str] = mapped_column(sa.String(20))
    spec: Mapped[dict[str, Any]] = mapped_column(sa.JSON)
    results: Mapped[dict[str, Any]] = mapped_column(sa.JSON)
    arrays: Mapped[bytes | None] = mapped_column(sa.LargeBinary)
    author: Mapped[str] = mapped_column(sa.String(NAME_LENGTH))
    message: Mapped[str] = mapped_column(sa.Text, default="")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    duration_s: Mapped[float | None] = mapped_column(sa.Double())


class UserRow(Base):
    """An account. ``password_hash`` is an argon2id hash (PHC string with its parameters);
    the password itself is never stored."""

    __tablename__ = "users"
    __table_args__ = (
        sa.CheckConstraint("role IN (" + ", ".join(f"'{r}'" for r in ROLES) + ")",
                           name="known_role"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(sa.String(NAME_LENGTH), unique=True)
    display_name: Mapped[str] = mapped_column(sa.String(NAME_LENGTH), default="")
    role: Mapped[str] = mapped_column(sa.String(10))
    password_hash: Mapped[str] = mapped_column(sa.String(200))
    disabled: Mapped[bool] = mapped_column(default=False)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    last_login_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    sessions_after: Mapped[datetime | None] = mapped_column(UTCDateTime())
    """Session cookies issued before this (whole second) no longer sign in: a password
    reset sets it, so a sign-in made with the old password (perhaps an attacker's) ends."""


class RevokedSessionRow(Base):
    """A signed session cookie ended by signing out. The cookie itself stays valid by
    its signature until it expires, so without this row a copy of it (a shared machine,
    a leaked log) would still sign in; only its SHA-256 is kept, and only until the
    cookie would have expired anyway."""

    __tablename__ = "revoked_sessions"

    digest: Mapped[str] = mapped_column(sa.String(64), primary_key=True)
    user: Mapped[str] = mapped_column(sa.String(NAME_LENGTH))
    revoked_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime(), index=True)


# The data-feed and live-run tables live in their own modules; importing it here puts them in
# Base.metadata wherever the schema is used (migrations, the drift check).
from nexus_panel.storage import feed_schema, live_schema  # noqa: E402,F401
