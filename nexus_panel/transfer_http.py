"""Plain HTTP downloads of a scenario's run: ``GET /export/<csv|json|parquet>?<link>``.

Why not only ``pn.widgets.FileDownload``: it sends the file base64-encoded over the
session's websocket (capped at 20 MB and blocking that session meanwhile), while a
5,000-step run is megabytes as CSV or JSON. These routes stream the file over ordinary
HTTP instead, and need no session at all: the query string is the same share-link
encoding the pages use (``nexus_panel.pages.links``), so any page's link can be turned
into a download by swapping the path, and a bad link answers 400 with the same message
naming the bad values.

Registered by ``nexus-panel serve`` (``extra_patterns``); with plain ``panel serve`` add
``--plugins nexus_panel.transfer_http`` (Panel reads this module's ``ROUTES``).
"""

from __future__ import annotations

import asyncio
from typing import Any

from tornado.web import RequestHandler

from nexus_panel.engine import SimulationResult
from nexus_panel.models import ValidationError
from nexus_panel.pages.links import read_link, scenario_query
from nexus_panel.views.session import run_scenario
from nexus_panel.views.transfer_formats import EXPORT_FORMATS, export_bytes, export_filename

EXPORT_PATH = "/export"


def export_href(scenario: Any, fmt: str) -> str:
    """Relative link to download ``scenario``'s run as ``fmt`` (a page at the site root)."""
    return f".{EXPORT_PATH}/{fmt}{scenario_query(scenario)}"


class ExportHandler(RequestHandler):
    """Runs the scenario the query string describes and sends the file.

    The run and the encoding happen in a worker thread: a long run exported as CSV takes
    seconds, and on the event loop it froze every page session of the process meanwhile
    (measured: a 10-step download waited 10.8 s behind a 1,000,000-step CSV).
    """

    async def get(self, fmt: str) -> None:
        query = {k: [v.decode(errors="replace") for v in vs]
                 for k, vs in self.request.query_arguments.items()}
        loop = asyncio.get_running_loop()
        status, text, result, body = await loop.run_in_executor(None, _export, query, fmt)
        if result is None:
            self._fail(status, text)
            return
        spec = EXPORT_FORMATS[fmt]
        self.set_header("Content-Type", spec.mime)
        self.set_header("Content-Disposition",
                        f'attachment; filename="{export_filename(result, fmt)}"')
        self.set_header("Cache-Control", "no-store")
        self.finish(body)

    def _fail(self, status: int, text: str) -> None:
        self.set_status(status)
        self.set_header("Content-Type", "text/plain; charset=utf-8")
        self.finish(text + "\n")


def _export(query: dict[str, list[str]], fmt: str
            ) -> tuple[int, str, SimulationResult | None, bytes]:
    """(status, error text, result, file bytes) for a download link; off the event loop."""
    from nexus_panel.pages.site import stored_loader

    reading = read_link(query, loader=stored_loader())
    if reading.problems:
        return 400, "This download link is not valid:\n" + "\n".join(
            f"- {p}" for p in reading.problems), None, b""
    try:
        result = run_scenario(reading.scenario)
        return 200, "", result, export_bytes(result, fmt)
    except ValidationError as exc:
        return 400, str(exc), None, b""


ROUTES: list[tuple[str, type[RequestHandler], dict[str, Any]]] = [
    (EXPORT_PATH + "/(" + "|".join(EXPORT_FORMATS) + ")", ExportHandler, {}),
]
"""Tornado routes; ``panel serve --plugins nexus_panel.transfer_http`` picks them up."""
