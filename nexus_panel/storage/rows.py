"""Queries and row <-> record conversion shared by the store's operations.

Everything here works inside a session the caller owns, so the store can compose several
steps (save a revision, attach runs, log the import) into one transaction.
"""

from __future__ import annotations

import math
import re
from dataclasses import replace
from numbers import Integral
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Session

from nexus_panel.engine.kernel import SUMMARY_FIELDS
from nexus_panel.models import FieldError, Scenario, ValidationError
from nexus_panel.models import text as text_rules
from nexus_panel.storage.errors import NotFoundError
from nexus_panel.storage.records import RevisionRecord, RunRecord, ScenarioInfo
from nexus_panel.storage.schema import (
    PARAM_COLUMNS,
    RevisionRow,
    RunRow,
    ScenarioRow,
)

Ref = str | int
"""A scenario by name (str) or id (int)."""

_REVISION_SUFFIX = re.compile(r"@(\d+)$")
STORED_NAME = replace(text_rules.NAME, required=True)


def check_name(name: str, field: str = "name") -> str:
    """A usable scenario name: the text rule for names (``models.text.NAME``: at most 200
    printable characters), not blank, no ``@<digits>`` ending (that suffix means
    "revision" in references such as ``baseline@3``). Surrounding spaces are dropped."""
    clean = name.strip() if isinstance(name, str) else name
    if not STORED_NAME.accepts(clean) or _REVISION_SUFFIX.search(clean):
        raise ValidationError([FieldError(field, name, f"{STORED_NAME.allowed}; not ending "
                                          "in @<number>")])
    return clean


def could_be_name(ref: Any) -> bool:
    """False for text no stored name can equal (control characters, lone surrogates, too
    long): such a lookup finds nothing without asking the database, whose driver would
    fail on it (PostgreSQL refuses NUL, both drivers lone surrogates)."""
    return not isinstance(ref, str) or text_rules.NAME.accepts(ref)


def check_count(value: Any, field: str, low: int = 0, high: int = 2**63 - 1) -> int:
    """A whole number in [low, high] (a limit, a revision number in a filter), else a
    ValidationError: the drivers overflow on integers beyond their column types."""
    if not (is_whole(value) and low <= value <= high):
        raise ValidationError([FieldError(field, value, f"a whole number from {low} to "
                                          f"{high}")])
    return int(value)


def is_whole(value: Any) -> bool:
    """An integer (Python or numpy), not a bool."""
    return isinstance(value, Integral) and not isinstance(value, bool)


def id_in_range(value: Any) -> bool:
    """False for a whole number no row id can have (< 1 or beyond 64-bit integers); such
    ids are "not found" without asking the database, whose driver would overflow."""
    return not is_whole(value) or 1 <= value < 2**63


def split_ref(ref: Any) -> tuple[Ref, int | None]:
    """``"name@3"`` -> ("name", 3); ``("name", 3)`` -> itself; anything else -> (ref, None)."""
    if isinstance(ref, tuple) and len(ref) == 2:
        return ref[0], ref[1]
    if isinstance(ref, str):
        match = _REVISION_SUFFIX.search(ref)
        if match:
            return ref[:match.start()], int(match.group(1))
    return ref, None


def find_scenario(session: Session, ref: Ref, *, lock: bool = False,
                  deleted_ok: bool = False) -> ScenarioRow:
    if isinstance(ref, bool) or not isinstance(ref, str | int):
        raise ValidationError([FieldError("scenario", ref, "a scenario name or id")])
    column = ScenarioRow.id if isinstance(ref, int) else ScenarioRow.name
    query = sa.select(ScenarioRow).where(column == ref)
    if lock:
        query = query.with_for_update()
    row = session.scalar(query) if id_in_range(ref) and could_be_name(ref) else None
    if row is None:
        what = f"id {ref}" if isinstance(ref, int) else f"named {ref!r}"
        raise NotFoundError(f"no scenario {what}")
    if row.deleted and not deleted_ok:
        raise NotFoundError(f"scenario {row.name!r} is deleted (restore it to use it)")
    return row


def find_revision(session: Session, scenario: ScenarioRow, number: int | None) -> RevisionRow:
    wanted = scenario.revision_count if number is None else number
    # A number outside 1..revision_count cannot exist; asking the database anyway fails on
    # numbers beyond its integer type ("baseline@99999999999999999999" is an OverflowError
    # on SQLite, a DataError on PostgreSQL) instead of saying there is no such revision.
    in_range = not is_whole(wanted) or 1 <= wanted <= scenario.revision_count
    row = None if not in_range else session.scalar(sa.select(RevisionRow).where(
        RevisionRow.scenario_id == scenario.id, RevisionRow.number == wanted))
    if row is None:
        raise NotFoundError(f"scenario {scenario.name!r} has no revision {wanted} "
                            f"(revisions 1 to {scenario.revision_count})")
    return row


def param_values(row: Any) -> dict[str, float | int]:
    return {n: getattr(row, n) for n in PARAM_COLUMNS}


def revision_record(row: RevisionRow, name: str, created: bool = True) -> RevisionRecord:
    return RevisionRecord(
        id=row.id, scenario_id=row.scenario_id, scenario_name=name, number=row.number,
        message=row.message, author=row.author, created_at=row.created_at,
        content_hash=row.content_hash, description=row.description,
        params=param_values(row), inputs=row.inputs, created=created)


def scenario_of(row: RevisionRow, name: str) -> Scenario:
    return revision_record(row, name).scenario()


def info_columns() -> list[Any]:
    return [ScenarioRow.id, ScenarioRow.name, ScenarioRow.description, ScenarioRow.owner,
            ScenarioRow.visibility,
            ScenarioRow.created_at, ScenarioRow.updated_at, ScenarioRow.deleted,
            ScenarioRow.revision_count, RevisionRow.content_hash,
            *[getattr(RevisionRow, n) for n in PARAM_COLUMNS]]


def info_query() -> sa.Select[Any]:
    """Scenarios joined to their latest revision, as plain columns (fast to list)."""
    return sa.select(*info_columns()).join(
        RevisionRow, sa.and_(RevisionRow.scenario_id == ScenarioRow.id,
                             RevisionRow.number == ScenarioRow.revision_count))


def info_record(row: sa.Row[Any]) -> ScenarioInfo:
    return ScenarioInfo(
        id=row.id, name=row.name, description=row.description, owner=row.owner,
        created_at=row.created_at, updated_at=row.updated_at, deleted=row.deleted,
        revision=row.revision_count, content_hash=row.content_hash,
        params={n: row._mapping[n] for n in PARAM_COLUMNS}, visibility=row.visibility)


def scenario_info(session: Session, scenario_id: int) -> ScenarioInfo:
    return info_record(session.execute(info_query().where(ScenarioRow.id == scenario_id)).one())


def run_query() -> sa.Select[Any]:
    """Run metadata (no time series) with its scenario name and revision number."""
    return (sa.select(RunRow, RevisionRow.number, RevisionRow.scenario_id, ScenarioRow.name,
                      sa.func.length(RunRow.data).label("size"))
            .options(sa.orm.defer(RunRow.data))
            .join(RevisionRow, RevisionRow.id == RunRow.revision_id)
            .join(ScenarioRow, ScenarioRow.id == RevisionRow.scenario_id)
            .order_by(RunRow.id))


def run_record(row: sa.Row[Any]) -> RunRecord:
    run: RunRow = row[0]
    return RunRecord(
        id=run.id, scenario_id=row.scenario_id, scenario_name=row.name,
        revision_id=run.revision_id, revision=row.number, created_at=run.created_at,
        started_at=run.started_at, duration_s=run.duration_s,
        engine_version=run.engine_version, numpy_version=run.numpy_version,
        numba_version=run.numba_version, package_version=run.package_version,
        content_hash=run.content_hash, seeds=run.seeds, num_steps=run.num_steps,
        size_bytes=int(row.size), summary={k: getattr(run, k) for k in SUMMARY_FIELDS})


def range_filters(ranges: dict[str, Any]) -> list[sa.ColumnElement[bool]]:
    """``alpha=(1.5, None)`` -> alpha >= 1.5; ``num_steps=5000`` -> equality. Bounds are
    inclusive; None leaves that side open."""
    errors: list[FieldError] = []
    clauses: list[sa.ColumnElement[bool]] = []
    for name, spec in ranges.items():
        if name not in PARAM_COLUMNS:
            errors.append(FieldError(name, spec, "an engine parameter: "
                                     + ", ".join(PARAM_COLUMNS)))
            continue
        column = getattr(RevisionRow, name)
        bounds = spec if isinstance(spec, tuple | list) else (spec, spec)
        if len(bounds) != 2 or not all(b is None or _bound(b) for b in bounds):
            errors.append(FieldError(name, spec, "(low, high) with numbers (not NaN; whole "
                                     "numbers within ±2**63) or None, or one number"))
            continue
        # As floats: PostgreSQL would cast a whole-number bound to the INTEGER column's
        # type and fail beyond 32 bits ("integer out of range"); a float compares as is.
        low, high = (None if b is None else float(b) for b in bounds)
        if low is not None:
            clauses.append(column >= low)
        if high is not None:
            clauses.append(column <= high)
    if errors:
        raise ValidationError(errors)
    return clauses


def _bound(value: Any) -> bool:
    """A usable range bound: an int or float, not NaN (PostgreSQL ranks NaN above every
    number, SQLite binds it as NULL: the same filter gave different lists) and not an int
    beyond 64 bits (the drivers cannot bind it: OverflowError on SQLite, "integer out of
    range" on PostgreSQL). ±inf is fine: both databases compare it as an open side."""
    if isinstance(value, bool) or not isinstance(value, int | float):
        return False
    if isinstance(value, int):
        return -(2**63) <= value < 2**63
    return not math.isnan(value)


def like_pattern(text: str) -> str:
    escaped = text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return f"%{escaped}%"
