"""Feed snapshots in export/import bundles: a bundle of a scenario that reads feeds
carries the exact series its runs read, so the import reproduces (and verifies) them
anywhere, without the sources.

Layout: ``"feed_snapshots": [{"feed", "snapshot", "sha256", "rows", "columns", "source",
"data"}]``, ``data`` being the stored Parquet bytes in base64. On import each entry is
decoded and refused unless its values hash to its ``sha256`` (a bundle cannot smuggle
other data under a pinned hash), held for the runs' verification, and stored -- in the
import's own transaction -- unless a snapshot with that hash exists.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Session

from nexus_panel.feeds import snapshots
from nexus_panel.feeds.series import Series, register
from nexus_panel.models import FieldError, Scenario, ValidationError
from nexus_panel.storage import audit
from nexus_panel.storage.errors import StorageError
from nexus_panel.storage.feed_schema import FeedRow, FeedSnapshotRow
from nexus_panel.storage.rows import check_name
from nexus_panel.storage.schema import utcnow

KEY = "feed_snapshots"
MAX_SNAPSHOTS = 6
"""One per input at most."""


def payloads(session: Session, scenario: Scenario) -> list[dict[str, Any]]:
    """The snapshots ``scenario``'s feed inputs pin, as bundle entries."""
    out, seen = [], set()
    for signal in scenario.inputs.feeds().values():
        if not signal.sha256 or signal.sha256 in seen:
            continue
        seen.add(signal.sha256)
        row = session.scalar(sa.select(FeedSnapshotRow).where(
            FeedSnapshotRow.sha256 == signal.sha256).order_by(FeedSnapshotRow.id).limit(1))
        if row is None:
            raise StorageError(f"the snapshot {signal.sha256[:12]} of feed {signal.feed!r} "
                               "is not in this database")
        out.append({"feed": signal.feed, "snapshot": row.id, "sha256": row.sha256,
                    "rows": row.rows, "columns": list(row.columns), "source": row.source,
                    "data": base64.b64encode(bytes(row.data)).decode("ascii")})
    return out


def parse(entries: Any) -> list[tuple[str, Series, dict[str, Any]]]:
    """Checked bundle entries: (feed name, series, provenance); each series is held for
    runs at once (the import verifies its runs by running them)."""
    if not isinstance(entries, list) or len(entries) > MAX_SNAPSHOTS:
        raise ValidationError([FieldError(KEY, type(entries).__name__,
                                          f"a list of at most {MAX_SNAPSHOTS} snapshots")])
    out = []
    for i, entry in enumerate(entries):
        where = f"{KEY}[{i}]"
        if not isinstance(entry, dict) or not isinstance(entry.get("data"), str) or \
                not isinstance(entry.get("sha256"), str):
            raise ValidationError([FieldError(where, type(entry).__name__, "an object with "
                                              "feed, sha256 and data")])
        feed = check_name(entry.get("feed"), f"{where}.feed")
        try:
            blob = base64.b64decode(entry["data"], validate=True)
            series = snapshots.decode(blob, entry["sha256"])
        except (binascii.Error, ValueError, StorageError) as exc:
            raise ValidationError([FieldError(f"{where}.data", entry["sha256"][:64],
                                              f"the snapshot's Parquet bytes ({exc})")]
                                  ) from None
        register(series)
        out.append((feed, series, {"source": str(entry.get("source", "imported"))[:4000]}))
    return out


def store_in(session: Session, author: str,
             items: list[tuple[str, Series, dict[str, Any]]]) -> list[int]:
    """Store each imported series (in the caller's transaction) unless a snapshot with
    its hash exists; the ids. A missing feed is created without a definition."""
    ids = []
    for feed, series, provenance in items:
        same = session.scalar(sa.select(FeedSnapshotRow.id).where(
            FeedSnapshotRow.sha256 == series.sha256).limit(1))
        if same is not None:
            ids.append(same)
            continue
        row = session.scalar(sa.select(FeedRow).where(FeedRow.name == feed))
        if row is None:
            row = FeedRow(name=feed, owner=author, revision_count=0, created_at=utcnow(),
                          last_error="")
            session.add(row)
            session.flush()
        data = snapshots.encode(series)
        snap = FeedSnapshotRow(
            feed_id=row.id, revision=row.revision_count,
            source=f"imported ({provenance['source']})"[:4000], fetched_at=utcnow(),
            http_status=None, etag=None, last_modified=None, bytes=len(data),
            source_sha256=hashlib.sha256(data).hexdigest(), sha256=series.sha256,
            rows=series.rows, columns=list(series.columns), data=data, author=author)
        session.add(snap)
        session.flush()
        audit.append(session, author, "feed", f"feed:{feed}",
                     {"change": "import", "snapshot": snap.id, "sha256": series.sha256})
        ids.append(snap.id)
    return ids
