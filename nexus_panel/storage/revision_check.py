"""Checking stored revisions against their content hashes (``nexus-panel db verify-audit``).

Why: the audit chain proves the *log* was not edited, but a revision's parameter columns
and inputs live in their own table, which has no append-only trigger (deleting a scenario
is a flag, so nothing needs to, but nothing stops someone with database rights from
editing a value either). Every revision therefore carries the sha256 of its canonical
content, and its create/revise audit event records that hash too. A revision is
tampered with when

* its values no longer hash to its stored ``content_hash`` (a value was edited), or
* its ``content_hash`` differs from the one its audit event recorded (the values and the
  hash were both rewritten, consistently, behind the app's back).
"""

from __future__ import annotations

from collections.abc import Iterable

import sqlalchemy as sa
from sqlalchemy.orm import Session

from nexus_panel.models import ValidationError
from nexus_panel.storage.rows import scenario_of
from nexus_panel.storage.schema import AuditEventRow, RevisionRow, ScenarioRow

SAVE_ACTIONS = ("create", "revise")
"""Audit actions that record a new revision and its content hash."""


def recorded_hashes(session: Session) -> dict[tuple[str, int], str]:
    """``{(object, revision number): content hash}`` as the audit trail recorded them."""
    query = sa.select(AuditEventRow.object, AuditEventRow.details).where(
        AuditEventRow.action.in_(SAVE_ACTIONS))
    out: dict[tuple[str, int], str] = {}
    for obj, details in session.execute(query):
        number, content_hash = details.get("revision"), details.get("content_hash")
        if isinstance(number, int) and isinstance(content_hash, str):
            out[(obj, number)] = content_hash
    return out


def check_revisions(session: Session) -> tuple[int, list[str]]:
    """(number of revisions checked, one line per tampered revision)."""
    recorded = recorded_hashes(session)
    query = (sa.select(RevisionRow, ScenarioRow.name)
             .join(ScenarioRow, ScenarioRow.id == RevisionRow.scenario_id)
             .order_by(RevisionRow.id).execution_options(yield_per=1000))
    return _walk(session.execute(query), recorded)


def _walk(rows: Iterable[sa.Row], recorded: dict[tuple[str, int], str]) -> tuple[int, list[str]]:
    checked, problems = 0, []
    for revision, name in rows:
        checked += 1
        label = f"revision {name}@{revision.number} (id {revision.id})"
        try:
            actual = scenario_of(revision, name).content_hash()
        except ValidationError as exc:
            problems.append(f"{label}: its stored values are not valid ({exc})")
            continue
        if actual != revision.content_hash:
            problems.append(f"{label}: its stored values do not match its content hash "
                            "(edited outside the app)")
            continue
        logged = recorded.get((f"scenario:{revision.scenario_id}", revision.number))
        if logged is not None and logged != revision.content_hash:
            problems.append(f"{label}: its content hash differs from the one the audit "
                            "trail recorded (values and hash rewritten outside the app)")
    return checked, problems
