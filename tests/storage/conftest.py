"""Fixture for storage tests: a migrated ScenarioStore on SQLite and on PostgreSQL."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from nexus_panel.storage import ScenarioStore


@pytest.fixture
def store(db_url: str) -> Iterator[ScenarioStore]:
    with ScenarioStore(db_url) as opened:
        yield opened
