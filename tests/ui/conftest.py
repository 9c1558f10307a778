"""Browser-test harness: one real ``nexus-panel serve`` per session, Debian's chromium.

Why a real server in a subprocess: the issue asks for what a user sees, so the tests go
through the same CLI, websocket and HTTP routes as production, with SQLite and a private
disk cache in a temporary directory. One server for the whole session keeps the suite
fast (the server warms the JIT once); every test gets a fresh browser context, so tests
share no browser state, only the database (each test uses its own scenario names).

``playwright install`` cannot download browsers here, so the launch arguments point
pytest-playwright at /usr/bin/chromium.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from nexus_panel.benchmarks.ui_server import (
    CHROMIUM,
    CHROMIUM_ARGS,
    Server,
    new_server_errors,
)


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    here = Path(__file__).parent
    for item in items:
        if here in Path(str(item.fspath)).parents:
            item.add_marker(pytest.mark.browser)


@pytest.fixture(scope="session")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    # Long runs allowed (the tests exercise million-step links); closed pages are freed
    # after one second instead of Bokeh's 15 (the session-memory test waits for it).
    srv = Server(tmp_path_factory.mktemp("nexus-serve"),
                 extra_args=("--max-steps", "1000000", "--session-expiry", "1000"))
    try:
        srv.wait_ready()
        yield srv
    finally:
        srv.stop()


@pytest.fixture(scope="session")
def base_url(server: Server) -> str:
    return server.url


@pytest.fixture(autouse=True)
def no_server_tracebacks(server: Server) -> Iterator[None]:
    """Fail the test during which the server logged an error: users never see a
    traceback, and a swallowed server exception is a bug even if the page looks fine."""
    _, offset = new_server_errors(server, 0)
    yield
    errors, _ = new_server_errors(server, offset)
    assert not errors, "the server logged errors during this test:\n" + "\n".join(errors)


@pytest.fixture(scope="session")
def browser_type_launch_args(browser_type_launch_args: dict[str, Any]) -> dict[str, Any]:
    return {**browser_type_launch_args, "executable_path": CHROMIUM, "args": CHROMIUM_ARGS}


@pytest.fixture(scope="session")
def browser_context_args(browser_context_args: dict[str, Any]) -> dict[str, Any]:
    return {**browser_context_args, "viewport": {"width": 1400, "height": 1000},
            "accept_downloads": True}


@pytest.fixture(scope="session")
def server_store(server: Server) -> Iterator[Any]:
    """The server's own database, opened from the test process (to seed or to check)."""
    from nexus_panel.storage import ScenarioStore

    store = ScenarioStore(f"sqlite:///{server.workdir / 'data' / 'nexus.db'}")
    yield store
    store.close()
