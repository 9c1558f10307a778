"""What we KEEP: scenarios with revisions, runs with provenance, an audit trail.

Use :class:`ScenarioStore`; it returns frozen records, never ORM objects::

    from nexus_panel.storage import ScenarioStore
    store = ScenarioStore()            # DATABASE_URL, else SQLite in the user data dir
    rev = store.save(scenario, message="first try")
    store.list(alpha=(1.5, None))      # every scenario with alpha >= 1.5
    ScenarioStore(url, user="ann")     # acts as the account ann: her role is enforced

The schema (``schema.py``) and migrations (``migrations/``) are internal.
"""

from __future__ import annotations

from nexus_panel.storage.analyses import AnalysisRecord
from nexus_panel.storage.errors import (
    ConflictError,
    NotFoundError,
    PermissionDenied,
    StorageError,
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
from nexus_panel.storage.store import ScenarioStore

__all__ = [
    "AnalysisRecord", "AuditCheck", "AuditEvent", "ConflictError", "NotFoundError",
    "PermissionDenied", "RevisionRecord", "RunRecord", "ScenarioDiff", "ScenarioInfo",
    "ScenarioStore", "SignIn", "StorageError", "UserRecord",
]
