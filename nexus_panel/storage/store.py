"""``ScenarioStore``: the one API through which views, the CLI and notebooks keep scenarios.

Guarantees, on SQLite and PostgreSQL alike:

* nothing saved is lost or overwritten: a save adds an immutable revision (numbered 1, 2,
  3 ... without gaps, even under concurrent writers: the scenario row is locked with
  SELECT ... FOR UPDATE on PostgreSQL, the database with BEGIN IMMEDIATE on SQLite);
  delete is a reversible flag;
* every write is one transaction, audit event included: it happens completely or not at
  all; an integrity clash (two first saves of one name racing) is retried a few times;
* writers never deadlock one another: scenario rows are claimed in one global order before
  the audit lock (``locking``); a deadlock or serialisation failure caused by another
  client is retried with backoff, a bounded number of times;
* text follows one rule on both databases (``models.text``); imported runs are recomputed
  and refused unless they match (``verify``);
* reads survive a dropped connection (pre-ping at checkout plus a bounded retry);
* every failure surfaces as ``ValidationError`` (bad input) or ``StorageError`` (with a
  one-line message), never a driver traceback.

It returns frozen records (``nexus_panel.storage.records``), never ORM objects.
"""

from __future__ import annotations

import builtins
import copy
import time
from collections.abc import Callable
from dataclasses import replace
from datetime import datetime
from pathlib import Path
from typing import Any, TypeVar

import numba
import numpy as np
import sqlalchemy as sa
from sqlalchemy.orm import Session

from nexus_panel.engine import CorruptResultError, SimulationResult, simulate
from nexus_panel.engine.simulate import package_version
from nexus_panel.files import write_atomically
from nexus_panel.models import FieldError, Scenario, ValidationError
from nexus_panel.models import text as text_rules
from nexus_panel.storage import (
    accounts,
    analyses,
    audit,
    database,
    locking,
    login_limits,
    passwords,
    revision_check,
    transfer,
    verify,
)
from nexus_panel.storage.analyses import AnalysisRecord
from nexus_panel.storage.errors import (
    ConflictError,
    NotFoundError,
    PermissionDenied,
    StorageError,
    first_line,
)
from nexus_panel.storage.permissions import (
    Actor,
    actor_of,
    can_read,
    local_actor,
    readable,
    require_owner,
    require_role,
)
from nexus_panel.storage.records import (
    AuditCheck,
    AuditEvent,
    RevisionRecord,
    RunRecord,
    ScenarioDiff,
    ScenarioInfo,
    SignIn,
    UserRecord,
)
from nexus_panel.storage.rows import (
    Ref,
    check_count,
    check_name,
    could_be_name,
    find_revision,
    find_scenario,
    id_in_range,
    info_query,
    info_record,
    like_pattern,
    range_filters,
    revision_record,
    run_query,
    run_record,
    scenario_info,
    scenario_of,
    split_ref,
)
from nexus_panel.storage.schema import (
    PARAM_COLUMNS,
    VISIBILITIES,
    RevisionRow,
    RunRow,
    ScenarioRow,
    utcnow,
)

T = TypeVar("T")
READ_ATTEMPTS = 3
WRITE_ATTEMPTS = 5
REVISION_MAX = 2**31 - 1
"""Largest revision number the INTEGER column holds (a filter beyond it is refused)."""
RevisionRef = RevisionRecord | str | int | tuple[Ref, int]
"""A revision: a record, ``"name@3"``, ``("name", 3)``, or a scenario name/id (latest)."""


class ScenarioStore:
    """Scenarios, their revisions and runs, and the audit trail, in one database.

    ``url``: SQLAlchemy URL; None means ``DATABASE_URL``, else a SQLite file in
    ``NEXUS_DATA_DIR`` or the user data directory. The schema is created or upgraded on
    first use (``migrate=False`` only checks that the database answers).

    ``user``: the account the store acts for: the owner of new scenarios and the author
    of every change, whose role every write is checked against (``storage.permissions``;
    a refused write raises :class:`PermissionDenied` and is audited). None: the
    single-user local app, acting as ``local`` with every right.
    """

    def __init__(self, url: str | sa.URL | None = None, *, user: str | None = None,
                 migrate: bool = True) -> None:
        self.local = user is None
        self.user = "local" if user is None else text_rules.AUTHOR.check(user, "user").strip()
        self.url = database.resolve_url(url)
        self.engine = database.make_engine(self.url)
        self._writer = self.engine.execution_options(**{database.WRITE: True})
        try:
            if migrate:
                database.ensure_schema(self.engine)
            else:
                database.current_revision(self.engine)
        except StorageError:
            self.engine.dispose()
            raise

    def __repr__(self) -> str:
        return f"ScenarioStore({database.describe(self.url)!r})"

    def close(self) -> None:
        self.engine.dispose()

    def __enter__(self) -> ScenarioStore:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # --- transactions ---------------------------------------------------------------------
    def _read(self, work: Callable[[Session], T], doing: str) -> T:
        for attempt in range(READ_ATTEMPTS):
            try:
                with Session(self.engine) as session:
                    return work(session)
            except sa.exc.DBAPIError as exc:
                if exc.connection_invalidated and attempt + 1 < READ_ATTEMPTS:
                    time.sleep(0.05 * (attempt + 1))
                    continue
                raise self._error(exc, doing) from None
        raise AssertionError("unreachable")  # pragma: no cover

    def _write(self, work: Callable[[Session], T], doing: str) -> T:
        try:
            return self._write_once(work, doing)
        except PermissionDenied as exc:
            # The refused transaction rolled back; the refusal is recorded on its own.
            details = {"operation": doing, "reason": str(exc)}
            self._write_once(lambda s: audit.append(
                s, self.user, "refuse", f"user:{self.user}", details),
                "record a refused write")
            raise

    def _write_once(self, work: Callable[[Session], T], doing: str) -> T:
        for attempt in range(WRITE_ATTEMPTS):
            try:
                with Session(self._writer, expire_on_commit=False) as session, \
                        session.begin():
                    return work(session)
            except sa.exc.IntegrityError as exc:
                # A concurrent writer got there first (same new name, same chain link):
                # the transaction rolled back entirely, so it is safe to try again.
                if attempt + 1 < WRITE_ATTEMPTS:
                    time.sleep(locking.backoff_s(attempt))
                    continue
                raise StorageError(f"could not {doing}: {first_line(exc)} "
                                   "(nothing was saved)") from None
            except sa.exc.DBAPIError as exc:
                if not locking.is_transient(exc):
                    raise self._error(exc, doing, " (nothing was saved)") from None
                if attempt + 1 < WRITE_ATTEMPTS:  # a deadlock: rolled back, run it again
                    time.sleep(locking.backoff_s(attempt))
                    continue
                raise self._error(exc, doing, f", after {WRITE_ATTEMPTS} attempts "
                                  "(nothing was saved)") from None
        raise AssertionError("unreachable")  # pragma: no cover

    def _error(self, exc: sa.exc.DBAPIError, doing: str, suffix: str = "") -> StorageError:
        return StorageError(f"could not {doing} at {database.describe(self.url)}: "
                            f"{first_line(exc)}{suffix}")

    # --- scenarios ------------------------------------------------------------------------
    def save(self, scenario: Scenario, message: str = "", author: str | None = None, *,
             base_revision: int | None = None, run: SimulationResult | None = None
             ) -> RevisionRecord:
        """Save ``scenario`` under ``scenario.name`` as a new revision.

        Returns the new revision, or, when params, inputs and description equal the latest
        revision's, that revision with ``created=False`` (nothing is written).
        ``base_revision``: the revision the caller started from; if someone has saved a
        newer one since, raise ConflictError instead of silently superseding their work.
        ``run``: the scenario's result, stored with the revision in the same transaction
        unless the revision already holds a run by this engine version (runs are
        deterministic: the seeds are part of the content, so a second one adds nothing).
        """
        scenario.validate()
        if any(not f.sha256 for f in scenario.inputs.feeds().values()):
            from nexus_panel.feeds.store import FeedStore  # a revision pins its snapshots

            scenario = FeedStore(self).pin(scenario)
        name = check_name(scenario.name)
        author = self._author(author)

        def work(s: Session) -> RevisionRecord:
            record = self._save_in(s, scenario, name, message, author,
                                   base_revision=base_revision)
            if run is not None and self._same_run_in(s, record, run.engine_version) is None:
                self._record_run_in(s, record, run, {}, author)
            return record
        return self._write(work, f"save scenario {name!r}")

    def save_many(self, scenarios: list[Scenario], message: str = "",
                  author: str | None = None) -> list[RevisionRecord]:
        """Save several scenarios in one transaction: all of them, or none."""
        for scenario in scenarios:
            scenario.validate()
        names = [check_name(sc.name) for sc in scenarios]
        author = self._author(author)

        def work(s: Session) -> list[RevisionRecord]:
            locking.claim_scenarios(s, names, self.user)  # every row before the audit lock
            return [self._save_in(s, sc, name, message, author)
                    for sc, name in zip(scenarios, names, strict=True)]
        return self._write(work, f"save {len(scenarios)} scenarios")

    def _save_in(self, session: Session, scenario: Scenario, name: str, message: str,
                 author: str, *, base_revision: int | None = None,
                 details: dict[str, Any] | None = None, must_be_new: bool = False
                 ) -> RevisionRecord:
        text_rules.MESSAGE.check(message, "message")  # every save passes here
        actor = self._acting(session, "editor", f"save scenario {name!r}", author)
        row = locking.claim_scenarios(session, [name], self.user)[name]
        if row.revision_count and not can_read(actor, row):
            raise PermissionDenied(f"{actor.name!r} may not save scenario {name!r}: it is "
                                   f"private to {row.owner!r}")
        content_hash = scenario.content_hash()
        now = utcnow()
        if row.revision_count == 0:  # claimed just now: a new scenario
            action = "create"
        else:
            if must_be_new:
                raise ConflictError(f"a scenario named {name!r} already exists")
            if row.deleted:
                raise ConflictError(f"scenario {name!r} is deleted: restore it, or save "
                                    "under another name")
            latest = find_revision(session, row, None)
            if base_revision is not None and base_revision != row.revision_count:
                raise ConflictError(
                    f"scenario {name!r} was saved as revision {row.revision_count} by "
                    f"{latest.author} after revision {base_revision} you started from: "
                    "load the latest revision, or save under another name")
            if latest.content_hash == content_hash and \
                    latest.description == scenario.description:
                return revision_record(latest, name, created=False)
            action = "revise"
        number = row.revision_count + 1
        row.revision_count = number
        row.description = scenario.description
        row.updated_at = now
        revision = RevisionRow(scenario_id=row.id, number=number,
                               description=scenario.description,
                               inputs=scenario.inputs.to_dict(), content_hash=content_hash,
                               author=author, message=message, created_at=now,
                               **scenario.params.to_dict())
        session.add(revision)
        session.flush()
        audit.append(session, author, action, f"scenario:{row.id}",
                     {"name": name, "revision": number, "content_hash": content_hash,
                      "message": message, **(details or {})})
        return revision_record(revision, name)

    def load(self, name_or_id: Ref, revision: int | None = None) -> Scenario:
        """The scenario as saved in ``revision`` (default: the latest)."""
        def work(s: Session) -> Scenario:
            row = self._find(s, name_or_id)
            return scenario_of(find_revision(s, row, revision), row.name)
        return self._read(work, f"load scenario {name_or_id!r}")

    def get(self, name_or_id: Ref) -> ScenarioInfo:
        """One scenario's listing record (deleted ones too)."""
        return self._read(lambda s: scenario_info(
            s, self._find(s, name_or_id, deleted_ok=True).id), f"read {name_or_id!r}")

    def exists(self, name: str) -> bool:
        """True when a scenario (deleted or not) holds ``name``."""
        return could_be_name(name) and self._read(lambda s: s.scalar(sa.select(
            ScenarioRow.id).where(ScenarioRow.name == name)) is not None, f"look up {name!r}")

    def list(self, search: str | None = None, *, deleted: bool = False,
             limit: int | None = None, **parameter_ranges: Any) -> list[ScenarioInfo]:
        """Scenarios by name, filtered on their latest revision.

        ``search``: case-insensitive text in the name or description.
        ``parameter_ranges``: ``alpha=(1.5, None)`` (alpha >= 1.5), ``K_p=(0, 0.2)``,
        ``num_steps=5000``; bounds inclusive. ``deleted=True`` lists only deleted ones.
        """
        if not isinstance(deleted, bool):
            raise ValidationError([FieldError("deleted", deleted, "True or False")])
        query = info_query().where(ScenarioRow.deleted.is_(deleted), *range_filters(
            parameter_ranges)).order_by(ScenarioRow.name)
        if search is not None:
            text_rules.SEARCH.check(search, "search")
        if search:
            pattern = like_pattern(search)
            query = query.where(sa.or_(ScenarioRow.name.ilike(pattern, escape="\\"),
                                       ScenarioRow.description.ilike(pattern, escape="\\")))
        if limit is not None:
            query = query.limit(check_count(limit, "limit"))
        return self._read(lambda s: [info_record(r) for r in s.execute(
            query.where(readable(self._actor(s))))], "list scenarios")

    def revisions(self, name_or_id: Ref) -> builtins.list[RevisionRecord]:
        """Every revision of a scenario, oldest first (deleted scenarios too)."""
        def work(s: Session) -> builtins.list[RevisionRecord]:
            row = self._find(s, name_or_id, deleted_ok=True)
            rows = s.scalars(sa.select(RevisionRow).where(RevisionRow.scenario_id == row.id)
                             .order_by(RevisionRow.number))
            return [revision_record(r, row.name) for r in rows]
        return self._read(work, f"list revisions of {name_or_id!r}")

    def revision(self, ref: RevisionRef) -> RevisionRecord:
        """One revision: ``"name@3"``, ``("name", 3)``, or a name/id for the latest."""
        if isinstance(ref, RevisionRecord):
            return ref
        scenario_ref, number = split_ref(ref)

        def work(s: Session) -> RevisionRecord:
            row = self._find(s, scenario_ref, deleted_ok=True)
            return revision_record(find_revision(s, row, number), row.name)
        return self._read(work, f"read revision {ref!r}")

    def diff(self, a: RevisionRef | Scenario, b: RevisionRef | Scenario) -> ScenarioDiff:
        """Changes from ``a`` to ``b`` (revisions, as for :meth:`revision`, or scenarios)."""
        (label_a, sa_), (label_b, sb) = self._diff_side(a), self._diff_side(b)
        da, db = sa_.to_dict(), sb.to_dict()
        return ScenarioDiff(
            a=label_a, b=label_b,
            params={k: (da["params"][k], db["params"][k]) for k in PARAM_COLUMNS
                    if da["params"][k] != db["params"][k]},
            inputs={k: (da["inputs"][k], db["inputs"][k]) for k in da["inputs"]
                    if da["inputs"][k] != db["inputs"][k]},
            meta={k: (da[k], db[k]) for k in ("name", "description") if da[k] != db[k]})

    def _diff_side(self, ref: RevisionRef | Scenario) -> tuple[str, Scenario]:
        if isinstance(ref, Scenario):
            return f"{ref.name} (unsaved)", ref
        record = self.revision(ref)
        return record.label, record.scenario()

    def duplicate(self, name_or_id: Ref, new_name: str, author: str | None = None,
                  message: str = "") -> RevisionRecord:
        """Copy the latest revision of a scenario into a new scenario ``new_name``."""
        new_name = check_name(new_name, "new_name")
        author = self._author(author)

        def work(s: Session) -> RevisionRecord:
            row = self._find(s, name_or_id)
            source = find_revision(s, row, None)
            copy = scenario_of(source, row.name).copy(name=new_name)
            label = f"{row.name}@{source.number}"
            return self._save_in(s, copy, new_name, message or f"Duplicate of {label}",
                                 author, details={"duplicate_of": label}, must_be_new=True)
        return self._write(work, f"duplicate {name_or_id!r} as {new_name!r}")

    def delete(self, name_or_id: Ref, author: str | None = None) -> ScenarioInfo:
        """Hide a scenario (soft delete: :meth:`restore` brings it back intact)."""
        return self._set_deleted(name_or_id, True, author)

    def restore(self, name_or_id: Ref, author: str | None = None) -> ScenarioInfo:
        return self._set_deleted(name_or_id, False, author)

    def _set_deleted(self, ref: Ref, deleted: bool, author: str | None) -> ScenarioInfo:
        action = "delete" if deleted else "restore"
        return self._set_owned(ref, "deleted", deleted, action, author=author)

    def _set_owned(self, ref: Ref, column: str, value: object, action: str, *,
                   author: str | None, details: dict[str, Any] | None = None
                   ) -> ScenarioInfo:
        """Set ``column`` of a scenario the acting user owns (or any, for an admin) and
        audit it as ``action``; nothing is written when it already holds ``value``."""
        author = self._author(author)
        verb = "change the visibility of" if action == "visibility" else action
        doing = f"{verb} scenario {ref!r}"

        def work(s: Session) -> ScenarioInfo:
            actor = self._acting(s, "editor", doing, author)
            row = self._find(s, ref, lock=True, deleted_ok=True, actor=actor)
            require_owner(actor, row, f"{verb} scenario {row.name!r}")
            if getattr(row, column) != value:
                setattr(row, column, value)
                row.updated_at = utcnow()
                s.flush()
                audit.append(s, author, action, f"scenario:{row.id}",
                             {"name": row.name, **(details or {})})
            return scenario_info(s, row.id)
        return self._write(work, doing)

    # --- runs -----------------------------------------------------------------------------
    def record_run(self, revision: RevisionRef, result: SimulationResult, *,
                   started_at: datetime | None = None, duration_s: float | None = None,
                   author: str | None = None) -> RunRecord:
        """Store ``result`` (a run of ``revision``'s content) with its provenance."""
        author = self._author(author)
        provenance = {"started_at": started_at, "duration_s": duration_s}
        def work(s: Session) -> RunRecord:
            self._acting(s, "viewer", "record a run", author)
            return self._record_run_in(s, revision, result, provenance, author)
        return self._write(work, "record the run")

    def _record_run_in(self, session: Session, revision: RevisionRef,
                       result: SimulationResult, provenance: dict[str, Any], author: str,
                       ) -> RunRecord:
        rev = self._revision_row(session, revision)
        if result.content_hash != rev.content_hash or \
                result.scenario.content_hash() != rev.content_hash:
            raise ValidationError([FieldError(
                "result", result.content_hash[:12] or "(no hash)",
                f"a run of this revision's content (hash {rev.content_hash[:12]})")])
        signals = result.scenario.inputs.signals()
        seeds = {n: sig.seed for n, sig in signals.items() if sig.is_random}
        run = RunRow(
            revision_id=rev.id, created_at=provenance.get("created_at") or utcnow(),
            started_at=provenance.get("started_at"), duration_s=provenance.get("duration_s"),
            engine_version=result.engine_version,
            numpy_version=provenance.get("numpy_version", np.__version__),
            numba_version=provenance.get("numba_version", numba.__version__),
            package_version=provenance.get("package_version", package_version()),
            content_hash=rev.content_hash, seeds=provenance.get("seeds", seeds),
            num_steps=len(result.frame) - 1, data=result.to_bytes(),
            **result.summary)
        session.add(run)
        session.flush()
        audit.append(session, author, "run", f"run:{run.id}",
                     {"revision_id": rev.id, "content_hash": rev.content_hash})
        return run_record(session.execute(run_query().where(RunRow.id == run.id)).one())

    @staticmethod
    def _same_run_in(session: Session, revision: RevisionRecord, engine_version: str,
                     created_at: datetime | None = None) -> RunRecord | None:
        """A stored run of ``revision`` by ``engine_version`` (recorded at ``created_at``,
        when given: an imported run keeps its original time), or None."""
        query = run_query().where(RunRow.revision_id == revision.id,
                                  RunRow.engine_version == engine_version)
        if created_at is not None:
            query = query.where(RunRow.created_at == created_at)
        row = session.execute(query.limit(1)).one_or_none()
        return None if row is None else run_record(row)

    def _revision_row(self, session: Session, revision: RevisionRef) -> RevisionRow:
        if isinstance(revision, RevisionRecord):
            row = session.get(RevisionRow, revision.id)
            if row is None:
                raise NotFoundError(f"no revision {revision.label}")
            self._find(session, row.scenario_id)  # refuses a deleted or unreadable one
            return row
        ref, number = split_ref(revision)
        scenario = self._find(session, ref)
        return find_revision(session, scenario, number)

    def run(self, revision: RevisionRef, author: str | None = None
            ) -> tuple[RunRecord, SimulationResult]:
        """Simulate a stored revision, record the run (timed), and return both."""
        record = self.revision(revision)
        scenario = record.scenario()
        if scenario.inputs.feeds():  # load the pinned snapshots the run reads
            from nexus_panel.feeds.store import FeedStore

            FeedStore(self).pin(scenario)
        started = utcnow()
        clock = time.perf_counter()
        result = simulate(scenario)
        duration = time.perf_counter() - clock
        return self.record_run(record, result, started_at=started, duration_s=duration,
                               author=author), result

    def runs(self, name_or_id: Ref, revision: int | None = None) -> builtins.list[RunRecord]:
        """Stored runs of a scenario (of one revision number if given), oldest first."""
        if revision is not None:
            check_count(revision, "revision", 1, REVISION_MAX)

        def work(s: Session) -> builtins.list[RunRecord]:
            row = self._find(s, name_or_id, deleted_ok=True)
            query = run_query().where(RevisionRow.scenario_id == row.id)
            if revision is not None:
                query = query.where(RevisionRow.number == revision)
            return [run_record(r) for r in s.execute(query)]
        return self._read(work, f"list runs of {name_or_id!r}")

    def run_info(self, run_id: int) -> RunRecord:
        def work(s: Session) -> RunRecord:
            row = (s.execute(run_query().where(RunRow.id == run_id, readable(
                self._actor(s)))).one_or_none() if id_in_range(run_id) else None)
            if row is None:
                raise NotFoundError(f"no stored run with id {run_id}")
            return run_record(row)
        return self._read(work, f"read run {run_id}")

    def load_run(self, run_id: int) -> SimulationResult:
        """The stored result, identical bit for bit to the one recorded."""
        blob = self._read(lambda s: s.scalar(
            sa.select(RunRow.data).join(RevisionRow, RevisionRow.id == RunRow.revision_id)
            .join(ScenarioRow, ScenarioRow.id == RevisionRow.scenario_id)
            .where(RunRow.id == run_id, readable(self._actor(s))))
            if id_in_range(run_id) else None, f"load run {run_id}")
        if blob is None:
            raise NotFoundError(f"no stored run with id {run_id}")
        try:
            return SimulationResult.from_bytes(bytes(blob))
        except CorruptResultError as exc:
            raise StorageError(f"stored run {run_id} is unreadable: {exc}") from None

    # --- analyses (encoding and queries: nexus_panel.storage.analyses) ---------------------
    def save_analysis(self, scenario: Scenario, kind: str, result: Any, message: str = "",
                      author: str | None = None) -> AnalysisRecord:
        """Save ``scenario`` (a new revision only if its content changed, as :meth:`save`)
        and the analysis ``result`` run on it (spec + results), in one transaction."""
        scenario.validate()
        name = check_name(scenario.name)
        author = self._author(author)
        prepared = analyses.prepare(scenario, kind, result)

        def work(s: Session) -> AnalysisRecord:
            record = self._save_in(s, scenario, name, message, author)
            return analyses.add(s, self._revision_row(s, record), prepared, author, message)
        return self._write(work, f"save the {kind} analysis of {name!r}")

    def load_analysis(self, analysis_id: int | str
                      ) -> tuple[Scenario, dict[str, Any], dict[str, Any]]:
        """(the analysed scenario as saved, the spec without its scenario, the results).

        ``results`` is the result's ``to_dict()`` without the spec, plus ``"arrays"``
        (name -> numpy array); ``nexus_panel.analysis.registry.restore_result`` turns the
        three back into the result object."""
        key = analyses.check_id(analysis_id)
        _, scenario, spec, results, blob = self._read(
            lambda s: analyses.load(s, key, readable(self._actor(s))), f"load analysis {key}")
        return scenario, spec, {**results, "arrays": analyses.unpack_arrays(blob, key)}

    def analysis_info(self, analysis_id: int | str) -> AnalysisRecord:
        key = analyses.check_id(analysis_id)
        return self._read(lambda s: analyses.info(s, key, readable(self._actor(s))),
                          f"read analysis {key}")

    def analyses(self, name: str | None = None) -> builtins.list[AnalysisRecord]:
        """Saved analyses (of the scenario ``name`` if given), oldest first."""
        if not could_be_name(name):
            return []
        return self._read(lambda s: analyses.listing(s, name, readable(self._actor(s))),
                          "list saved analyses")

    # --- export / import ------------------------------------------------------------------
    def export_bundle(self, revision: RevisionRef, author: str | None = None
                      ) -> dict[str, Any]:
        """A revision and all its runs as a JSON-ready dict (audited as an export)."""
        data, obj, details = self._bundle(revision)
        self._log(author, "export", obj, details)
        return data

    def _bundle(self, revision: RevisionRef) -> tuple[dict[str, Any], str, dict[str, Any]]:
        """The bundle, and the object and details of its audit event."""
        record = self.revision(revision)
        runs = [(r, self.load_run(r.id)) for r in self.runs(record.scenario_id, record.number)]
        data = transfer.bundle(record, runs)
        details = {"revision": record.number, "runs": [r.id for r, _ in runs], "format": "json"}
        scenario = record.scenario()
        if scenario.inputs.feeds():  # the bundle carries the snapshots its runs read
            from nexus_panel.feeds import transfer as feed_transfer

            data[feed_transfer.KEY] = self._read(
                lambda s: feed_transfer.payloads(s, scenario), "export feed snapshots")
            details["feed_snapshots"] = [p["sha256"] for p in data[feed_transfer.KEY]]
        return data, f"scenario:{record.scenario_id}", details

    def export_scenario(self, revision: RevisionRef, path: str | Path,
                        author: str | None = None) -> Path:
        """Write :meth:`export_bundle` to a JSON file: complete or not at all, and audited
        only once written."""
        author = self._author(author)
        data, obj, details = self._bundle(revision)
        _write_file(path, lambda tmp: transfer.write_json(data, tmp))
        self._log(author, "export", obj, details)
        return Path(path)

    def export_run(self, run_id: int, path: str | Path, fmt: str | None = None,
                   author: str | None = None) -> Path:
        """Write a stored run's time series as CSV or Parquet (by ``fmt`` or suffix)."""
        author = self._author(author)
        chosen = transfer.table_format(path, fmt)
        result = self.load_run(run_id)
        _write_file(path, lambda tmp: transfer.write_table(result, tmp, chosen))
        self._log(author, "export", f"run:{run_id}", {"format": chosen})
        return Path(path)

    def import_data(self, data: Any, *, name: str | None = None, message: str = "",
                    author: str | None = None, with_runs: bool = True
                    ) -> tuple[RevisionRecord, builtins.list[RunRecord]]:
        """Import a bundle, a scenario dict or the original app's export, in one
        transaction: the revision and every run, or nothing.

        Every run is recomputed and refused unless the file's numbers are this engine's
        (``storage.verify``); ``with_runs=False`` imports the scenario alone."""
        return self._import(transfer.parse_import(data), name, message, author, with_runs)

    def import_file(self, path: str | Path, *, name: str | None = None, message: str = "",
                    author: str | None = None, with_runs: bool = True,
                    revision: RevisionRef | None = None
                    ) -> tuple[RevisionRecord, builtins.list[RunRecord]]:
        """Import a JSON file (as :meth:`import_data`), a Parquet run file exported here
        (its scenario and the run), or a CSV run file: a CSV holds no scenario, so
        ``revision`` names the stored revision it is a run of."""
        kind = transfer.import_kind(path)
        if (kind == "csv") != (revision is not None):
            raise ValidationError([FieldError(
                "revision", revision, "a stored revision (e.g. 'baseline@2') for a CSV run "
                "file, which holds no scenario; nothing for JSON or Parquet files")])
        if kind == "csv":
            return self._import_csv_run(path, revision, message, author)
        try:
            parsed = (transfer.parquet_import(path) if kind == "parquet"
                      else transfer.parse_import(transfer.read_json(path)))
        except ValidationError as exc:  # a bad value in the file: say which file
            raise exc.in_file(path) from None
        return self._import(parsed, name, message, author, with_runs)

    def _import(self, parsed: transfer.ParsedImport, name: str | None, message: str,
                author: str | None, with_runs: bool
                ) -> tuple[RevisionRecord, builtins.list[RunRecord]]:
        scenario = parsed.scenario if name is None else parsed.scenario.copy(name=name)
        if any(not f.sha256 for f in scenario.inputs.feeds().values()):
            from nexus_panel.feeds.store import FeedStore  # a revision pins its snapshots

            scenario = FeedStore(self).pin(scenario)
        target = check_name(scenario.name)
        author = self._author(author)
        # Recomputed before the transaction: no lock is held while the engine runs.
        checked = [(verify.verified_run(result, provenance, parsed.run_label(i)), provenance)
                   for i, (result, provenance) in enumerate(parsed.runs)] if with_runs else []

        def work(s: Session) -> tuple[RevisionRecord, builtins.list[RunRecord]]:
            record = self._save_in(s, scenario, target, message or parsed.message, author)
            if parsed.feed_snapshots:  # the series the runs read, kept with them
                from nexus_panel.feeds import transfer as feed_transfer

                feed_transfer.store_in(s, author, parsed.feed_snapshots)
            # Importing the same file again adds no runs: a run of this revision by the
            # same engine, recorded at the same time (or, without a recorded time, any
            # run by that engine) is the one already stored.
            runs = [self._same_run_in(s, record, result.engine_version,
                                      provenance.get("created_at"))
                    or self._record_run_in(s, record, replace(result, scenario=scenario),
                                           provenance, author)
                    for result, provenance in checked]
            audit.append(s, author, "import", f"scenario:{record.scenario_id}",
                         {"kind": parsed.kind, "revision": record.number,
                          "new_revision": record.created, "runs": [r.id for r in runs]})
            return record, runs
        return self._write(work, f"import scenario {target!r}")

    def _import_csv_run(self, path: str | Path, revision: RevisionRef, message: str,
                        author: str | None
                        ) -> tuple[RevisionRecord, builtins.list[RunRecord]]:
        """A CSV run file as a new run of ``revision``, if its numbers are the engine's."""
        author = self._author(author)
        text_rules.MESSAGE.check(message, "message")
        record = self.revision(revision)
        result = verify.verified_frame(record.scenario(), transfer.read_table(path), "file")

        def work(s: Session) -> tuple[RevisionRecord, builtins.list[RunRecord]]:
            self._acting(s, "editor", f"import a run of {record.label}", author)
            run = self._record_run_in(s, record, result, {}, author)
            audit.append(s, author, "import", f"scenario:{record.scenario_id}",
                         {"kind": "csv", "revision": record.number, "new_revision": False,
                          "runs": [run.id], "message": message})
            return replace(record, created=False), [run]
        return self._write(work, f"import a run of {record.label}")

    # --- audit ----------------------------------------------------------------------------
    def audit_events(self, obj: str | None = None, limit: int | None = 100
                     ) -> builtins.list[AuditEvent]:
        """Newest first; ``obj`` like ``"scenario:3"`` or ``"run:7"``."""
        if obj is not None:
            text_rules.AUDIT_OBJECT.check(obj, "obj")
        if limit is not None:
            check_count(limit, "limit")
        return self._read(lambda s: audit.events(s, obj, limit), "read the audit trail")

    def verify_audit(self) -> AuditCheck:
        """The audit hash chain, and every revision against its content hash."""
        def work(s: Session) -> AuditCheck:
            check = audit.verify(s)
            checked, problems = revision_check.check_revisions(s)
            return replace(check, revisions_checked=checked, bad_revisions=tuple(problems))
        return self._read(work, "verify the audit trail")

    def _log(self, author: str | None, action: str, obj: str, details: dict[str, Any]) -> None:
        author = self._author(author)

        def work(s: Session) -> None:
            self._acting(s, "viewer", action, author)
            audit.append(s, author, action, obj, details)
        self._write(work, f"record the {action}")

    # --- who acts -------------------------------------------------------------------------
    def _actor(self, session: Session) -> Actor:
        """The acting user as the database says now (local: every right)."""
        return local_actor() if self.local else actor_of(session, self.user)

    def _acting(self, session: Session, role: str, doing: str, author: str) -> Actor:
        """The acting user, if they have at least ``role`` and sign as themselves."""
        actor = self._actor(session)
        require_role(actor, role, doing)
        if not self.local and author != actor.name:
            raise PermissionDenied(f"{actor.name!r} may not {doing} in the name of "
                                   f"{author!r}")
        return actor

    def _find(self, session: Session, ref: Ref, *, lock: bool = False,
              deleted_ok: bool = False, actor: Actor | None = None) -> ScenarioRow:
        """``find_scenario``, where a scenario the acting user may not read does not
        exist (a private scenario's name is not revealed either)."""
        row = find_scenario(session, ref, lock=lock, deleted_ok=deleted_ok)
        if not can_read(actor or self._actor(session), row):
            what = f"id {ref}" if isinstance(ref, int) else f"named {ref!r}"
            raise NotFoundError(f"no scenario {what}")
        return row

    def set_visibility(self, name_or_id: Ref, visibility: str,
                       author: str | None = None) -> ScenarioInfo:
        """Make a scenario ``team`` or ``private`` (its owner, or an admin)."""
        if visibility not in VISIBILITIES:
            raise ValidationError([FieldError("visibility", visibility,
                                              " | ".join(VISIBILITIES))])
        return self._set_owned(name_or_id, "visibility", visibility, "visibility",
                               author=author, details={"visibility": visibility})

    # --- accounts (rules: nexus_panel.storage.accounts, permissions) ----------------------
    def users(self) -> builtins.list[UserRecord]:
        """Every account, by name."""
        return self._read(accounts.listing, "list accounts")

    def add_user(self, name: str, role: str, password: str,
                 display_name: str = "") -> UserRecord:
        """Add an account (admins only; the local user may add the first admin)."""
        name = accounts.check_name(name)
        accounts.check_role(role)
        text_rules.AUTHOR.check(display_name or name, "display_name")
        password_hash = passwords.hash_password(passwords.check_policy(password, name))

        def work(s: Session) -> UserRecord:
            self._acting(s, "admin", f"add the account {name!r}", self.user)
            return accounts.add(s, self.user, name, role, password_hash,
                                display_name=display_name)
        return self._write(work, f"add the account {name!r}")

    def set_role(self, name: str, role: str) -> UserRecord:
        accounts.check_role(role)
        return self._change_user(name, f"change the role of {name!r}", role=role)

    def set_disabled(self, name: str, disabled: bool = True) -> UserRecord:
        """Disable (or enable again) an account; a disabled account can neither sign in
        nor write."""
        if not isinstance(disabled, bool):
            raise ValidationError([FieldError("disabled", disabled, "True or False")])
        doing = f"{'disable' if disabled else 'enable'} the account {name!r}"
        return self._change_user(name, doing, disabled=disabled)

    def reset_password(self, name: str, password: str) -> UserRecord:
        checked = passwords.check_policy(password, accounts.check_name(name))
        return self._change_user(name, f"reset the password of {name!r}",
                                 password_hash=passwords.hash_password(checked))

    def bootstrap_admin(self, name: str, password: str) -> UserRecord | None:
        """The first admin of a new deployment: added only while the database has no
        account at all (else None, and nothing is written), in one transaction, so
        several processes starting together add it once."""
        name = accounts.check_name(name)
        password_hash = passwords.hash_password(passwords.check_policy(password, name))

        def work(s: Session) -> UserRecord | None:
            if accounts.count(s):
                return None
            return accounts.add(s, "bootstrap", name, "admin", password_hash,
                                display_name="")
        return self._write(work, f"add the first admin {name!r}")

    def _change_user(self, name: str, doing: str, **values: Any) -> UserRecord:
        name = accounts.check_name(name)

        def work(s: Session) -> UserRecord:
            self._acting(s, "admin", doing, self.user)
            return accounts.change(s, self.user, name, **values)
        return self._write(work, doing)

    def authenticate(self, name: str, password: str) -> UserRecord | None:
        """The account if ``password`` is its password and it is enabled, else None (the
        same answer for an unknown user, a wrong password and a disabled account).

        Every attempt is audited; a success records the login time and rehashes a
        password hashed with older parameters. (The rate-limited form: :meth:`sign_in`.)"""
        if not text_rules.AUTHOR.accepts(name) or not isinstance(password, str) or \
                len(password) > passwords.MAX_LENGTH:
            return None
        return self._write_once(lambda s: self._attempt(s, name, password, None),
                                f"check the password of {name!r}")

    def sign_in(self, name: str, password: str, address: str | None) -> SignIn:
        """:meth:`authenticate` for the web sign-in, refused without checking the password
        while ``name`` or the client ``address`` has too many recent failures
        (``storage.login_limits``). Names the text rule refuses, and over-long passwords,
        are refused and audited (the name shown escaped)."""
        name_ok = text_rules.AUTHOR.accepts(name)
        if not name_ok or not isinstance(password, str) or \
                len(password) > passwords.MAX_LENGTH:
            why = ("user name: " + text_rules.AUTHOR.allowed) if not name_ok else \
                f"password: at most {passwords.MAX_LENGTH} characters"
            self.refuse_sign_in(name, address, why)
            return SignIn(None, refused=why)

        def work(s: Session) -> SignIn:
            audit.serialise(s)
            throttle = login_limits.check(s, name, address)
            if throttle.retry_after:
                audit.append(s, name, "login", f"user:{name}", {
                    "outcome": "rate limited", "address": address, "why": throttle.why})
                return SignIn(None, retry_after=throttle.retry_after)
            return SignIn(self._attempt(s, name, password, address))
        return self._write_once(work, f"check the password of {name!r}")

    def external_sign_in(self, name: str, role: str, address: str | None,
                         display_name: str = "") -> SignIn:
        """Keep the account of a user the identity provider vouched for (single sign-on):
        created on first sign-in, its role synced to ``role``, refused (``SignIn.refused``)
        when disabled or when ``name`` belongs to a password account. Audited; see
        ``accounts.external_sign_in``. Bad names/roles raise ValidationError unwritten."""
        name = accounts.check_name(name)
        accounts.check_role(role)
        display_name = accounts.provider_display_name(display_name)
        details = {} if address is None else {"address": address}

        def work(s: Session) -> SignIn:
            audit.serialise(s)  # a concurrent first sign-in of one name: wait, not retry
            user, outcome = accounts.external_sign_in(s, name, role, display_name, details)
            return SignIn(user, refused="" if user else outcome)
        return self._write_once(work, f"sign in {name!r} through single sign-on")

    def refuse_sign_in(self, name: object, address: str | None, why: str) -> None:
        """Audit a sign-in refused before any account was looked at (bad name, oversized
        request). The name goes into the details as its escaped ``ascii()`` form, cut."""
        details = {"outcome": "refused", "address": address, "why": why,
                   "name": ascii(name)[:200]}
        self._write_once(lambda s: audit.append(s, "anonymous", "login", "login", details),
                         "record a refused sign-in")

    @staticmethod
    def _attempt(s: Session, name: str, password: str, address: str | None
                 ) -> UserRecord | None:
        user, outcome = accounts.login(s, name, password)
        details: dict[str, Any] = {"outcome": outcome}
        if address is not None:
            details["address"] = address
        audit.append(s, name, "login", f"user:{name}", details)
        return user

    def revoke_session(self, digest: str, name: str, expires_at: datetime,
                       address: str | None = None) -> None:
        """Sign out the session whose cookie hashes to ``digest`` (hex SHA-256), so a
        copy of that cookie no longer signs in; see ``accounts.revoke_session``."""
        self._write_once(lambda s: accounts.revoke_session(s, digest, name, expires_at,
                                                           address),
                         f"sign out {name!r}")

    def session_revoked(self, digest: str) -> bool:
        """Whether the session cookie hashing to ``digest`` was signed out (a read)."""
        return self._read(lambda s: accounts.session_revoked(s, digest),
                          "check a session")

    def account(self, name: str) -> UserRecord | None:
        """The account ``name`` as stored now, or None (a read: no audit, no rights)."""
        def work(s: Session) -> UserRecord | None:
            try:
                return accounts.record(accounts.find(s, name))
            except NotFoundError:
                return None
        return self._read(work, f"read the account {name!r}")

    def acting_as(self, user: str | None) -> ScenarioStore:
        """A store acting for ``user`` (None: local mode) over this store's database and
        connection pool: one pool per process, however many users sign in. Closing the
        returned store closes the shared pool too."""
        other = copy.copy(self)
        other.local = user is None
        other.user = "local" if user is None else \
            text_rules.AUTHOR.check(user, "user").strip()
        return other

    def _author(self, author: str | None) -> str:
        chosen = self.user if author is None else author
        return text_rules.AUTHOR.check(chosen.strip() if isinstance(chosen, str) else chosen,
                                       "author")


def _write_file(path: str | Path, write: Callable[[Path], object]) -> None:
    """Write an export atomically; a path that cannot be written is a StorageError."""
    try:
        write_atomically(path, write)
    except OSError as exc:
        raise StorageError(f"cannot write {path}: {exc.strerror or exc}") from None
