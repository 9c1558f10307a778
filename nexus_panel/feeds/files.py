"""The file source: a CSV, Parquet or JSON file read from a path (the CLI's ``--file``;
the Feeds page uploads the same bytes). Read under the feed's size cap."""

from __future__ import annotations

from pathlib import Path
from typing import ClassVar

from nexus_panel.feeds.definition import FeedDefinition
from nexus_panel.feeds.errors import FetchError
from nexus_panel.feeds.sources import FetchContext, Fetched, Source


class FileSource(Source):
    kind = "file"
    fields: ClassVar[tuple[str, ...]] = ("path", "format", "records_key", "max_bytes")

    def fetch(self, definition: FeedDefinition, context: FetchContext) -> Fetched:
        path = Path(definition.path)
        try:
            with path.open("rb") as handle:
                payload = handle.read(definition.max_bytes + 1)
        except OSError as exc:
            raise FetchError("path", f"cannot read {path}: {exc.strerror or exc}") from None
        if len(payload) > definition.max_bytes:
            raise FetchError("max_bytes", f"{path} is larger than {definition.max_bytes:,} "
                             "bytes")
        return Fetched(source=f"file {path}", payload=payload)
