"""SQL feeds on SQLite and PostgreSQL: a SELECT is read; anything else is refused before
it runs, and the database refuses writes anyway (read-only transaction / query_only);
the statement timeout and the row cap hold."""

from __future__ import annotations

import pytest
import sqlalchemy as sa

from nexus_panel.feeds.errors import FetchError
from nexus_panel.feeds.sql import check_select
from nexus_panel.feeds.store import FeedStore
from nexus_panel.models import ValidationError


@pytest.fixture
def prices(db_url: str) -> str:
    """A table of 50 prices in the test database (the app's tables live there too)."""
    engine = sa.create_engine(db_url)
    with engine.begin() as conn:
        conn.execute(sa.text("CREATE TABLE prices (ts DOUBLE PRECISION, price DOUBLE "
                             "PRECISION)"))
        conn.execute(sa.text("INSERT INTO prices VALUES (:t, :p)"),
                     [{"t": float(t), "p": 10.0 + t} for t in range(50)])
    engine.dispose()
    return db_url


def _count(url: str) -> int:
    engine = sa.create_engine(url)
    with engine.connect() as conn:
        count = conn.execute(sa.text("SELECT count(*) FROM prices")).scalar_one()
    engine.dispose()
    return int(count)


def _sql(feeds: FeedStore, url: str, query: str, **extra: object) -> None:
    feeds.add("db", {"source": "sql", "sql_url": url, "query": query, "time_column": "ts",
                     "value_columns": ["price"], **extra})


def test_a_select_becomes_a_snapshot(feeds: FeedStore, prices: str) -> None:
    _sql(feeds, prices, "SELECT ts, price FROM prices WHERE ts < 30 ORDER BY ts DESC")
    snap = feeds.fetch("db")
    assert snap.rows == 30 and snap.source.startswith("SQL ")
    series = feeds.series(snap.sha256)
    assert series.times[0] == 0.0 and series.columns["price"][-1] == 39.0  # sorted by time


@pytest.mark.parametrize("query", [
    "DELETE FROM prices", "SELECT 1 AS ts, 2 AS price; DROP TABLE prices",
    "WITH x AS (DELETE FROM prices RETURNING *) SELECT ts, price FROM x",
    "-- a comment\nUPDATE prices SET price = 0", "PRAGMA query_only = OFF",
])
def test_anything_but_one_select_is_refused_before_it_runs(feeds: FeedStore, prices: str,
                                                           query: str) -> None:
    with pytest.raises(ValidationError) as caught:
        _sql(feeds, prices, query)
        feeds.fetch("db")
    assert caught.value.fields == ["query"]
    assert _count(prices) == 50


def test_the_database_refuses_a_write_hidden_in_a_select(feeds: FeedStore, prices: str
                                                         ) -> None:
    """A SELECT that writes through a function: the read-only transaction (PostgreSQL)
    or query_only (SQLite) stops it, not the text check."""
    if prices.startswith("postgresql"):
        engine = sa.create_engine(prices)
        with engine.begin() as conn:
            conn.execute(sa.text(
                "CREATE FUNCTION wipe() RETURNS int LANGUAGE sql AS "
                "'DELETE FROM prices RETURNING 1'"))
        engine.dispose()
        query = "SELECT wipe() AS ts, 1 AS price"
    else:
        query = "SELECT ts, price FROM prices WHERE 0 = (SELECT count(*) FROM " \
                "pragma_query_only WHERE query_only = 0)"
    _sql(feeds, prices, query)
    if prices.startswith("postgresql"):
        with pytest.raises(FetchError, match="read-only transaction"):
            feeds.fetch("db")
    else:
        assert feeds.fetch("db").rows == 50  # query_only was on while it ran
    assert _count(prices) == 50


def test_statement_timeout_and_row_cap(feeds: FeedStore, prices: str) -> None:
    slow = ("SELECT pg_sleep(5) AS ts, 1 AS price" if prices.startswith("postgresql") else
            "WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM c) "
            "SELECT count(*) AS ts, 1 AS price FROM c")
    _sql(feeds, prices, slow, timeout_s=0.5)
    with pytest.raises(FetchError, match=r"statement timeout of 0\.5 s"):
        feeds.fetch("db")
    _sql(feeds, prices, "SELECT ts, price FROM prices", max_rows=10)
    with pytest.raises(FetchError, match="max_rows: the query returns more than 10 rows"):
        feeds.fetch("db")


def test_a_password_in_the_url_is_refused_and_the_variable_is_read(
        feeds: FeedStore, prices: str, monkeypatch: pytest.MonkeyPatch) -> None:
    with pytest.raises(ValidationError, match=r"sql_url = .*\*\*\*.*without a password"):
        _sql(feeds, "postgresql+psycopg://u:hunter2@127.0.0.1/x", "SELECT 1")
    monkeypatch.setenv("FEED_DB", prices)
    feeds.add("db", {"source": "sql", "sql_url_env": "FEED_DB", "time_column": "ts",
                     "value_columns": ["price"], "query": "SELECT ts, price FROM prices"})
    assert feeds.fetch("db").rows == 50


def test_check_select_accepts_plain_selects() -> None:
    assert check_select("  select 1 ; ") == "select 1"
    assert check_select("WITH a AS (SELECT 1 AS x) SELECT x FROM a").startswith("WITH")
