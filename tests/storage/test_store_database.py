"""Choosing and reaching the database: defaults, DATABASE_URL, and one clear line when
the URL is bad or the server unreachable."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest
from storage_helpers import make_scenario

from nexus_panel.cli import main
from nexus_panel.storage import ScenarioStore, StorageError, database

UNREACHABLE = "postgresql://postgres:s3cret@127.0.0.1:9/nexus"


def test_default_is_a_migrated_sqlite_file_in_wal_mode(tmp_path: Path,
                                                       monkeypatch: pytest.MonkeyPatch) -> None:
    folder = tmp_path / "not" / "yet"
    monkeypatch.setenv("NEXUS_DATA_DIR", str(folder))
    with ScenarioStore() as store:
        store.save(make_scenario())
    path = folder / "nexus.db"
    assert path.is_file()
    with sqlite3.connect(path) as conn:
        assert conn.execute("PRAGMA journal_mode").fetchone() == ("wal",)
        version = conn.execute("SELECT version_num FROM nexus_alembic_version").fetchone()
    assert version == (database.head_revision(),)
    with ScenarioStore() as again:  # a second start finds the data
        assert [s.name for s in again.list()] == ["baseline"]


def test_database_url_selects_the_database(monkeypatch: pytest.MonkeyPatch, db_url: str
                                           ) -> None:
    if db_url.startswith("postgresql+psycopg://"):  # plain postgresql:// means psycopg 3
        db_url = db_url.replace("postgresql+psycopg://", "postgresql://", 1)
    monkeypatch.setenv("DATABASE_URL", db_url)
    with ScenarioStore() as store:
        store.save(make_scenario("shared"))
    with ScenarioStore(db_url) as other:
        assert [s.name for s in other.list()] == ["shared"]
    assert not (database.data_dir() / "nexus.db").exists()  # the default was not used


@pytest.mark.parametrize(("url", "message"), [
    ("not a url", "bad database URL 'not a url': expected e.g. postgresql://"),
    ("postgresql://u:s3cret@h:port/db", "bad database URL 'postgresql://u:***@h:port/db': "
                                        "expected e.g. postgresql://"),
    ("postgresql://u:s3cret@[::1:5432/db", "bad database URL 'postgresql://u:***@[::1:5432/db'"),
    ("mysql://u@h/db", "unsupported database 'mysql://u@h/db': use PostgreSQL"),
    (UNREACHABLE, "cannot connect to the database at "
                  "postgresql+psycopg://postgres:***@127.0.0.1:9/nexus: connection failed"),
    ("sqlite:////nonexistent/dir/nexus.db", "cannot connect to the database at sqlite:////"
                                            "nonexistent/dir/nexus.db: unable to open"),
])
def test_bad_or_unreachable_urls_give_one_clear_line(url: str, message: str) -> None:
    with pytest.raises(StorageError) as caught:
        ScenarioStore(url)
    text = str(caught.value)
    assert text.startswith(message)
    assert "\n" not in text and "s3cret" not in text


def test_postgresql_connections_give_up_after_the_connect_timeout(
        monkeypatch: pytest.MonkeyPatch) -> None:
    """An unreachable server fails within PG_CONNECT_TIMEOUT_S instead of hanging (the
    timeout is what bounds it, so that is what is checked, not a stopwatch)."""
    import sqlalchemy as sa

    seen: dict[str, object] = {}
    create = sa.create_engine

    def spy(url: sa.URL, **options: object) -> sa.Engine:
        seen.update(options)
        return create(url, **options)

    monkeypatch.setattr(database.sa, "create_engine", spy)
    database.make_engine(sa.make_url(UNREACHABLE)).dispose()
    assert seen["connect_args"] == {"connect_timeout": database.PG_CONNECT_TIMEOUT_S}
    assert 0 < database.PG_CONNECT_TIMEOUT_S <= 30


def test_cli_reports_an_unreachable_database_in_one_line(
        monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> None:
    monkeypatch.setenv("DATABASE_URL", UNREACHABLE)
    for argv in (["db", "upgrade"], ["db", "verify-audit"], ["export", "x"]):
        assert main(argv) == 2
        captured = capsys.readouterr()
        lines = captured.err.strip().splitlines()
        assert len(lines) == 1 and "Traceback" not in captured.err
        assert lines[0].startswith(f"nexus-panel {argv[0]}: cannot ")
        assert "127.0.0.1:9" in lines[0] and "s3cret" not in lines[0]
