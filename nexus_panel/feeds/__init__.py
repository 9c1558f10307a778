"""Data feeds: drive any input from real data -- files, HTTP APIs, SQL -- safely and
reproducibly (docs/feeds.md).

A feed is a stored, revisioned definition (``definition.FeedDefinition``); every fetch
becomes a snapshot kept in the database (``store.FeedStore``); a ``feed`` signal pins a
snapshot by its sha256 and reads it aligned to the run's grid (``series``, ``align``).
Source kinds are classes registered by declaration (``sources.Source``).
"""

from __future__ import annotations

from nexus_panel.feeds.definition import FeedDefinition
from nexus_panel.feeds.errors import FetchError

__all__ = ["FeedDefinition", "FetchError"]
