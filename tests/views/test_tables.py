"""The Table widget drops clicks on rows that a newer server-side value no longer has."""

from __future__ import annotations

import pandas as pd
import pytest
from bokeh.document import Document
from panel.models.tabulator import CellClickEvent
from panel.widgets import Tabulator

from nexus_panel.views.tables import Table


def _stale_click(table: Tabulator) -> list[str]:
    clicked: list[str] = []
    table.on_click(lambda e: clicked.append(e.value))
    model = table.get_root(Document())
    table.value = pd.DataFrame({"name": ["only"]})  # the search narrowed the list...
    table._process_event(CellClickEvent(model=model, column="name", row=2))  # ...old row 2
    return clicked


def test_stale_click_is_dropped_not_raised() -> None:
    table = Table(pd.DataFrame({"name": ["a", "b", "c"]}))
    assert _stale_click(table) == []


def test_plain_tabulator_raises_on_the_same_click() -> None:
    """Guards the reason Table exists: if Panel stops raising, Table can go."""
    with pytest.raises((KeyError, IndexError)):
        _stale_click(Tabulator(pd.DataFrame({"name": ["a", "b", "c"]})))


def test_current_click_still_reaches_the_handler() -> None:
    table = Table(pd.DataFrame({"name": ["a", "b", "c"]}))
    clicked: list[str] = []
    table.on_click(lambda e: clicked.append(e.value))
    model = table.get_root(Document())
    table._process_event(CellClickEvent(model=model, column="name", row=1))
    assert clicked == ["b"]
