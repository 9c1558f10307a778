"""A Tabulator that survives clicks on rows the server has already replaced.

When a table's ``value`` is swapped on the server (a search narrows a list) while the
user clicks, the browser's event names a row of the *old* table. Panel then raises a
KeyError/IndexError inside its event handler, which Bokeh logs as a server error and the
click is lost anyway. ``Table`` drops such stale events quietly: the user sees the new
table and clicks again.
"""

from __future__ import annotations

import logging
from typing import Any

import panel as pn

log = logging.getLogger(__name__)


class Table(pn.widgets.Tabulator):
    """``pn.widgets.Tabulator`` that ignores events for rows that no longer exist."""

    def _process_event(self, event: Any) -> None:
        try:
            super()._process_event(event)
        except (KeyError, IndexError):
            log.debug("dropped a %s event for a row the table no longer has",
                      getattr(event, "event_name", "table"))
