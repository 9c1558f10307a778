"""A real ``nexus-panel serve`` in a subprocess, and Debian's chromium to drive it.

Shared by the browser tests (tests/ui) and the browser benchmark (``ui.py``), so both
measure exactly what a user gets: the real CLI, websocket and HTTP routes, SQLite and a
private disk cache in a temporary directory. ``playwright install`` cannot download
browsers here, so the launch arguments point Playwright at the system chromium
(``NEXUS_CHROMIUM`` overrides the path).

This module defines no ``figures()``, so ``nexus-panel bench`` does not pick it up.
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
from pathlib import Path

CHROMIUM = os.environ.get("NEXUS_CHROMIUM", "/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
    "--disable-background-networking", "--disable-component-update", "--disable-sync",
]
ROOT = Path(__file__).resolve().parents[2]
SERVER_START_TIMEOUT = 90.0


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


class Server:
    """A ``nexus-panel serve`` subprocess in its own process group."""

    def __init__(self, workdir: Path, port: int | None = None,
                 extra_args: tuple[str, ...] = (), env: dict[str, str] | None = None) -> None:
        """``env``: extra environment (e.g. ``DATABASE_URL``, ``NEXUS_COOKIE_SECRET``)."""
        self.port = port or free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.workdir = workdir
        (workdir / "data").mkdir(parents=True, exist_ok=True)
        extra_env, env = env, dict(os.environ)
        env.update(NEXUS_DATA_DIR=str(workdir / "data"), NEXUS_CACHE_DIR=str(workdir / "cache"))
        env.pop("DATABASE_URL", None)
        env.pop("NEXUS_DATABASE_URL", None)
        env.update(extra_env or {})
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


def rss_bytes(server: Server) -> int:
    """Resident memory of the server and all its workers, in bytes."""
    import psutil

    total = 0
    for pid in server.pids():
        with contextlib.suppress(psutil.NoSuchProcess):
            total += psutil.Process(pid).memory_info().rss
    return total


BENIGN_ERRORS = ("WebSocketClosedError", "StreamClosedError")
"""Errors a server logs when a browser context closes mid-message: not app failures."""


def new_server_errors(server: Server, offset: int) -> tuple[list[str], int]:
    """Error blocks (tracebacks, ERROR lines) logged since ``offset``, and the new offset.

    A block starts at an ``ERROR:``, ``Traceback`` or ``Exception in callback`` line and
    takes every following line up to the next log record (``INFO:``/``WARNING:``/...) or
    block start; blocks that only report a closed websocket are dropped."""
    server._log.flush()
    text = server.log_path.read_text(errors="replace")
    blocks: list[list[str]] = []
    for line in text[offset:].splitlines():
        if line.startswith(("ERROR:", "Traceback", "Exception in callback")):
            blocks.append([line])
        elif line.startswith(("INFO:", "WARNING:", "DEBUG:")):
            if blocks and blocks[-1]:
                blocks.append([])  # a new log record ends the error block
        elif blocks and blocks[-1]:
            blocks[-1].append(line)
    errors = ["\n".join(b) for b in blocks
              if b and not any(benign in "\n".join(b) for benign in BENIGN_ERRORS)]
    return errors, len(text)
