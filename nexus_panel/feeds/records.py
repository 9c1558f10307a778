"""What the feed store hands out: frozen records, never ORM objects (as
``storage.records``)."""

from __future__ import annotations

from dataclasses import asdict, dataclass
from datetime import datetime
from typing import Any


@dataclass(frozen=True)
class FeedInfo:
    """A feed, its latest definition and the outcome of its latest fetch."""

    id: int
    name: str
    owner: str
    revision: int
    definition: dict[str, Any]
    created_at: datetime
    last_fetch_at: datetime | None
    last_error: str

    @property
    def source(self) -> str:
        return self.definition["source"]


@dataclass(frozen=True)
class SnapshotRecord:
    """One stored fetch (``data`` not included: ``FeedStore.series`` loads it)."""

    id: int
    feed: str
    revision: int
    source: str
    fetched_at: datetime
    http_status: int | None
    etag: str | None
    last_modified: str | None
    bytes: int
    source_sha256: str
    sha256: str
    rows: int
    columns: list[str]
    author: str
    reused: bool = False
    """True when the fetch found the source unchanged (HTTP 304) and returned this,
    the feed's latest snapshot, instead of storing a new one."""

    def to_dict(self) -> dict[str, Any]:
        out = asdict(self)
        out["fetched_at"] = self.fetched_at.isoformat()
        return out


@dataclass(frozen=True)
class AllowEntry:
    host: str
    port: int
    """0: the scheme's default port (80 for http, 443 for https)."""
    added_by: str
    added_at: datetime

    @property
    def label(self) -> str:
        host = f"[{self.host}]" if ":" in self.host else self.host
        return host if not self.port else f"{host}:{self.port}"
