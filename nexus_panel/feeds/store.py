"""``FeedStore``: feeds, their snapshots and the allowlist, in the scenario database.

Rides on a :class:`ScenarioStore` (its transactions, retries, acting user and audit
chain), as ``StudyStore`` does: creating or revising a feed and fetching it are editor
actions, the allowlist admin-only (``storage.permissions``; a store opened without a
user is the local mode with every right). A fetch talks to the source *outside* any
transaction -- a slow source never holds a database lock -- and then stores the
snapshot and the feed's status in one write; a failed fetch stores its error as the
feed's ``last_error`` and raises.
"""

from __future__ import annotations

import hashlib
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Session

from nexus_panel.feeds import parsing, snapshots
from nexus_panel.feeds.definition import FeedDefinition, check_feed_name
from nexus_panel.feeds.errors import FetchError
from nexus_panel.feeds.records import AllowEntry, FeedInfo, SnapshotRecord
from nexus_panel.feeds.series import Series, loaded, register
from nexus_panel.feeds.sources import FetchContext, Fetched, source_for
from nexus_panel.feeds.ssrf import Resolver, split_host, system_resolver
from nexus_panel.models import FieldError, Scenario, ValidationError
from nexus_panel.models import text as text_rules
from nexus_panel.storage import audit
from nexus_panel.storage.errors import ConflictError, NotFoundError
from nexus_panel.storage.feed_schema import (
    FeedAllowRow,
    FeedRevisionRow,
    FeedRow,
    FeedSnapshotRow,
)
from nexus_panel.storage.rows import id_in_range
from nexus_panel.storage.schema import utcnow
from nexus_panel.storage.store import ScenarioStore

VALIDATOR_LENGTHS = {"etag": 400, "last_modified": 100}
ERROR_LENGTH = 2_000


class FeedStore:
    """Feeds in ``store``'s database, acting as ``store``'s user."""

    def __init__(self, store: ScenarioStore, *, resolve: Resolver = system_resolver) -> None:
        self.store = store
        self.resolve = resolve

    # --- definitions ----------------------------------------------------------------------
    def add(self, name: str, definition: FeedDefinition | dict[str, Any],
            message: str = "") -> FeedInfo:
        """Create feed ``name`` or save a new revision of it (nothing is written when
        the definition equals the latest one)."""
        name = check_feed_name(name)
        text_rules.MESSAGE.check(message, "message")
        if isinstance(definition, dict):
            definition = FeedDefinition.from_dict(definition)
        source_for(definition.source)  # a known kind
        data = definition.to_dict()
        author = self.store.user

        def work(s: Session) -> FeedInfo:
            self.store._acting(s, "editor", f"define the feed {name!r}", author)
            row = s.scalar(_locked(s, sa.select(FeedRow).where(FeedRow.name == name)))
            if row is None:
                row = FeedRow(name=name, owner=author, revision_count=0, created_at=utcnow(),
                              last_error="")
                s.add(row)
                s.flush()
            elif _latest_definition(s, row) == data:
                return _info(s, row)
            row.revision_count += 1
            s.add(FeedRevisionRow(feed_id=row.id, number=row.revision_count, definition=data,
                                  author=author, message=message, created_at=utcnow()))
            s.flush()
            audit.append(s, author, "feed", f"feed:{name}",
                         {"change": "add" if row.revision_count == 1 else "revise",
                          "revision": row.revision_count, "source": data["source"]})
            return _info(s, row)
        return self.store._write(work, f"define the feed {name!r}")

    def get(self, name: str) -> FeedInfo:
        return self.store._read(lambda s: _info(s, _find(s, name)), f"read feed {name!r}")

    def definition(self, name: str) -> FeedDefinition:
        return FeedDefinition.from_dict(self.get(name).definition)

    def list(self) -> list[FeedInfo]:
        def work(s: Session) -> list[FeedInfo]:
            return [_info(s, r) for r in s.scalars(sa.select(FeedRow).order_by(FeedRow.name))]
        return self.store._read(work, "list feeds")

    # --- the allowlist (admins) ------------------------------------------------------------
    def allow(self, entry: str) -> AllowEntry:
        """Let HTTP feeds reach ``HOST[:PORT]`` (port left out: the scheme's default)."""
        host, port = split_host(entry)

        def work(s: Session) -> AllowEntry:
            self.store._acting(s, "admin", f"allowlist {entry!r}", self.store.user)
            row = s.scalar(sa.select(FeedAllowRow).where(FeedAllowRow.host == host,
                                                         FeedAllowRow.port == port))
            if row is None:
                row = FeedAllowRow(host=host, port=port, added_by=self.store.user,
                                   added_at=utcnow())
                s.add(row)
                s.flush()
                audit.append(s, self.store.user, "feed", f"allow:{host}:{port}",
                             {"change": "allow"})
            return AllowEntry(row.host, row.port, row.added_by, row.added_at)
        return self.store._write(work, f"allowlist {entry!r}")

    def disallow(self, entry: str) -> None:
        host, port = split_host(entry)

        def work(s: Session) -> None:
            self.store._acting(s, "admin", f"remove {entry!r} from the allowlist",
                               self.store.user)
            gone = s.execute(sa.delete(FeedAllowRow).where(
                FeedAllowRow.host == host, FeedAllowRow.port == port)).rowcount
            if not gone:
                raise NotFoundError(f"{entry!r} is not on the feed allowlist")
            audit.append(s, self.store.user, "feed", f"allow:{host}:{port}",
                         {"change": "disallow"})
        self.store._write(work, f"remove {entry!r} from the allowlist")

    def allowlist(self) -> list[AllowEntry]:
        def work(s: Session) -> list[AllowEntry]:
            return [AllowEntry(r.host, r.port, r.added_by, r.added_at) for r in s.scalars(
                sa.select(FeedAllowRow).order_by(FeedAllowRow.host, FeedAllowRow.port))]
        return self.store._read(work, "read the feed allowlist")

    # --- fetching --------------------------------------------------------------------------
    def fetch(self, name: str) -> SnapshotRecord:
        """Fetch feed ``name`` now and store the snapshot (or return the latest one when
        the source says it is unchanged). Failures are stored as the feed's last error
        and raised: ValidationError (a refused URL, unreadable rows), FetchError."""
        name = check_feed_name(name)
        author = self.store.user

        def prepare(s: Session) -> tuple[FeedInfo, FetchContext, SnapshotRecord | None]:
            self.store._acting(s, "editor", f"fetch the feed {name!r}", author)
            row = _find(s, name)
            latest = _latest_snapshot(s, row)
            allow = frozenset((r.host, r.port) for r in s.scalars(sa.select(FeedAllowRow)))
            context = FetchContext(allowlist=allow, resolve=self.resolve,
                                   etag=latest.etag if latest else None,
                                   last_modified=latest.last_modified if latest else None)
            return _info(s, row), context, latest
        info, context, latest = self.store._write(prepare, f"fetch the feed {name!r}")
        definition = FeedDefinition.from_dict(info.definition)
        try:
            fetched = source_for(definition.source).fetch(definition, context)
            if fetched.not_modified and latest is not None:
                self._set_status(name, "")
                return _replace_reused(latest)
            series = self._parse(definition, fetched)
        except (ValidationError, FetchError) as exc:
            self._set_status(name, str(exc))
            raise
        register(series)
        return self._store_snapshot(info, fetched, series, author)

    @staticmethod
    def _parse(definition: FeedDefinition, fetched: Fetched) -> Series:
        if fetched.frame is not None:
            return parsing.to_series(definition, fetched.frame)
        if fetched.payload is None:
            raise FetchError("source", f"{fetched.source} returned nothing")
        return parsing.to_series(definition, parsing.read_payload(definition, fetched.payload))

    def _store_snapshot(self, info: FeedInfo, fetched: Fetched, series: Series,
                        author: str) -> SnapshotRecord:
        data = snapshots.encode(series)
        payload = fetched.payload if fetched.payload is not None else data
        validators = {k: (v if v is not None and len(v) <= VALIDATOR_LENGTHS[k] else None)
                      for k, v in (("etag", fetched.etag),
                                   ("last_modified", fetched.last_modified))}

        def work(s: Session) -> SnapshotRecord:
            row = _find(s, info.name, lock=True)
            snap = FeedSnapshotRow(
                feed_id=row.id, revision=info.revision, source=fetched.source[:4000],
                fetched_at=utcnow(), http_status=fetched.http_status, bytes=len(payload),
                source_sha256=hashlib.sha256(payload).hexdigest(), sha256=series.sha256,
                rows=series.rows, columns=list(series.columns), data=data, author=author,
                **validators)
            s.add(snap)
            row.last_fetch_at, row.last_error = snap.fetched_at, ""
            s.flush()
            audit.append(s, author, "feed", f"feed:{info.name}",
                         {"change": "fetch", "snapshot": snap.id, "sha256": series.sha256,
                          "rows": series.rows})
            return _snapshot_record(snap, info.name)
        return self.store._write(work, f"store a snapshot of the feed {info.name!r}")

    def _set_status(self, name: str, error: str) -> None:
        def work(s: Session) -> None:
            row = _find(s, name, lock=True)
            row.last_fetch_at, row.last_error = utcnow(), error[:ERROR_LENGTH]
        self.store._write(work, f"record the status of the feed {name!r}")

    # --- snapshots ------------------------------------------------------------------------
    def snapshots(self, name: str) -> list[SnapshotRecord]:
        """The feed's snapshots, newest first."""
        def work(s: Session) -> list[SnapshotRecord]:
            row = _find(s, name)
            return [_snapshot_record(r, row.name) for r in s.scalars(
                sa.select(FeedSnapshotRow).where(FeedSnapshotRow.feed_id == row.id)
                .order_by(FeedSnapshotRow.id.desc()))]
        return self.store._read(work, f"list snapshots of {name!r}")

    def snapshot(self, snapshot_id: int) -> SnapshotRecord:
        def work(s: Session) -> SnapshotRecord:
            row = s.get(FeedSnapshotRow, snapshot_id) if id_in_range(snapshot_id) else None
            if row is None:
                raise NotFoundError(f"no feed snapshot with id {snapshot_id}")
            return _snapshot_record(row, s.get(FeedRow, row.feed_id).name)
        return self.store._read(work, f"read snapshot {snapshot_id}")

    def series(self, sha256: str, feed: str | None = None) -> Series:
        """The stored series with this hash (loaded for runs too)."""
        held = loaded(sha256)
        if held is not None:
            return held

        def work(s: Session) -> tuple[bytes, str] | None:
            query = sa.select(FeedSnapshotRow.data, FeedSnapshotRow.sha256).where(
                FeedSnapshotRow.sha256 == sha256)
            found = s.execute(query.order_by(FeedSnapshotRow.id).limit(1)).one_or_none()
            return None if found is None else (bytes(found[0]), found[1])
        found = self.store._read(work, f"load snapshot {sha256[:12]}")
        if found is None:
            what = f" of feed {feed!r}" if feed else ""
            raise NotFoundError(f"no stored snapshot{what} with sha256 {sha256[:12]}")
        series = snapshots.decode(*found)
        register(series)
        return series

    def snapshot_bytes(self, snapshot_id: int) -> bytes:
        data = self.store._read(lambda s: s.scalar(sa.select(FeedSnapshotRow.data).where(
            FeedSnapshotRow.id == snapshot_id)), f"read snapshot {snapshot_id}")
        if data is None:
            raise NotFoundError(f"no feed snapshot with id {snapshot_id}")
        return bytes(data)

    def latest(self, name: str) -> SnapshotRecord | None:
        def work(s: Session) -> SnapshotRecord | None:
            row = _find(s, name)
            snap = _latest_snapshot(s, row)
            return snap
        return self.store._read(work, f"read the latest snapshot of {name!r}")

    def pin(self, scenario: Scenario) -> Scenario:
        """``scenario`` with every feed input pinned to a snapshot -- its own, or the
        feed's latest when it names none -- and those snapshots loaded for the run."""
        feeds = scenario.inputs.feeds()
        if not feeds:
            return scenario
        data = scenario.to_dict()
        for name, signal in feeds.items():
            spec = data["inputs"][name]
            if not signal.sha256:
                latest = self.latest(signal.feed)
                if latest is None:
                    raise ValidationError([FieldError(
                        f"inputs.{name}.feed", signal.feed,
                        "a feed with a snapshot (fetch it first: nexus-panel feeds fetch)")])
                spec["snapshot"], spec["sha256"] = latest.id, latest.sha256
            self.series(spec["sha256"], signal.feed)
        return Scenario.from_dict(data)

    def store_series(self, feed: str, series: Series, provenance: dict[str, Any]) -> int:
        """Keep ``series`` (from an imported bundle) as a snapshot of ``feed`` unless a
        snapshot with its hash exists; returns that snapshot's id. The feed is created
        (without a revision) when missing."""
        author = self.store.user

        def work(s: Session) -> int:
            self.store._acting(s, "editor", f"import a snapshot of {feed!r}", author)
            same = s.scalar(sa.select(FeedSnapshotRow.id).where(
                FeedSnapshotRow.sha256 == series.sha256).limit(1))
            if same is not None:
                return same
            row = s.scalar(_locked(s, sa.select(FeedRow).where(FeedRow.name == feed)))
            if row is None:
                row = FeedRow(name=feed, owner=author, revision_count=0, created_at=utcnow(),
                              last_error="")
                s.add(row)
                s.flush()
            data = snapshots.encode(series)
            snap = FeedSnapshotRow(
                feed_id=row.id, revision=int(provenance.get("revision", 0)),
                source=str(provenance.get("source", "imported"))[:4000],
                fetched_at=utcnow(), http_status=None, etag=None, last_modified=None,
                bytes=len(data), source_sha256=hashlib.sha256(data).hexdigest(),
                sha256=series.sha256, rows=series.rows, columns=list(series.columns),
                data=data, author=author)
            s.add(snap)
            s.flush()
            audit.append(s, author, "feed", f"feed:{feed}",
                         {"change": "import", "snapshot": snap.id, "sha256": series.sha256})
            return snap.id
        return self.store._write(work, f"import a snapshot of {feed!r}")


def _locked(session: Session, query: sa.Select[Any]) -> sa.Select[Any]:
    return query.with_for_update() if session.get_bind().dialect.name == "postgresql" \
        else query


def _find(session: Session, name: str, *, lock: bool = False) -> FeedRow:
    query = sa.select(FeedRow).where(FeedRow.name == name)
    row = session.scalar(_locked(session, query) if lock else query) \
        if text_rules.NAME.accepts(name) else None
    if row is None:
        raise NotFoundError(f"no feed named {name!r}")
    return row


def _latest_definition(session: Session, row: FeedRow) -> dict[str, Any] | None:
    return session.scalar(sa.select(FeedRevisionRow.definition).where(
        FeedRevisionRow.feed_id == row.id, FeedRevisionRow.number == row.revision_count))


def _info(session: Session, row: FeedRow) -> FeedInfo:
    definition = _latest_definition(session, row)
    if definition is None:
        raise ConflictError(f"the feed {row.name!r} holds imported snapshots but no "
                            "definition yet: add one (nexus-panel feeds add)")
    return FeedInfo(id=row.id, name=row.name, owner=row.owner, revision=row.revision_count,
                    definition=definition, created_at=row.created_at,
                    last_fetch_at=row.last_fetch_at, last_error=row.last_error)


def _latest_snapshot(session: Session, row: FeedRow) -> SnapshotRecord | None:
    snap = session.scalar(sa.select(FeedSnapshotRow).where(FeedSnapshotRow.feed_id == row.id)
                          .order_by(FeedSnapshotRow.id.desc()).limit(1))
    return None if snap is None else _snapshot_record(snap, row.name)


def _snapshot_record(row: FeedSnapshotRow, feed: str) -> SnapshotRecord:
    return SnapshotRecord(
        id=row.id, feed=feed, revision=row.revision, source=row.source,
        fetched_at=row.fetched_at, http_status=row.http_status, etag=row.etag,
        last_modified=row.last_modified, bytes=row.bytes, source_sha256=row.source_sha256,
        sha256=row.sha256, rows=row.rows, columns=list(row.columns), author=row.author)


def _replace_reused(record: SnapshotRecord) -> SnapshotRecord:
    from dataclasses import replace

    return replace(record, reused=True)
