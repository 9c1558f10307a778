"""Tuning studies in the app's database (SQLite and PostgreSQL): linked to the scenario
revision, resumed by name, refused when they belong elsewhere (nothing written), applied
as a new revision; Optuna's schema and ours share the database without touching each
other; a study killed with SIGKILL continues with no broken trial."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import optuna
import pytest
import sqlalchemy as sa
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from storage_helpers import count_rows, execute

from nexus_panel.analysis.tuning_spec import TuningSpec
from nexus_panel.models import ValidationError
from nexus_panel.storage import ScenarioStore, database
from nexus_panel.storage.schema import Base
from nexus_panel.storage.studies import StudyStore

SHOCK = {"name": "shock", "params": {"num_steps": 200},
         "inputs": {"C_cons": {"kind": "step", "initial": 60, "final": 90, "step_at": 50}}}
OURS = {"scenarios", "scenario_revisions", "runs", "audit_events", "analyses"}


def spec(**extra: Any) -> TuningSpec:
    return TuningSpec.from_dict({"scenario": SHOCK, "n_trials": 30, "batch_size": 15,
                                 "parameters": [{"parameter": "K_p"}, {"parameter": "K_i"}],
                                 "objectives": [{"metric": "rms_error"}], **extra})


def test_a_study_is_linked_resumed_listed_and_applied(db_url: str) -> None:
    with ScenarioStore(db_url) as store, StudyStore(store) as studies:
        first = studies.run(spec(), "gains")
        again = studies.run(spec(n_trials=15), "gains")
        assert (first.n_trials, again.n_trials) == (30, 45)
        assert again.baseline == first.baseline and first.baseline[0] > 0
        attrs = studies.attrs("gains")
        assert (attrs["nexus.scenario"], attrs["nexus.revision"]) == ("shock", 1)
        [info] = studies.list()
        assert (info.name, info.n_trials, info.best_trial) == ("gains", 45,
                                                               again.summary()["best_trial"])
        best = again.best()
        record = studies.apply("gains", int(best["number"]))
        assert record.number == 2
        assert record.message.startswith(f"Applied trial {int(best['number'])} of tuning "
                                         "study 'gains'")
        assert record.params["K_p"] == pytest.approx(best["K_p"])
        reopened = studies.outcome("gains")
        assert reopened.trials.equals(again.trials)


def test_bad_requests_write_nothing(db_url: str) -> None:
    with ScenarioStore(db_url) as store, StudyStore(store) as studies:
        studies.run(spec(), "gains")
        before = {t: count_rows(db_url, t) for t in ("scenario_revisions", "trials",
                                                     "studies", "audit_events")}
        other = spec(scenario={**SHOCK, "name": "elsewhere"})
        with pytest.raises(ValidationError, match="'gains' belongs to scenario 'shock'"):
            studies.run(other, "gains")
        with pytest.raises(ValidationError, match=r"study = 'gains' .*objectives"):
            studies.run(spec(objectives=[{"metric": "overshoot_pct"}]), "gains")
        changed = spec(scenario={**SHOCK, "params": {"num_steps": 300}})
        with pytest.raises(ValidationError, match="parameters or inputs differ"):
            studies.run(changed, "gains")
        with pytest.raises(ValidationError, match="warm_start = 'nope'"):
            studies.run(spec(warm_start="nope"), "new")
        with pytest.raises(ValidationError, match="study = ''"):
            studies.run(spec(), "")
        with pytest.raises(ValidationError, match="trial = 999"):
            studies.apply("gains", 999)
        after = {t: count_rows(db_url, t) for t in before}
        assert after == before


def test_optuna_and_our_migrations_share_one_database(db_url: str) -> None:
    with ScenarioStore(db_url) as store, StudyStore(store) as studies:
        studies.run(spec(), "kept")
    engine = database.make_engine(database.resolve_url(db_url))
    tables = set(sa.inspect(engine).get_table_names())
    assert OURS | {"studies", "trials", "alembic_version", database.VERSION_TABLE} <= tables
    with engine.connect() as conn:  # our models vs our tables: Optuna's are not ours
        context = MigrationContext.configure(conn, opts={
            "version_table": database.VERSION_TABLE, "include_name": database.owned_by_app})
        assert compare_metadata(context, Base.metadata) == []
        optuna_head = conn.execute(sa.text("SELECT version_num FROM alembic_version")).scalar()
    with ScenarioStore(db_url) as store, StudyStore(store) as studies:  # Optuna's own head
        assert optuna_head == studies.storage.get_current_version() \
            == studies.storage.get_head_version()
    database.downgrade(engine, "base")  # ours gone, the study untouched
    assert not OURS & set(sa.inspect(engine).get_table_names())
    database.upgrade(engine)
    engine.dispose()
    with ScenarioStore(db_url) as store, StudyStore(store) as studies:
        assert len(studies.load("kept").trials) == 30


def test_a_database_from_before_keeps_its_schema_revision(db_url: str) -> None:
    ScenarioStore(db_url).close()
    head = database.head_revision()
    execute(db_url, f"DROP TABLE {database.VERSION_TABLE}")  # as databases were made before
    execute(db_url, "CREATE TABLE alembic_version (version_num VARCHAR(32) PRIMARY KEY)")
    execute(db_url, f"INSERT INTO alembic_version VALUES ('{head}')")
    with ScenarioStore(db_url) as store, StudyStore(store) as studies:
        assert database.current_revision(store.engine) == head
        studies.run(spec(n_trials=15), "after")
    assert count_rows(db_url, database.VERSION_TABLE) == 1


def _tune(db_url: str, spec_path: Path, trials: int) -> subprocess.Popen[bytes]:
    env = {**os.environ, "DATABASE_URL": db_url}
    return subprocess.Popen([sys.executable, "-m", "nexus_panel.cli", "tune", str(spec_path),
                             "--study", "killed", "--trials", str(trials), "--json"],
                            env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE)


@pytest.mark.slow
def test_kill_9_during_a_study_then_run_again(db_url: str, tmp_path: Path) -> None:
    spec_path = tmp_path / "spec.json"
    data = spec(n_trials=1, batch_size=10).to_dict()
    data["scenario"]["params"]["num_steps"] = 1000
    spec_path.write_text(json.dumps(data))
    proc = _tune(db_url, spec_path, 100_000)
    deadline = time.monotonic() + 120
    engine = sa.create_engine(db_url)
    try:
        while time.monotonic() < deadline:  # until some trials are in the database
            try:
                with engine.connect() as conn:
                    if conn.execute(sa.text("SELECT count(*) FROM trials")).scalar_one() >= 20:
                        break
            except sa.exc.DBAPIError:
                pass  # the tables are not there yet
            time.sleep(0.2)
        os.kill(proc.pid, signal.SIGKILL)
    finally:
        engine.dispose()
        if proc.poll() is None:
            proc.kill()
        proc.communicate(timeout=30)  # reaps it and closes the pipes
    with ScenarioStore(db_url) as store, StudyStore(store) as studies:
        left = studies.load("killed").trials
    assert len(left) >= 20
    assert {t.state for t in left} == {optuna.trial.TrialState.COMPLETE}
    assert [t.number for t in left] == list(range(len(left)))
    rerun = _tune(db_url, spec_path, 10)
    out, err = rerun.communicate(timeout=300)
    assert rerun.returncode == 0, err.decode()
    assert json.loads(out)["n_trials"] == len(left) + 10
