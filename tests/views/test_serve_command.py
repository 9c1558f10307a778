"""``nexus-panel serve`` and ``panel serve`` of the page files start real servers that
answer every page; bad flags are one-line errors."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest

from nexus_panel.cli import main

ROOT = Path(__file__).resolve().parents[2]
BIN = Path(sys.executable).parent


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def get(url: str) -> tuple[int, str]:
    try:
        with urllib.request.urlopen(url, timeout=30) as response:
            return response.status, response.read().decode()
    except urllib.error.HTTPError as exc:
        return exc.code, ""


@contextmanager
def running(cmd: list[str], port: int, probe: str, log: Path
            ) -> Iterator[subprocess.Popen[bytes]]:
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    with log.open("wb") as sink:
        proc = subprocess.Popen(cmd, cwd=ROOT, env=env, stdout=sink, stderr=subprocess.STDOUT,
                                start_new_session=True)
    try:
        deadline = time.monotonic() + 90
        while time.monotonic() < deadline:
            if proc.poll() is not None:
                pytest.fail(f"server exited with {proc.returncode}:\n{log.read_text()}")
            try:
                if get(f"http://127.0.0.1:{port}{probe}")[0] == 200:
                    break
            except OSError:
                time.sleep(0.3)
        else:
            pytest.fail("server did not answer within 90 s")
        yield proc
    finally:
        os.killpg(proc.pid, signal.SIGTERM)
        try:
            proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait()


@pytest.mark.slow
def test_nexus_panel_serve_answers_every_page_and_liveness(tmp_path: Path) -> None:
    port = free_port()
    cmd = [str(BIN / "nexus-panel"), "serve", "--port", str(port), "--liveness",
           "--database-url", f"sqlite:///{tmp_path}/app.db"]
    with running(cmd, port, "/liveness", tmp_path / "server.log"):
        for path in ("/", "/simulate", "/parameters?alpha=2", "/signals?s=bad"):
            status, body = get(f"http://127.0.0.1:{port}{path}")
            assert status == 200, path
            assert "<title>Nexus · " in body, path
        assert get(f"http://127.0.0.1:{port}/no-such-page")[0] == 404


@pytest.mark.slow
def test_panel_serve_of_the_page_files_gives_the_same_urls(tmp_path: Path) -> None:
    port = free_port()
    pages = [f"nexus_panel/pages/{p}.py" for p in ("simulate", "parameters", "signals")]
    cmd = [str(BIN / "panel"), "serve", *pages, "--index", "simulate", "--port", str(port),
           "--address", "127.0.0.1", "--allow-websocket-origin", f"127.0.0.1:{port}"]
    with running(cmd, port, "/simulate", tmp_path / "server.log"):
        for path in ("/", "/parameters", "/signals"):
            status, body = get(f"http://127.0.0.1:{port}{path}")
            assert status == 200, path
            assert "<title>Nexus · " in body, path


@pytest.mark.parametrize(("argv", "message"), [
    (["serve", "--port", "70000"], "--port 70000 is not allowed (allowed: 0 to 65535)"),
    (["serve", "--num-procs", "-1"], "--num-procs -1 is not allowed"),
    (["serve", "--num-procs", "2", "--dev"], "--dev (autoreload) works with one process"),
])
def test_bad_flags_are_one_line_errors(argv: list[str], message: str,
                                       capsys: pytest.CaptureFixture[str]) -> None:
    assert main(argv) == 2
    err = capsys.readouterr().err
    assert message in err
    assert err.count("\n") == 1 and "Traceback" not in err
