"""``web/websocket_race``: a websocket whose session Bokeh's keep-alive already released
(a page left while a ping was due) takes its late messages and its close quietly, with
Bokeh's real session and connection objects; an attached one still goes through Bokeh."""

from __future__ import annotations

import asyncio
import threading
from typing import Any

from bokeh.document import Document
from bokeh.protocol import Protocol
from bokeh.server.connection import ServerConnection
from bokeh.server.session import ServerSession
from bokeh.server.views.ws import WSHandler
from tornado.ioloop import IOLoop

from nexus_panel.web import websocket_race


class Application:
    """What ``WSHandler.on_close`` calls on its application: records the lost client."""

    def __init__(self) -> None:
        self.lost: list[Any] = []

    def client_lost(self, connection: ServerConnection) -> None:
        self.lost.append(connection)
        connection.detach_session()


def on_its_own_loop(work: Any) -> None:
    """Run a coroutine to the end on a new event loop in its own thread (the suite's
    browser tests leave Playwright's loop running in this one)."""
    failures: list[BaseException] = []

    def run() -> None:
        try:
            asyncio.run(work)
        except BaseException as exc:  # reported in the test's thread
            failures.append(exc)
    thread = threading.Thread(target=run)
    thread.start()
    thread.join(30)
    if failures:
        raise failures[0]


def handler_for(connection: ServerConnection, application: Application) -> WSHandler:
    handler = WSHandler.__new__(WSHandler)  # (no socket: only what on_close/on_message use)
    handler.connection = connection
    handler.application = application
    handler.close_code, handler.close_reason = 1001, None
    return handler


def test_a_released_connection_takes_late_messages_and_its_close_quietly() -> None:
    websocket_race.install()
    websocket_race.install()  # twice: still one guard
    session = ServerSession("s1", Document(), io_loop=IOLoop.current())
    connection = ServerConnection(Protocol(), None, None, session)
    application = Application()
    application.client_lost(connection)  # what a failed keep-alive ping does
    assert not websocket_race.attached(connection)
    handler = handler_for(connection, application)
    on_its_own_loop(handler.on_message('{"late": "patch"}'))  # dropped, no assertion
    handler.on_close()  # already released: nothing left to do
    assert application.lost == [connection]


def test_an_attached_connection_closes_through_bokeh() -> None:
    websocket_race.install()
    session = ServerSession("s2", Document(), io_loop=IOLoop.current())
    connection = ServerConnection(Protocol(), None, None, session)
    assert websocket_race.attached(connection) and session.connection_count == 1
    application = Application()
    handler_for(connection, application).on_close()
    assert application.lost == [connection] and session.connection_count == 0
