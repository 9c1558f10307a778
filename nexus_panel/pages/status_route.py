"""``GET /status``: how many sessions this process holds and what they cost (loopback only).

Why: closed browser tabs must free everything their session held. Bokeh drops a session
some seconds after its websocket closes; whether our objects go with it is what
``sessions`` shows (live ``ScenarioSession`` objects, weakly counted), beside the
server's own ``documents`` count and the process's resident memory. ``?gc=1`` collects
garbage first, so a leak (something global holding closed sessions) shows as a count that
does not return to the baseline. The browser tests and ``nexus-panel bench`` read it.

Answered only to clients on the loopback interface (behind nginx with ``--use-xheaders``
the real client address counts), since memory figures are not for visitors; with sign-in
required, also only with a valid session.
"""

from __future__ import annotations

import gc
import ipaddress
import json
import os
from typing import Any

from tornado.web import RequestHandler

from nexus_panel.web.sign_in import SignedInHandler

STATUS_PATH = "/status"


def _is_loopback(address: str | None) -> bool:
    try:
        return address is not None and ipaddress.ip_address(address).is_loopback
    except ValueError:
        return False


def status(collect: bool = False) -> dict[str, Any]:
    """The figures ``/status`` reports, for this process."""
    import psutil

    from nexus_panel.engine.work import pool
    from nexus_panel.session import LIVE_SESSIONS

    if collect:
        gc.collect()
    import panel as pn

    documents = sum(len(list(context.sessions))
                    for server, *_ in pn.state._servers.values()
                    for context in _contexts(server))
    return {"pid": os.getpid(), "sessions": len(LIVE_SESSIONS), "documents": documents,
            "rss_bytes": psutil.Process().memory_info().rss, **pool().load()}


def _contexts(server: Any) -> list[Any]:
    tornado = getattr(server, "_tornado", None)
    if tornado is None:
        return []
    return list(tornado._applications.values())


class StatusHandler(SignedInHandler):
    def get(self) -> None:
        if not _is_loopback(self.request.remote_ip):
            self.send_error(404)
            return
        self.set_header("Content-Type", "application/json")
        self.set_header("Cache-Control", "no-store")
        self.finish(json.dumps(status(collect=self.get_argument("gc", "") == "1")))


ROUTES: list[tuple[str, type[RequestHandler], dict[str, Any]]] = [
    (STATUS_PATH, StatusHandler, {}),
]
