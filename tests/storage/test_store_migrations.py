"""Migrations on both databases: empty -> head, a downgrade/upgrade round trip, models and
migrations in agreement (a parameter added to EngineParams needs a migration)."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
import sqlalchemy as sa
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from storage_helpers import execute, make_scenario

from nexus_panel.cli import main
from nexus_panel.models import EngineParams
from nexus_panel.storage import ScenarioStore, StorageError, database
from nexus_panel.storage.schema import Base

TABLES = {"scenarios", "scenario_revisions", "runs", "audit_events", "analyses", "users",
          "feeds", "feed_revisions", "feed_snapshots", "feed_allowlist",
          "live_runs", "live_chunks", "live_alert_events", "revoked_sessions"}


def _engine(url: str) -> sa.Engine:
    return database.make_engine(database.resolve_url(url))


def _tables(engine: sa.Engine) -> set[str]:
    return set(sa.inspect(engine).get_table_names()) - {database.VERSION_TABLE}


def _schema_drift(engine: sa.Engine) -> list[object]:
    with engine.connect() as conn:
        context = MigrationContext.configure(conn, opts={
            "compare_type": True, "version_table": database.VERSION_TABLE})
        return list(compare_metadata(context, Base.metadata))


def test_empty_database_upgrades_to_head_matching_the_models(db_url: str) -> None:
    engine = _engine(db_url)
    assert database.current_revision(engine) is None
    database.upgrade(engine)
    assert database.current_revision(engine) == database.head_revision()
    assert _tables(engine) == TABLES
    assert _schema_drift(engine) == []
    columns = {c["name"]: c for c in sa.inspect(engine).get_columns("scenario_revisions")}
    for name in EngineParams.names():  # one typed column per engine parameter
        expected = sa.Integer if name == "num_steps" else sa.Float
        assert isinstance(columns[name]["type"], expected), name
        assert not columns[name]["nullable"]
    engine.dispose()


def test_downgrade_and_upgrade_round_trip(db_url: str) -> None:
    with ScenarioStore(db_url) as store:
        store.save(make_scenario())
    engine = _engine(db_url)
    database.downgrade(engine, "base")
    assert database.current_revision(engine) is None
    assert _tables(engine) == set()
    database.upgrade(engine)
    assert _tables(engine) == TABLES and _schema_drift(engine) == []
    engine.dispose()
    with ScenarioStore(db_url) as store:
        assert store.list() == []
        assert store.save(make_scenario()).number == 1
        assert store.verify_audit().ok


def test_a_database_from_a_newer_version_is_refused(db_url: str) -> None:
    ScenarioStore(db_url).close()
    execute(db_url, f"UPDATE {database.VERSION_TABLE} SET version_num = 'f00d'")
    with pytest.raises(StorageError, match="revision f00d, which this version of nexus_panel "
                                           "does not know: upgrade nexus_panel"):
        ScenarioStore(db_url)


def test_db_cli_upgrade_and_current(db_url: str, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["db", "current", "--database-url", db_url]) == 0
    assert "schema revision none (empty: run `nexus-panel db upgrade`)" in capsys.readouterr().out
    assert main(["db", "upgrade", "--database-url", db_url]) == 0
    assert capsys.readouterr().out.strip().endswith(f"schema revision {database.head_revision()}")
    assert main(["db", "current", "--database-url", db_url]) == 0
    assert "(up to date)" in capsys.readouterr().out
    assert main(["db", "downgrade", "base", "--database-url", db_url]) == 0
    assert capsys.readouterr().out.strip().endswith("schema revision none (empty)")
    assert main(["db", "upgrade", "nonsense", "--database-url", db_url]) == 2
    assert capsys.readouterr().err.startswith("nexus-panel db: cannot upgrade to 'nonsense'")


def test_new_migration_writes_a_revision_after_head(tmp_path: Path,
                                                    monkeypatch: pytest.MonkeyPatch,
                                                    capsys: pytest.CaptureFixture[str]) -> None:
    # Work on a copy: the package's own migrations directory must stay untouched.
    copy = tmp_path / "migrations"
    shutil.copytree(database.MIGRATIONS_DIR, copy,
                    ignore=shutil.ignore_patterns("__pycache__"))
    monkeypatch.setattr(database, "MIGRATIONS_DIR", copy)
    old_head = database.head_revision()
    assert main(["db", "new-migration", "add nothing"]) == 0
    last = capsys.readouterr().out.strip().splitlines()[-1]
    written = Path(last.removeprefix("wrote ").split(": review")[0])
    assert written.parent == copy / "versions"
    text = written.read_text()
    assert f"down_revision = {old_head!r}" in text
    body = text.split("def upgrade() -> None:")[1].split("def downgrade")[0]
    assert "op." not in body  # models and migrations agree: nothing to do
    assert database.head_revision() != old_head
    with ScenarioStore(f"sqlite:///{tmp_path}/n.db") as store:  # upgrades through it
        assert database.current_revision(store.engine) == database.head_revision()


def test_0004_keeps_existing_scenarios_as_team_and_the_audit_trail_append_only(
        db_url: str) -> None:
    """A database of the single-user app gains accounts: its scenarios stay readable
    (team), the chain stays intact, and the rebuilt audit table still refuses edits."""
    with ScenarioStore(db_url) as store:
        store.save(make_scenario())
    engine = _engine(db_url)
    database.downgrade(engine, "0003")
    assert "users" not in _tables(engine)
    database.upgrade(engine)
    engine.dispose()
    with ScenarioStore(db_url) as store:
        info = store.get("baseline")
        assert (info.owner, info.visibility) == ("local", "team")
        store.add_user("vic", "viewer", "a long enough secret")
    with ScenarioStore(db_url, user="vic") as vic:
        assert [s.name for s in vic.list()] == ["baseline"]
        assert vic.verify_audit().ok
    with pytest.raises(sa.exc.DBAPIError, match="append-only"):
        execute(db_url, "UPDATE audit_events SET actor = 'mallory'")
    with pytest.raises(sa.exc.DBAPIError, match="known_action"):
        execute(db_url, "INSERT INTO audit_events (at, actor, action, object, details, "
                        "prev_hash, hash) VALUES (CURRENT_TIMESTAMP, 'x', 'bogus', 'y', "
                        "'{}', 'p', 'h')")
    engine = _engine(db_url)
    with pytest.raises(RuntimeError, match="cannot downgrade below 0004: the audit trail "
                                           "holds 1 account, login or refusal events"):
        database.downgrade(engine, "0003")
    assert database.current_revision(engine) == database.head_revision()  # all or nothing
    engine.dispose()
