"""Saved analyses: an analysis result kept beside the scenario revision it analysed.

Why its own module: the store's scenario/run code is long enough, and an analysis result
has its own encoding. A result object offers ``to_dict()`` (JSON: ``{"spec": ..., ...}``)
and ``arrays()`` (named numpy arrays, per-run data); this module splits that into

* ``spec``: the spec's JSON without its base ``scenario`` (the revision holds that),
* ``results``: the rest of ``to_dict()`` (tables, bands, statistics; plain JSON),
* ``arrays``: one ``numpy.savez_compressed`` blob (zip + deflate, i.e. zlib, read back
  with ``allow_pickle=False``: strings are stored as fixed-width unicode arrays).

The storage layer does not build analyses: it checks that ``kind`` is one the analysis
registry declares (``nexus_panel.analysis.registry``, imported only when an analysis is
saved, so adding an analysis needs no migration) and that the result's spec describes
the scenario being saved (same content hash), so a saved analysis can never be attached
to a scenario it was not run on. Rebuilding result objects is
``nexus_panel.analysis.registry.restore_result``.
"""

from __future__ import annotations

import io
import zipfile
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import numpy as np
import sqlalchemy as sa
from sqlalchemy.orm import Session

from nexus_panel.models import FieldError, Scenario, ValidationError
from nexus_panel.storage import audit
from nexus_panel.storage.errors import NotFoundError, StorageError
from nexus_panel.storage.rows import scenario_of
from nexus_panel.storage.schema import (
    AnalysisRow,
    RevisionRow,
    ScenarioRow,
    utcnow,
)


@dataclass(frozen=True)
class AnalysisRecord:
    """A saved analysis as listed: what, of which revision, by whom, how big."""

    id: int
    kind: str
    scenario_id: int
    scenario_name: str
    revision_id: int
    revision: int
    author: str
    message: str
    created_at: datetime
    duration_s: float | None
    size_bytes: int
    """Size of the stored per-run arrays (0 when there are none)."""

    @property
    def label(self) -> str:
        """``montecarlo of baseline@3``."""
        return f"{self.kind} of {self.scenario_name}@{self.revision}"


@dataclass(frozen=True)
class PreparedAnalysis:
    """A result split into what the ``analyses`` row stores (built outside the
    transaction: encoding tens of MB must not hold the database's write lock)."""

    kind: str
    spec: dict[str, Any]
    results: dict[str, Any]
    arrays: bytes | None
    duration_s: float | None


def prepare(scenario: Scenario, kind: str, result: Any) -> PreparedAnalysis:
    """Check ``kind`` and that ``result`` analysed ``scenario``; encode its parts."""
    from nexus_panel.analysis.registry import by_kind

    by_kind(kind)  # ValidationError naming the registered kinds
    try:
        data = dict(result.to_dict())
        spec = dict(data.pop("spec"))
    except (AttributeError, KeyError, TypeError):
        raise ValidationError([FieldError("result", type(result).__name__,
                                          "an analysis result (to_dict() with a spec)")]
                              ) from None
    base = spec.pop("scenario", None)
    if base is not None and Scenario.from_dict(base).content_hash() != scenario.content_hash():
        raise ValidationError([FieldError(
            "scenario", scenario.name, "the scenario the analysis was run on (its parameters "
            "or inputs differ)")])
    arrays = result.arrays() if hasattr(result, "arrays") else {}
    seconds = data.get("seconds")
    return PreparedAnalysis(kind=kind, spec=spec, results=data, arrays=pack_arrays(arrays),
                            duration_s=float(seconds) if seconds is not None else None)


def pack_arrays(arrays: dict[str, np.ndarray]) -> bytes | None:
    if not arrays:
        return None
    buffer = io.BytesIO()
    np.savez_compressed(buffer, **{k: np.asarray(v) for k, v in arrays.items()})
    return buffer.getvalue()


def unpack_arrays(blob: bytes | None, analysis_id: int) -> dict[str, np.ndarray]:
    if not blob:
        return {}
    try:
        with np.load(io.BytesIO(blob), allow_pickle=False) as npz:
            return {k: npz[k] for k in npz.files}
    except (ValueError, OSError, zipfile.BadZipFile) as exc:
        raise StorageError(f"stored analysis {analysis_id} is unreadable: {exc}") from None


def add(session: Session, revision: RevisionRow, prepared: PreparedAnalysis, author: str,
        message: str) -> AnalysisRecord:
    """Insert the analysis of ``revision`` and its audit event (caller's transaction)."""
    row = AnalysisRow(revision_id=revision.id, kind=prepared.kind, spec=prepared.spec,
                      results=prepared.results, arrays=prepared.arrays, author=author,
                      message=message, created_at=utcnow(), duration_s=prepared.duration_s)
    session.add(row)
    session.flush()
    audit.append(session, author, "run", f"analysis:{row.id}",
                 {"kind": prepared.kind, "revision_id": revision.id,
                  "content_hash": revision.content_hash})
    return info(session, row.id)


def _query() -> sa.Select[Any]:
    size = sa.func.coalesce(sa.func.length(AnalysisRow.arrays), 0)
    return (sa.select(AnalysisRow.id, AnalysisRow.kind, ScenarioRow.id.label("scenario_id"),
                      ScenarioRow.name, AnalysisRow.revision_id, RevisionRow.number,
                      AnalysisRow.author, AnalysisRow.message, AnalysisRow.created_at,
                      AnalysisRow.duration_s, size.label("size_bytes"))
            .join(RevisionRow, AnalysisRow.revision_id == RevisionRow.id)
            .join(ScenarioRow, RevisionRow.scenario_id == ScenarioRow.id)
            .order_by(AnalysisRow.id))


def _record(row: sa.Row[Any]) -> AnalysisRecord:
    return AnalysisRecord(id=row.id, kind=row.kind, scenario_id=row.scenario_id,
                          scenario_name=row.name, revision_id=row.revision_id,
                          revision=row.number, author=row.author, message=row.message,
                          created_at=row.created_at, duration_s=row.duration_s,
                          size_bytes=int(row.size_bytes))


def check_id(analysis_id: Any) -> int:
    """A usable analysis id (links and the CLI hand in text)."""
    try:
        value = int(analysis_id)
        if isinstance(analysis_id, bool) or not 1 <= value < 2**63 \
                or str(value) != str(analysis_id).strip():  # (2**63: beyond any row id)
            raise ValueError
    except (TypeError, ValueError):
        raise ValidationError([FieldError("analysis", analysis_id,
                                          "a saved analysis id (1, 2, 3 ...)")]) from None
    return value


def info(session: Session, analysis_id: int,
         visible: sa.ColumnElement[bool] | None = None) -> AnalysisRecord:
    """``visible``: a WHERE clause on the scenario (``permissions.readable``); an analysis
    of a scenario outside it is not found."""
    query = _query().where(AnalysisRow.id == analysis_id)
    row = session.execute(query if visible is None else query.where(visible)).one_or_none()
    if row is None:
        raise NotFoundError(f"no saved analysis with id {analysis_id}")
    return _record(row)


def listing(session: Session, name: str | None,
            visible: sa.ColumnElement[bool] | None = None) -> list[AnalysisRecord]:
    query = _query() if name is None else _query().where(ScenarioRow.name == name)
    if visible is not None:
        query = query.where(visible)
    return [_record(r) for r in session.execute(query)]


def load(session: Session, analysis_id: int,
         visible: sa.ColumnElement[bool] | None = None
         ) -> tuple[AnalysisRecord, Scenario, dict[str, Any], dict[str, Any], bytes | None]:
    """The record, the analysed scenario (as saved), spec, results and the arrays blob."""
    record = info(session, analysis_id, visible)
    row = session.get(AnalysisRow, analysis_id)
    revision = session.get(RevisionRow, record.revision_id)
    assert row is not None and revision is not None
    return (record, scenario_of(revision, record.scenario_name), dict(row.spec),
            dict(row.results), row.arrays)
