"""The SQL source: one read-only SELECT against a SQLAlchemy URL, with a statement timeout
and a row cap.

Read-only three ways, so that no single check is trusted alone: the text must be one
statement beginning with SELECT or WITH (a clear error for everything else); on
PostgreSQL the transaction is ``READ ONLY`` with ``SET LOCAL statement_timeout``; on
SQLite the connection is ``PRAGMA query_only`` and a progress handler interrupts the
statement at the deadline. The transaction is always rolled back. The URL comes from
the definition (no password allowed there) or the environment variable it names.
"""

from __future__ import annotations

import os
import re
import time
from typing import Any, ClassVar

import pandas as pd
import sqlalchemy as sa

from nexus_panel.feeds.definition import FeedDefinition
from nexus_panel.feeds.errors import FetchError
from nexus_panel.feeds.sources import FetchContext, Fetched, Source
from nexus_panel.models.errors import FieldError, ValidationError

_COMMENTS = re.compile(r"--[^\n]*|/\*.*?\*/", re.S)
_FIRST_WORD = re.compile(r"^\s*(\w+)")
PROGRESS_OPS = 10_000
"""SQLite virtual-machine steps between two deadline checks."""


def check_select(query: str) -> str:
    """``query`` if it is one SELECT (or WITH ... SELECT) statement, else a
    ValidationError on ``query``."""
    text = _COMMENTS.sub(" ", query).strip().rstrip(";").strip()
    word = _FIRST_WORD.match(text)
    if not word or word.group(1).lower() not in ("select", "with") or ";" in text:
        raise ValidationError([FieldError("query", query[:200], "one read-only SELECT "
                                          "statement (no other statement, no ';' inside)")])
    if word.group(1).lower() == "with" and re.search(
            r"\b(insert|update|delete|merge|create|drop|alter)\b", text, re.I):
        raise ValidationError([FieldError("query", query[:200], "a WITH ... SELECT that "
                                          "writes nothing")])
    return text


def database_url(definition: FeedDefinition) -> str:
    if definition.sql_url:
        return definition.sql_url
    url = os.environ.get(definition.sql_url_env)
    if not url:
        raise ValidationError([FieldError("sql_url_env", definition.sql_url_env,
                                          "the name of a set environment variable")])
    return url


class SqlSource(Source):
    kind = "sql"
    fields: ClassVar[tuple[str, ...]] = ("sql_url", "sql_url_env", "query", "timeout_s")

    def fetch(self, definition: FeedDefinition, context: FetchContext) -> Fetched:
        query = check_select(definition.query)
        url = sa.make_url(database_url(definition))
        shown = url.render_as_string(hide_password=True)
        engine = sa.create_engine(url, poolclass=sa.pool.NullPool)
        try:
            with engine.connect() as conn:
                frame = _run(conn, query, definition)
        except sa.exc.DBAPIError as exc:
            why = str(exc.orig).splitlines()[0] if exc.orig else str(exc)
            if "interrupted" in why or "statement timeout" in why or "canceling" in why:
                why = f"stopped at the statement timeout of {definition.timeout_s:g} s"
            raise FetchError("query", f"{shown}: {why[:300]}") from None
        except sa.exc.ArgumentError as exc:
            raise FetchError("sql_url", f"{shown}: {exc}") from None
        finally:
            engine.dispose()
        return Fetched(source=f"SQL {shown}", frame=frame)


def _run(conn: sa.Connection, query: str, definition: FeedDefinition) -> pd.DataFrame:
    dialect = conn.dialect.name
    raw: Any = conn.connection.driver_connection
    if dialect == "sqlite":
        raw.execute("PRAGMA query_only = ON")
        deadline = time.monotonic() + definition.timeout_s
        raw.set_progress_handler(lambda: int(time.monotonic() > deadline), PROGRESS_OPS)
    try:
        with conn.begin() as transaction:
            if dialect == "postgresql":
                conn.execute(sa.text("SET TRANSACTION READ ONLY"))
                conn.execute(sa.text("SELECT set_config('statement_timeout', :ms, true)"),
                             {"ms": str(int(definition.timeout_s * 1000))})
            result = conn.execute(sa.text(query))
            rows = result.fetchmany(definition.max_rows + 1)
            columns = list(result.keys())
            transaction.rollback()
    finally:
        if dialect == "sqlite":
            raw.set_progress_handler(None, PROGRESS_OPS)
            raw.execute("PRAGMA query_only = OFF")
    if len(rows) > definition.max_rows:
        raise FetchError("max_rows", f"the query returns more than {definition.max_rows:,} "
                         "rows")
    return pd.DataFrame.from_records([tuple(r) for r in rows], columns=columns)
