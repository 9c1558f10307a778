"""The data-feed tables (migration 0005): feeds with immutable revisions, their
snapshots (the fetched rows, stored compactly), and the admin-managed host allowlist.

Why snapshots hold their rows: a run that used a feed must be reproducible after the
source has changed or gone, so the exact series a run read is kept, as Parquet bytes
(float64 time + value columns, zstd), identified by the sha256 of the values
(``feeds.series.series_hash``), the identity a ``feed`` signal pins.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from nexus_panel.models.text import NAME_LENGTH
from nexus_panel.storage.schema import Base, UTCDateTime, utcnow

HOST_LENGTH = 253
"""A DNS name's longest text form."""


class FeedRow(Base):
    """A named feed; its definition lives in revisions. ``last_*``: the latest fetch's
    outcome (the Feeds page's status), updated by every fetch, failed ones included."""

    __tablename__ = "feeds"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(sa.String(NAME_LENGTH), unique=True)
    owner: Mapped[str] = mapped_column(sa.String(NAME_LENGTH))
    revision_count: Mapped[int] = mapped_column(default=0)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    last_fetch_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    last_error: Mapped[str] = mapped_column(sa.Text, default="")


class FeedRevisionRow(Base):
    """One saved definition of a feed (``FeedDefinition.to_dict()``); never updated."""

    __tablename__ = "feed_revisions"
    __table_args__ = (sa.UniqueConstraint("feed_id", "number"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    feed_id: Mapped[int] = mapped_column(sa.ForeignKey("feeds.id"))
    number: Mapped[int]
    definition: Mapped[dict[str, Any]] = mapped_column(sa.JSON)
    author: Mapped[str] = mapped_column(sa.String(NAME_LENGTH))
    message: Mapped[str] = mapped_column(sa.Text, default="")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)


class FeedSnapshotRow(Base):
    """One fetch's result with its provenance. ``source``: where it came from, without
    secrets; ``bytes``/``source_sha256``: the payload as received; ``sha256``/``rows``/
    ``columns``: the parsed series, stored in ``data`` (Parquet)."""

    __tablename__ = "feed_snapshots"

    id: Mapped[int] = mapped_column(primary_key=True)
    feed_id: Mapped[int] = mapped_column(sa.ForeignKey("feeds.id"), index=True)
    revision: Mapped[int]
    source: Mapped[str] = mapped_column(sa.Text)
    fetched_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    http_status: Mapped[int | None]
    etag: Mapped[str | None] = mapped_column(sa.String(400))
    last_modified: Mapped[str | None] = mapped_column(sa.String(100))
    bytes: Mapped[int] = mapped_column(sa.BigInteger())
    source_sha256: Mapped[str] = mapped_column(sa.String(64))
    sha256: Mapped[str] = mapped_column(sa.String(64), index=True)
    rows: Mapped[int]
    columns: Mapped[list[str]] = mapped_column(sa.JSON)
    data: Mapped[bytes] = mapped_column(sa.LargeBinary)
    author: Mapped[str] = mapped_column(sa.String(NAME_LENGTH))


class FeedAllowRow(Base):
    """A host (and port; 0: the scheme's default port) HTTP feeds may fetch from."""

    __tablename__ = "feed_allowlist"
    __table_args__ = (sa.UniqueConstraint("host", "port"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    host: Mapped[str] = mapped_column(sa.String(HOST_LENGTH))
    port: Mapped[int]
    added_by: Mapped[str] = mapped_column(sa.String(NAME_LENGTH))
    added_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
