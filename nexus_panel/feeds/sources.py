"""Source kinds: each a class that fetches a feed's payload; declaring one registers it.

Why classes that register themselves: a new kind (the live MQTT/Redis sources in
``feeds.live``) is added by declaring a subclass with its ``kind`` and the definition
fields it uses -- the definition, the store and the CLI need no change. The modules in
:data:`SOURCE_MODULES` are imported on first use (a missing one is skipped).
"""

from __future__ import annotations

import importlib
from dataclasses import dataclass, field
from typing import ClassVar

import pandas as pd

from nexus_panel.feeds.definition import FeedDefinition
from nexus_panel.feeds.ssrf import Resolver, system_resolver
from nexus_panel.models.errors import FieldError, ValidationError

SOURCE_MODULES = ("files", "http", "sql", "live")
"""Modules of nexus_panel.feeds that declare Source classes."""


@dataclass(frozen=True)
class Fetched:
    """What a fetch got: a payload (file, HTTP) or a table (SQL), with its provenance.
    ``not_modified``: the source said the latest snapshot is still current (HTTP 304)."""

    source: str
    """Where from, without secrets (shown and stored)."""
    payload: bytes | None = None
    frame: pd.DataFrame | None = None
    http_status: int | None = None
    etag: str | None = None
    last_modified: str | None = None
    not_modified: bool = False


@dataclass(frozen=True)
class FetchContext:
    """What a fetch may use beyond the definition: the allowlist (host, port) pairs, the
    latest snapshot's validators (ETag, Last-Modified) and the resolver."""

    allowlist: frozenset[tuple[str, int]] = frozenset()
    etag: str | None = None
    last_modified: str | None = None
    resolve: Resolver = field(default=system_resolver)


class Source:
    """A source kind. Subclasses set ``kind`` and ``fields`` and implement ``fetch``."""

    kind: ClassVar[str]
    fields: ClassVar[tuple[str, ...]] = ()
    """FeedDefinition fields this kind uses (declared on the definition)."""
    registry: ClassVar[dict[str, type[Source]]] = {}

    def __init_subclass__(cls, **kwargs: object) -> None:
        super().__init_subclass__(**kwargs)
        if "kind" in cls.__dict__:
            Source.registry[cls.kind] = cls
            FeedDefinition.add_source(cls.kind, cls.fields)

    def fetch(self, definition: FeedDefinition, context: FetchContext) -> Fetched:
        raise NotImplementedError


def load_sources() -> dict[str, type[Source]]:
    """Every declared source kind (importing the source modules once)."""
    for name in SOURCE_MODULES:
        try:
            importlib.import_module(f"nexus_panel.feeds.{name}")
        except ModuleNotFoundError as exc:
            if exc.name != f"nexus_panel.feeds.{name}":
                raise
    return Source.registry


def source_for(kind: str) -> Source:
    sources = load_sources()
    if kind not in sources:
        raise ValidationError([FieldError("source", kind, " | ".join(sources))])
    return sources[kind]()
