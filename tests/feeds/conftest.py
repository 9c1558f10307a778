"""Fixtures for the feed tests: the loopback HTTP server, and a FeedStore on SQLite and
PostgreSQL (the storage tests' ``db_url``)."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from feed_server import FeedServer, running

from nexus_panel.feeds.store import FeedStore
from nexus_panel.storage import ScenarioStore


@pytest.fixture
def server() -> Iterator[FeedServer]:
    with running() as served:
        yield served


@pytest.fixture
def store(db_url: str) -> Iterator[ScenarioStore]:
    with ScenarioStore(db_url) as opened:
        yield opened


@pytest.fixture
def feeds(store: ScenarioStore) -> FeedStore:
    return FeedStore(store)
