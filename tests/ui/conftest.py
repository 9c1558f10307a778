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

import contextlib
import os
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

CHROMIUM = os.environ.get("NEXUS_CHROMIUM", "/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
    "--disable-background-networking", "--disable-component-update", "--disable-sync",
]
ROOT = Path(__file__).resolve().parents[2]
SCREENSHOTS = ROOT / "test-artifacts" / "screenshots"
SERVER_START_TIMEOUT = 90.0


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    here = Path(__file__).parent
    for item in items:
        if here in Path(str(item.fspath)).parents:
            item.add_marker(pytest.mark.browser)


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


class Server:
    """A ``nexus-panel serve`` subprocess in its own process group."""

    def __init__(self, workdir: Path, port: int | None = None,
                 extra_args: tuple[str, ...] = ()) -> None:
        self.port = port or free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.workdir = workdir
        (workdir / "data").mkdir(parents=True, exist_ok=True)
        env = dict(os.environ)
        env.update(NEXUS_DATA_DIR=str(workdir / "data"), NEXUS_CACHE_DIR=str(workdir / "cache"))
        env.pop("DATABASE_URL", None)
        env.pop("NEXUS_DATABASE_URL", None)
        self.log_path = workdir / "server.log"
        self._log = self.log_path.open("wb")
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "nexus_panel.cli", "serve", "--port", str(self.port),
             "--liveness", *extra_args],
            cwd=ROOT, env=env, stdout=self._log, stderr=subprocess.STDOUT,
            start_new_session=True,
        )

    def wait_ready(self, timeout: float = SERVER_START_TIMEOUT) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(f"server exited with {self.proc.returncode}:\n{self.log()}")
            try:
                with urllib.request.urlopen(f"{self.url}/liveness", timeout=2) as resp:
                    if resp.status == 200:
                        return
            except OSError:
                pass
            time.sleep(0.2)
        self.stop()
        raise RuntimeError(f"server not live after {timeout}s:\n{self.log()}")

    def pids(self) -> list[int]:
        """The server and every worker it forked (``--num-procs``)."""
        import psutil

        try:
            root = psutil.Process(self.proc.pid)
            return [self.proc.pid] + [p.pid for p in root.children(recursive=True)]
        except psutil.NoSuchProcess:
            return []

    def stop(self) -> None:
        pids = self.pids()
        for pid in reversed(pids):  # workers first: killing the parent orphans them
            with contextlib.suppress(ProcessLookupError):
                os.kill(pid, signal.SIGTERM)
        try:
            self.proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            for pid in pids:
                with contextlib.suppress(ProcessLookupError):
                    os.kill(pid, signal.SIGKILL)
            self.proc.wait(timeout=10)
        self._log.close()

    def log(self) -> str:
        self._log.flush()
        return self.log_path.read_text(errors="replace")[-4000:]


@pytest.fixture(scope="session")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    srv = Server(tmp_path_factory.mktemp("nexus-serve"))
    try:
        srv.wait_ready()
        yield srv
    finally:
        srv.stop()


@pytest.fixture(scope="session")
def base_url(server: Server) -> str:
    return server.url


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
