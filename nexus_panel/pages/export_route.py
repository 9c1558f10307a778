"""Plain HTTP downloads of a scenario's run: ``GET /export/<csv|json|parquet>?<link>``.

Why not only ``pn.widgets.FileDownload``: it sends the file base64-encoded over the
session's websocket (capped at 20 MB and blocking that session meanwhile). These routes
send the file over ordinary HTTP and need no session at all: the query string is the same
share-link encoding the pages use (``nexus_panel.pages.links``), so any page's link turns
into a download by swapping the path, and a bad link answers 400 with the same message
naming the bad values.

What one request may cost is bounded (measured before: one million-step JSON download
took 17 s and +2.2 GB, and eight long CSV downloads made a 10-step one wait 58 s):

* a run longer than the server's ``max_steps`` budget is refused (400, naming
  ``num_steps`` and the limit);
* small runs (``small_steps``) are computed and encoded in the small lane of
  :mod:`nexus_panel.engine.work`, so they never wait behind long ones;
* long runs are streamed: computed span by span (``nexus_panel.engine.stream``) and
  encoded block by block (``nexus_panel.storage.run_files``) in the large lane, sent
  with chunked transfer encoding as they are produced. Memory is O(block) whatever the
  run length; at most a few blocks wait for a slow client, and a client that stops
  reading for ``STALL_SECONDS`` is dropped, so it cannot hold a worker forever;
* each client address may have ``client_jobs`` long downloads running or queued (more:
  429 with Retry-After), and the queue as a whole is bounded (503).

With sign-in required, a request without a valid signed session answers 401
(``nexus_panel.web.sign_in.SignedInHandler``).

Registered by ``nexus-panel serve`` (``extra_patterns``); with plain ``panel serve`` add
``--plugins nexus_panel.pages.export_route`` (Panel reads this module's ``ROUTES``).
"""

from __future__ import annotations

import asyncio
import logging
import threading
from collections.abc import Callable, Iterator
from typing import Any

from tornado.iostream import StreamClosedError
from tornado.web import RequestHandler

from nexus_panel.engine.memo import cached_simulate
from nexus_panel.engine.work import Busy, check_steps, pool
from nexus_panel.models import Scenario, ValidationError
from nexus_panel.pages.links import read_link, scenario_query
from nexus_panel.storage import run_files
from nexus_panel.views.transfer_formats import EXPORT_FORMATS, export_filename
from nexus_panel.web.identity import Identity
from nexus_panel.web.sign_in import SignedInHandler

log = logging.getLogger(__name__)

EXPORT_PATH = "/export"
PIPE_DEPTH = 4
"""Blocks produced ahead of what the client has taken."""
STALL_SECONDS = 60.0
"""A client that takes no block for this long is dropped (its worker is freed)."""
_END = object()


def export_href(scenario: Scenario, fmt: str) -> str:
    """Relative link to download ``scenario``'s run as ``fmt`` (a page at the site root)."""
    return f".{EXPORT_PATH}/{fmt}{scenario_query(scenario)}"


class _Pipe:
    """Blocks from a worker thread to the event loop, at most PIPE_DEPTH in flight."""

    def __init__(self, loop: asyncio.AbstractEventLoop) -> None:
        self._loop = loop
        self._queue: asyncio.Queue[Any] = asyncio.Queue()
        self._room = threading.Semaphore(PIPE_DEPTH)
        self.closed = threading.Event()

    def put(self, item: Any) -> bool:
        """(worker thread) Hand ``item`` over; False if the client is gone or stalled."""
        if not self._room.acquire(timeout=STALL_SECONDS) or self.closed.is_set():
            self.closed.set()
            return False
        self._loop.call_soon_threadsafe(self._queue.put_nowait, item)
        return True

    async def get(self) -> Any:
        item = await self._queue.get()
        self._room.release()
        return item

    def close(self) -> None:
        self.closed.set()
        self._room.release()  # wake a producer waiting for room


def _produce(blocks: Callable[[], Iterator[bytes]], pipe: _Pipe) -> None:
    """(large lane) Encode the file block by block into ``pipe``; errors go through it."""
    try:
        for block in blocks():
            if not pipe.put(block):
                return
        pipe.put(_END)
    except Exception as exc:
        pipe.put(exc)


class ExportHandler(SignedInHandler):
    """Runs the scenario the query string describes and sends the file (as the signed-in
    user when sign-in is required: 401 without a session, and ``?scenario=`` reads only
    what that user may read)."""

    def initialize(self) -> None:
        self._pipe: _Pipe | None = None

    async def get(self, fmt: str) -> None:
        query = {k: [v.decode(errors="replace") for v in vs]
                 for k, vs in self.request.query_arguments.items()}
        loop = asyncio.get_running_loop()
        client = self.request.remote_ip or "?"
        try:
            scenario = await asyncio.wrap_future(pool().submit(0, _read, query,
                                                                 self.current_user))
            steps = scenario.params.num_steps
            writer = run_files.WRITERS[fmt]
            if pool().is_small(steps):
                body = await asyncio.wrap_future(pool().submit(
                    steps, lambda: b"".join(writer(cached_simulate(scenario)))))
                self._headers_for(scenario, fmt)
                self.finish(body)
                return
            from nexus_panel.engine.stream import stream

            pipe = self._pipe = _Pipe(loop)
            pool().submit(steps, _produce, lambda: writer(stream(scenario)), pipe,
                          client=client)
        except (BadLink, ValidationError) as exc:
            self._fail(400, str(exc))
            return
        except Busy as exc:
            self.set_header("Retry-After", str(exc.retry_after))
            self._fail(exc.status, str(exc))
            return
        await self._send(scenario, fmt, pipe)

    async def _send(self, scenario: Scenario, fmt: str, pipe: _Pipe) -> None:
        first = True
        try:
            while True:
                item = await pipe.get()
                if item is _END:
                    break
                if isinstance(item, ValidationError) and first:
                    self._fail(400, str(item))
                    return
                if isinstance(item, BaseException):
                    # Headers are out: end the response without its final chunk, so the
                    # client sees a failed download, never a silently truncated file.
                    log.error("export of %s failed", fmt, exc_info=item)
                    self.request.connection.close()
                    return
                if first:
                    self._headers_for(scenario, fmt)
                    first = False
                self.write(item)
                await self.flush()
            self.finish()
        except StreamClosedError:
            pass  # the client went away
        finally:
            pipe.close()

    def on_connection_close(self) -> None:
        if self._pipe is not None:
            self._pipe.close()

    def _headers_for(self, scenario: Scenario, fmt: str) -> None:
        self.set_header("Content-Type", EXPORT_FORMATS[fmt].mime)
        self.set_header("Content-Disposition",
                        f'attachment; filename="{export_filename(scenario, fmt)}"')
        self.set_header("Cache-Control", "no-store")

    def _fail(self, status: int, text: str) -> None:
        self.set_status(status)
        self.set_header("Content-Type", "text/plain; charset=utf-8")
        self.finish(text + "\n")


class BadLink(ValueError):
    """A download link that cannot be applied as written (answered 400)."""


def _read(query: dict[str, list[str]], identity: Identity | None = None) -> Scenario:
    """(small lane: it may read the database) The scenario of a download link, checked
    against the server's budget: BadLink or ValidationError naming every problem."""
    from nexus_panel.models import FieldError
    from nexus_panel.pages.site import stored_loader

    reading = read_link(query, loader=stored_loader(identity))
    if reading.problems:
        raise BadLink("This download link is not valid:\n"
                      + "\n".join(f"- {p}" for p in reading.problems))
    scenario = reading.scenario
    scenario.validate()
    too_long = check_steps(scenario.params.num_steps)
    if too_long is not None:
        raise ValidationError([FieldError("scenario.params.num_steps",
                                          scenario.params.num_steps, too_long)])
    return scenario


ROUTES: list[tuple[str, type[RequestHandler], dict[str, Any]]] = [
    (EXPORT_PATH + "/(" + "|".join(EXPORT_FORMATS) + ")", ExportHandler, {}),
]
"""Tornado routes; ``panel serve --plugins nexus_panel.pages.export_route`` picks them up."""
