"""Where the data lives and how we connect to it: URL resolution, engines, migrations.

One place decides the database URL (argument, else ``DATABASE_URL``, else a SQLite file in
``NEXUS_DATA_DIR`` or the user's data directory), configures the engine for safe
concurrent use (``pool_pre_ping``; on SQLite WAL mode, a busy timeout and ``BEGIN
IMMEDIATE`` for writes so concurrent writers queue instead of failing), and brings the
schema to the newest Alembic revision. Every failure here becomes a one-line
:class:`StorageError`, because it is the first thing a user with a typo in
``DATABASE_URL`` meets.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import sqlalchemy as sa
from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory

from nexus_panel.settings import current
from nexus_panel.storage.errors import StorageError, first_line

MIGRATIONS_DIR = Path(__file__).with_name("migrations")
DB_FILENAME = "nexus.db"
WRITE = "nexus_write"
"""Execution option marking a connection that will write (SQLite: BEGIN IMMEDIATE)."""
MIGRATION_LOCK_KEY = 0x6E657875  # "nexu": serialises concurrent auto-migrations on PG
SQLITE_BUSY_MS = 30_000
PG_CONNECT_TIMEOUT_S = 10
VERSION_TABLE = "nexus_alembic_version"
"""Where Alembic keeps this schema's revision. Not Alembic's default ``alembic_version``:
Optuna's RDB storage (tuning studies, in this same database) runs its own Alembic
migrations on that table, and one version table cannot track two schemas."""
LEGACY_VERSION_TABLE = "alembic_version"
"""Where databases made before the tuning studies kept this schema's revision."""


def data_dir() -> Path:
    """``NEXUS_DATA_DIR``, else the platform's user data directory for nexus_panel."""
    configured = current().data_dir
    if configured:
        return Path(configured)
    import platformdirs

    return Path(platformdirs.user_data_dir("nexus_panel", appauthor=False))


def resolve_url(url: str | sa.URL | None = None) -> sa.URL:
    """The URL to use: ``url``, else ``DATABASE_URL``, else the default SQLite file.

    ``postgres://`` and ``postgresql://`` mean PostgreSQL through psycopg 3.
    """
    raw = url or current().database_url
    if not raw:
        folder = data_dir()
        try:
            folder.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            raise StorageError(f"cannot create the data directory {folder}: "
                               f"{exc.strerror}") from None
        return sa.make_url(f"sqlite:///{folder / DB_FILENAME}")
    try:
        parsed = sa.make_url(raw)
    except (sa.exc.ArgumentError, ValueError):  # ValueError: e.g. a port that is no number
        shown = re.sub(r"(://[^:/@]*:)[^@]*@", r"\1***@", str(raw))  # hide a password
        raise StorageError(f"bad database URL {shown!r}: expected e.g. "
                           "postgresql://user:password@host:5432/dbname or "
                           "sqlite:///path/to/file.db") from None
    if parsed.drivername in ("postgres", "postgresql"):
        parsed = parsed.set(drivername="postgresql+psycopg")
    return parsed


def describe(url: sa.URL) -> str:
    """The URL with its password hidden, for messages."""
    return url.render_as_string(hide_password=True)


def make_engine(url: sa.URL) -> sa.Engine:
    """An engine configured for this project's needs on SQLite or PostgreSQL."""
    try:
        if url.get_backend_name() == "sqlite":
            engine = sa.create_engine(url, pool_pre_ping=True,
                                      connect_args={"check_same_thread": False})
            _configure_sqlite(engine)
        elif url.get_backend_name() == "postgresql":
            engine = sa.create_engine(url, pool_pre_ping=True,
                                      connect_args={"connect_timeout": PG_CONNECT_TIMEOUT_S})
        else:
            raise StorageError(f"unsupported database {describe(url)!r}: use PostgreSQL "
                               "(postgresql://...) or SQLite (sqlite:///...)")
    except (sa.exc.ArgumentError, sa.exc.NoSuchModuleError, ImportError) as exc:
        raise StorageError(f"cannot use database URL {describe(url)!r}: "
                           f"{first_line(exc)}") from None
    return engine


def _configure_sqlite(engine: sa.Engine) -> None:
    @sa.event.listens_for(engine, "connect")
    def _on_connect(dbapi_conn: Any, _record: Any) -> None:
        dbapi_conn.isolation_level = None  # we issue BEGIN ourselves (see _on_begin)
        cursor = dbapi_conn.cursor()
        for pragma in ("journal_mode=WAL", "foreign_keys=ON", "synchronous=NORMAL",
                       f"busy_timeout={SQLITE_BUSY_MS}"):
            cursor.execute(f"PRAGMA {pragma}")
        cursor.close()

    @sa.event.listens_for(engine, "begin")
    def _on_begin(conn: sa.Connection) -> None:
        # A write takes the database lock up front: two writers that both read first and
        # then try to upgrade their locks would deadlock and one would fail.
        immediate = conn.get_execution_options().get(WRITE, False)
        conn.exec_driver_sql("BEGIN IMMEDIATE" if immediate else "BEGIN")


@contextmanager
def translated(url: sa.URL, doing: str) -> Iterator[None]:
    """Turn driver errors into one-line StorageErrors naming the database."""
    try:
        yield
    except sa.exc.OperationalError as exc:
        raise StorageError(f"cannot {doing} at {describe(url)}: {first_line(exc)}") from None
    except sa.exc.DBAPIError as exc:
        raise StorageError(f"database error while trying to {doing} at {describe(url)}: "
                           f"{first_line(exc)}") from None


# --- migrations ---------------------------------------------------------------------------
def owned_by_app(name: str | None, type_: str, _parents: Any) -> bool:
    """Alembic ``include_name`` filter: only this schema's tables are compared (Optuna's
    tables and version table share the database and are none of our migrations' business)."""
    from nexus_panel.storage.schema import Base

    return type_ != "table" or name in Base.metadata.tables


def alembic_config(connection: sa.Connection | None = None) -> Config:
    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS_DIR))
    cfg.set_main_option("path_separator", "os")
    cfg.attributes["connection"] = connection
    return cfg


def head_revision() -> str:
    head = ScriptDirectory.from_config(alembic_config()).get_current_head()
    assert head is not None
    return head


def current_revision(engine: sa.Engine) -> str | None:
    """The schema revision stored in the database (None for an empty database)."""
    with translated(engine.url, "connect to the database"), engine.connect() as conn:
        return MigrationContext.configure(
            conn, opts={"version_table": VERSION_TABLE}).get_current_revision()


def _run(engine: sa.Engine, action: str, revision: str) -> None:
    with translated(engine.url, f"migrate the database ({action} to {revision})"), \
            engine.execution_options(**{WRITE: True}).begin() as conn:
        if conn.dialect.name == "postgresql":
            conn.execute(sa.text("SELECT pg_advisory_xact_lock(:k)"), {"k": MIGRATION_LOCK_KEY})
        getattr(command, action)(alembic_config(conn), revision)


def upgrade(engine: sa.Engine, revision: str = "head") -> None:
    _run(engine, "upgrade", revision)


def downgrade(engine: sa.Engine, revision: str) -> None:
    _run(engine, "downgrade", revision)


def ensure_schema(engine: sa.Engine) -> None:
    """Create or upgrade the schema to head; refuse a database newer than this code."""
    current = current_revision(engine)
    head = head_revision()
    if current == head:
        return
    if current is None:
        current = adopt_legacy_version(engine)
        if current == head:
            return
    script = ScriptDirectory.from_config(alembic_config())
    if current is not None:
        try:
            script.get_revision(current)
        except Exception:
            raise StorageError(
                f"the database at {describe(engine.url)} has schema revision {current}, "
                "which this version of nexus_panel does not know: upgrade nexus_panel") from None
    upgrade(engine)


def adopt_legacy_version(engine: sa.Engine) -> str | None:
    """Move this schema's revision from ``alembic_version`` (where databases made before
    the tuning studies kept it) to VERSION_TABLE, in one transaction; returns it. A
    revision there that is not ours (Optuna's) is left alone."""
    with translated(engine.url, "read the schema revision"), \
            engine.execution_options(**{WRITE: True}).begin() as conn:
        if conn.dialect.name == "postgresql":
            conn.execute(sa.text("SELECT pg_advisory_xact_lock(:k)"), {"k": MIGRATION_LOCK_KEY})
        inspector = sa.inspect(conn)
        if not inspector.has_table(LEGACY_VERSION_TABLE):
            return None
        ours = MigrationContext.configure(conn, opts={"version_table": VERSION_TABLE})
        if ours.get_current_revision() is not None:  # adopted by a concurrent process
            return ours.get_current_revision()
        script = ScriptDirectory.from_config(alembic_config())
        known = {r.revision for r in script.walk_revisions()}
        found = conn.execute(sa.text(f"SELECT version_num FROM {LEGACY_VERSION_TABLE}")
                             ).scalars().all()
        if len(found) != 1 or found[0] not in known:
            return None
        ours.stamp(script, found[0])
        conn.execute(sa.text(f"DROP TABLE {LEGACY_VERSION_TABLE}"))
        return str(found[0])


def new_migration(message: str) -> str:
    """Developers: write a migration for what the models gained since the newest one
    (e.g. a parameter added to EngineParams). Compares the models with a scratch SQLite
    database migrated to head; returns the new file's path."""
    import tempfile

    with tempfile.TemporaryDirectory() as folder:
        engine = make_engine(sa.make_url(f"sqlite:///{folder}/scratch.db"))
        try:
            upgrade(engine)
            with engine.execution_options(**{WRITE: True}).begin() as conn:
                script = command.revision(alembic_config(conn), message=message,
                                          autogenerate=True)
        finally:
            engine.dispose()
    return str(script.path if not isinstance(script, list) else script[0].path)
