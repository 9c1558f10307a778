"""A page left at the wrong moment must not log server tracebacks.

Why: Bokeh's keep-alive job pings every websocket and, when a ping finds the socket
already closed, detaches the connection from its session at once (``client_lost``).
Tornado may still deliver messages the browser sent just before leaving (a new page
sends its size and ``document_ready`` right away), and then calls ``on_close``. Each of
those reads ``connection.session``, an assertion that the session is attached, so a page
closed while a ping was due logged two to four tracebacks. Nothing was lost (the session
was being given up anyway), but an operator cannot tell such logs from real failures,
and the browser tests fail any test during which the server logged an error (seen once
in a full run: ``test_dark_theme_toggle_follows_the_visitor_to_other_pages``).

:func:`install` makes the websocket handler drop messages for a detached connection and
skip its already-done close; everything else goes through Bokeh's own code.
"""

from __future__ import annotations

import functools
import logging
from typing import Any

log = logging.getLogger(__name__)

_INSTALLED = "_nexus_detached_guard"


def attached(connection: Any) -> bool:
    """Whether a Bokeh ``ServerConnection`` still has its session (``session`` asserts
    it; under ``python -O`` it would return None instead)."""
    try:
        return connection.session is not None
    except AssertionError:
        return False


def install() -> None:
    """Guard ``WSHandler.on_message`` and ``WSHandler.on_close`` (once per process)."""
    from bokeh.server.views.ws import WSHandler

    if getattr(WSHandler, _INSTALLED, False):
        return
    on_message, on_close = WSHandler.on_message, WSHandler.on_close

    @functools.wraps(on_message)
    async def guarded_message(self: Any, fragment: str | bytes) -> None:
        if self.connection is not None and not attached(self.connection):
            log.debug("message for a closed page's websocket dropped")
            return
        await on_message(self, fragment)

    @functools.wraps(on_close)
    def guarded_close(self: Any) -> None:
        if self.connection is not None and not attached(self.connection):
            log.debug("websocket closed after its session was released")
            return
        on_close(self)

    WSHandler.on_message = guarded_message  # type: ignore[method-assign]
    WSHandler.on_close = guarded_close  # type: ignore[method-assign]
    setattr(WSHandler, _INSTALLED, True)
