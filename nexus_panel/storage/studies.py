"""Tuning studies in the app's own database, through Optuna's RDB storage.

Why here: a study belongs beside the scenario revision it tunes, in the same database
(``DATABASE_URL``: SQLite or PostgreSQL), so a team shares studies like scenarios. Optuna
keeps its own tables (``studies``, ``trials``, ...) and its own schema revision in Alembic's
default table ``alembic_version``; ours lives in ``nexus_alembic_version``
(:data:`nexus_panel.storage.database.VERSION_TABLE`), so the two migration histories never
meet, and our migrations only look at our tables.

The link to the scenario is kept in the study's user attributes (no migration of ours):
``nexus.scenario`` (name), ``nexus.revision`` (number at creation), ``nexus.content_hash``
(what the study was run on: a later run must use the same content), ``nexus.definition``
(the fields that fix a study, see ``TuningSpec.definition``), ``nexus.spec`` (the last
spec, to reopen the form), ``nexus.baseline`` (objectives at the scenario's own values)
and ``nexus.summary`` (best trial after the last run, for the studies list).

SQLite: Optuna's engine gets the same connection set-up as ours (WAL, 30 s busy timeout,
``BEGIN IMMEDIATE`` for every transaction), so studies and scenario saves queue instead of
failing with "database is locked". PostgreSQL: Optuna's first-time table creation runs
under our migration advisory lock, so processes starting together do not race.
"""

from __future__ import annotations

import contextlib
import threading
import time
from collections.abc import Callable, Iterator
from concurrent.futures import Executor
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import optuna
import sqlalchemy as sa

from nexus_panel.analysis.chunks import Progress
from nexus_panel.analysis.tuning import (
    SUMMARY_ATTR,
    Timing,
    TuningOutcome,
    check_directions,
    evaluate_baseline,
    run_tuning,
    trial_frame,
)
from nexus_panel.analysis.tuning_spec import DEFINING, TuningSpec
from nexus_panel.models import FieldError, Scenario, ValidationError
from nexus_panel.storage import database
from nexus_panel.storage.errors import NotFoundError, StorageError, first_line
from nexus_panel.storage.records import RevisionRecord
from nexus_panel.storage.rows import check_name
from nexus_panel.storage.store import ScenarioStore

SCENARIO = "nexus.scenario"
REVISION = "nexus.revision"
CONTENT = "nexus.content_hash"
DEFINITION = "nexus.definition"
SPEC = "nexus.spec"
BASELINE = "nexus.baseline"
CREATED = "nexus.created_at"
NAME_LENGTH = 200


@dataclass(frozen=True)
class StudyInfo:
    """A study as the studies list shows it."""

    name: str
    scenario: str
    revision: int
    directions: list[str]
    objectives: list[str]
    n_trials: int
    best_value: Any
    best_trial: int | None
    created_at: str


def check_study_name(name: Any, field: str = "study") -> str:
    if not isinstance(name, str) or not name.strip() or len(name) > NAME_LENGTH \
            or not name.isprintable():
        raise ValidationError([FieldError(field, name, f"a study name of 1–{NAME_LENGTH} "
                                                       "printable characters")])
    return name


def _rdb_storage(store: ScenarioStore) -> optuna.storages.RDBStorage:
    optuna.logging.set_verbosity(optuna.logging.WARNING)  # no INFO line per study
    url = store.url
    kwargs: dict[str, Any] = {"pool_pre_ping": True}
    if url.get_backend_name() == "sqlite":
        kwargs["connect_args"] = {"check_same_thread": False,
                                  "timeout": database.SQLITE_BUSY_MS / 1000}
    else:
        kwargs["connect_args"] = {"connect_timeout": database.PG_CONNECT_TIMEOUT_S}
    text = url.render_as_string(hide_password=False)
    for attempt in range(3):
        try:
            with _creation_lock(store):
                storage = optuna.storages.RDBStorage(text, engine_kwargs=kwargs)
            break
        except (sa.exc.OperationalError, sa.exc.IntegrityError, sa.exc.ProgrammingError) as exc:
            if attempt == 2:  # two processes creating Optuna's tables at once: try again
                raise StorageError(f"cannot open the tuning studies at "
                                   f"{database.describe(url)}: {first_line(exc)}") from None
            time.sleep(0.2 * (attempt + 1))
        except RuntimeError as exc:  # Optuna: the study tables need `optuna storage upgrade`
            raise StorageError(f"tuning studies at {database.describe(url)}: {exc}") from None
    if url.get_backend_name() == "sqlite":
        database._configure_sqlite(storage.engine)
        storage.engine.update_execution_options(**{database.WRITE: True})
        storage.engine.dispose()  # pooled connections were opened without the set-up
    return storage


@contextlib.contextmanager
def _creation_lock(store: ScenarioStore) -> Iterator[None]:
    if store.url.get_backend_name() != "postgresql":
        yield
        return
    with store.engine.connect() as conn:
        conn.execute(sa.text("SELECT pg_advisory_lock(:k)"), {"k": database.MIGRATION_LOCK_KEY})
        try:
            yield
        finally:
            conn.execute(sa.text("SELECT pg_advisory_unlock(:k)"),
                         {"k": database.MIGRATION_LOCK_KEY})
            conn.commit()


class StudyStore:
    """Named tuning studies, linked to scenario revisions, in the store's database."""

    def __init__(self, store: ScenarioStore) -> None:
        self.store = store
        self.storage = _rdb_storage(store)

    def close(self) -> None:
        self.storage.engine.dispose()

    def __enter__(self) -> StudyStore:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    @contextlib.contextmanager
    def _translated(self, doing: str) -> Iterator[None]:
        try:
            yield
        except sa.exc.DBAPIError as exc:
            raise StorageError(f"could not {doing} at {database.describe(self.store.url)}: "
                               f"{first_line(exc)}") from None

    # --- finding --------------------------------------------------------------------------
    def exists(self, name: str) -> bool:
        with self._translated(f"look up study {name!r}"):
            try:
                self.storage.get_study_id_from_name(name)
            except KeyError:
                return False
        return True

    def load(self, name: str) -> optuna.Study:
        """The study ``name`` (NotFoundError if there is none)."""
        check_study_name(name)
        if not self.exists(name):
            raise NotFoundError(f"no tuning study named {name!r}")
        with self._translated(f"load study {name!r}"):
            return optuna.load_study(study_name=name, storage=self.storage)

    def attrs(self, name: str) -> dict[str, Any]:
        return dict(self.load(name).user_attrs)

    def spec_of(self, name: str) -> TuningSpec:
        """The study's last spec on the scenario revision it is linked to."""
        attrs = self.attrs(name)
        if SPEC not in attrs:
            raise NotFoundError(f"study {name!r} was not made by nexus_panel")
        scenario = self.store.load(attrs[SCENARIO], revision=attrs[REVISION])
        return TuningSpec.from_dict({**attrs[SPEC], "scenario": scenario.to_dict()})

    def list(self) -> list[StudyInfo]:
        """Every nexus_panel study, newest first."""
        with self._translated("list tuning studies"):
            studies = self.storage.get_all_studies()
            out = []
            for s in studies:
                attrs = s.user_attrs
                if DEFINITION not in attrs:
                    continue
                summary = attrs.get(SUMMARY_ATTR, {})
                out.append(StudyInfo(
                    name=s.study_name, scenario=attrs[SCENARIO], revision=attrs[REVISION],
                    directions=[d.name.lower() for d in s.directions],
                    objectives=[o["metric"] for o in attrs[DEFINITION]["objectives"]],
                    n_trials=self.storage.get_n_trials(s._study_id),
                    best_value=summary.get("best_value"), best_trial=summary.get("best_trial"),
                    created_at=attrs.get(CREATED, "")))
        return sorted(out, key=lambda i: i.created_at, reverse=True)

    def outcome(self, name: str) -> TuningOutcome:
        """The study as it stands (its trials, best, baseline), without running anything."""
        spec = self.spec_of(name)
        study = self.load(name)
        with self._translated(f"read the trials of {name!r}"):
            trials = study.get_trials(deepcopy=False)
        return TuningOutcome(spec=spec, study_name=name, directions=spec.directions(),
                             trials=trial_frame(trials, spec), added=0,
                             baseline=study.user_attrs.get(BASELINE), seconds=0.0,
                             timing=Timing())

    # --- running --------------------------------------------------------------------------
    def run(self, spec: TuningSpec, name: str, *, executor: Executor | None = None,
            progress: Progress | None = None, cancel: Callable[[], bool] | None = None
            ) -> TuningOutcome:
        """Add ``spec.n_trials`` trials to study ``name`` (created if new), warm-started
        from ``spec.warm_start`` if that names a study. Every check happens before
        anything is written."""
        check_study_name(name)
        spec.validate()
        warm = self.warm_source(spec, name)
        existing = self.exists(name)
        if existing:
            self._check_same(name, self.attrs(name), spec, spec.base_scenario)
        baseline = self.attrs(name).get(BASELINE) if existing else None
        if baseline is None:
            baseline = evaluate_baseline(spec, executor=executor)
        study, _ = self.prepare(spec, name, baseline)
        outcome = run_tuning(spec, study, baseline=baseline, warm_from=warm,
                             executor=executor, progress=progress, cancel=cancel)
        self.record_summary(study, outcome.summary())
        return outcome

    # --- opening for a run ----------------------------------------------------------------
    def prepare(self, spec: TuningSpec, name: str,
                baseline: list[float | None]) -> tuple[optuna.Study, RevisionRecord]:
        """The study ``name`` for a run of ``spec``: created (and linked to the scenario's
        revision, saved first if its content changed) or, if it exists, checked to be the
        same study (same scenario content and definition). Bad input writes nothing."""
        check_study_name(name)
        spec.validate()
        scenario = spec.base_scenario
        check_name(scenario.name, "scenario.name")
        existing = self.exists(name)
        if existing:
            attrs = self.attrs(name)
            self._check_same(name, attrs, spec, scenario)
        revision = self.store.save(scenario, message=f"tuned in study {name!r}")
        if existing and DEFINITION in attrs:
            study = self.load(name)
            check_directions(study, spec)
            study.set_user_attr(SPEC, _spec_form(spec))
            return study, revision
        with self._translated(f"create study {name!r}"):
            study = optuna.create_study(study_name=name, storage=self.storage,
                                        directions=spec.directions(), load_if_exists=True)
            check_directions(study, spec)
            for key, value in ((SCENARIO, scenario.name), (REVISION, revision.number),
                               (CONTENT, scenario.content_hash()),
                               (SPEC, _spec_form(spec)), (BASELINE, baseline),
                               (CREATED, datetime.now(UTC).isoformat(timespec="seconds")),
                               (DEFINITION, spec.definition())):  # last: marks it complete
                study.set_user_attr(key, value)
        return study, revision

    def _check_same(self, name: str, attrs: dict[str, Any], spec: TuningSpec,
                    scenario: Scenario) -> None:
        if DEFINITION not in attrs:
            trials = self.storage.get_n_trials(self.storage.get_study_id_from_name(name))
            if trials:
                raise ValidationError([FieldError(
                    "study", name, "a new study name (this one was not made by nexus_panel)")])
            return  # an interrupted creation: completed by prepare()
        if attrs[SCENARIO] != scenario.name:
            raise ValidationError([FieldError(
                "study", name, f"a study of scenario {scenario.name!r} or a new name: "
                               f"{name!r} belongs to scenario {attrs[SCENARIO]!r}")])
        if attrs[CONTENT] != scenario.content_hash():
            raise ValidationError([FieldError(
                "study", name, f"a new study name: {name!r} tunes revision "
                               f"{attrs[REVISION]} of {scenario.name!r}, and this scenario's "
                               "parameters or inputs differ from it")])
        stored, now = attrs[DEFINITION], spec.definition()
        changed = [k for k in DEFINING if stored.get(k) != now.get(k)]
        if changed:
            raise ValidationError([FieldError(
                "study", name, "a new study name, or the study's own " + ", ".join(changed)
                + f" ({name!r} was created with other values)")])

    def warm_source(self, spec: TuningSpec, name: str) -> optuna.Study | None:
        """The study named by ``spec.warm_start`` (ValidationError naming the field)."""
        if not spec.warm_start:
            return None
        if spec.warm_start == name:
            raise ValidationError([FieldError("warm_start", spec.warm_start,
                                              "another study than the one being run")])
        if not self.exists(spec.warm_start):
            raise ValidationError([FieldError("warm_start", spec.warm_start,
                                              "the name of an existing study")])
        return self.load(spec.warm_start)

    def record_summary(self, study: optuna.Study, summary: dict[str, Any]) -> None:
        keep = {k: summary[k] for k in ("best_value", "best_trial", "n_trials")}
        with self._translated(f"update study {study.study_name!r}"):
            study.set_user_attr(SUMMARY_ATTR, keep)

    # --- apply and delete -----------------------------------------------------------------
    def apply(self, name: str, trial_number: int, author: str | None = None
              ) -> RevisionRecord:
        """Write trial ``trial_number``'s tuned values as a new revision of the study's
        scenario (on top of the revision the study tuned); its message names both."""
        study = self.load(name)
        attrs = study.user_attrs
        if DEFINITION not in attrs:
            raise NotFoundError(f"study {name!r} was not made by nexus_panel")
        try:
            number = int(trial_number)
            trial = study.get_trials(deepcopy=False)[number]
            if number < 0 or trial.state != optuna.trial.TrialState.COMPLETE:
                raise IndexError
        except (IndexError, TypeError, ValueError):
            raise ValidationError([FieldError("trial", trial_number,
                                              f"the number of a complete trial of "
                                              f"{name!r}")]) from None
        scenario = self.store.load(attrs[SCENARIO], revision=attrs[REVISION])
        data = scenario.to_dict()
        data["params"].update({k: float(v) for k, v in trial.params.items()})
        tuned = Scenario.from_dict(data)
        message = (f"Applied trial {number} of tuning study {name!r} "
                   f"(values {_values_text(trial.values)})")
        return self.store.save(tuned, message=message, author=author)

    def delete(self, name: str) -> None:
        study = self.load(name)
        with self._translated(f"delete study {name!r}"):
            optuna.delete_study(study_name=study.study_name, storage=self.storage)


_SHARED: dict[int, StudyStore] = {}
_SHARED_LOCK = threading.Lock()


def shared_studies(store: ScenarioStore) -> StudyStore:
    """One StudyStore per ScenarioStore in this process (opening Optuna's storage checks
    its schema, so the pages reuse it)."""
    with _SHARED_LOCK:
        if id(store) not in _SHARED or _SHARED[id(store)].store is not store:
            _SHARED[id(store)] = StudyStore(store)
        return _SHARED[id(store)]


def _spec_form(spec: TuningSpec) -> dict[str, Any]:
    data = spec.to_dict()
    data.pop("scenario")
    return data


def _values_text(values: list[float] | None) -> str:
    return ", ".join(f"{v:.6g}" for v in values or [])
