"""deploy/entrypoint.sh, run as the container runs it (without docker), on a fresh SQLite
and PostgreSQL database: the first start adds the first admin from the environment and
serves; a later start adds no one (the variables may stay set); a start with no account
and no variables stops before serving, saying what to set.

Why the script itself: the container's start is the one moment the first admin can be
added unattended, so the deployed file is what is tested, with the same CLI it calls."""

from __future__ import annotations

import os
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

from nexus_panel.benchmarks.auth_server import COOKIE_SECRET
from nexus_panel.benchmarks.ui_server import ROOT, SERVER_START_TIMEOUT, free_port

ENTRYPOINT = ROOT / "deploy" / "entrypoint.sh"
SECRET = "first-admin-password-1"


def environment(url: str, **extra: str) -> dict[str, str]:
    """The container's environment: this checkout's CLI first on PATH, the database and
    the cookie secret, and only the NEXUS_ADMIN_* variables given."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("NEXUS_ADMIN")}
    env.update(PATH=f"{Path(sys.executable).parent}{os.pathsep}{env.get('PATH', '')}",
               PYTHONPATH=str(ROOT), DATABASE_URL=url, NEXUS_COOKIE_SECRET=COOKIE_SECRET,
               **extra)
    return env


def start(url: str, log: Path, **extra: str) -> tuple[subprocess.Popen[bytes], int]:
    """The entrypoint, with serve's address and port overridden to a free loopback port
    (the container's 0.0.0.0:5006 would clash here) and one process, no warm-up."""
    port = free_port()
    with log.open("wb") as out:
        proc = subprocess.Popen(
            ["sh", str(ENTRYPOINT), "--address", "127.0.0.1", "--port", str(port),
             "--num-procs", "1", "--no-warm-up", "--no-live"],
            cwd=ROOT, env=environment(url, **extra), stdout=out, stderr=subprocess.STDOUT)
    return proc, port


def wait_live(proc: subprocess.Popen[bytes], port: int, log: Path) -> None:
    deadline = time.monotonic() + SERVER_START_TIMEOUT
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise AssertionError(f"exited with {proc.returncode}:\n{log.read_text()}")
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{port}/liveness", timeout=2):
                return
        except OSError:
            time.sleep(0.2)
    raise AssertionError(f"not live after {SERVER_START_TIMEOUT}s:\n{log.read_text()}")


def stop(proc: subprocess.Popen[bytes]) -> None:
    """The script exec'd serve, so its pid is the server's (one process: no workers)."""
    proc.terminate()
    try:
        proc.wait(timeout=20)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait(timeout=10)


def serve_once(url: str, log: Path, **extra: str) -> str:
    """Start the entrypoint, wait until it serves, stop it; its output."""
    proc, port = start(url, log, **extra)
    try:
        wait_live(proc, port, log)
    finally:
        stop(proc)
    return log.read_text(errors="replace")


def accounts(url: str) -> list[tuple[str, str]]:
    from nexus_panel.storage import ScenarioStore

    with ScenarioStore(url, migrate=False) as store:
        return [(u.name, u.role) for u in store.users()]


def test_first_start_adds_the_admin_later_starts_do_not(db_url: str, tmp_path: Path) -> None:
    secret = tmp_path / "admin_password"
    secret.write_text(SECRET + "\n")
    first = serve_once(db_url, tmp_path / "first.log", NEXUS_ADMIN_USER="root",
                       NEXUS_ADMIN_PASSWORD_FILE=str(secret))
    assert "added the first admin root (admin)" in first
    assert SECRET not in first
    assert accounts(db_url) == [("root", "admin")]

    secret.unlink()  # the secret removed after the first start: no longer needed
    again = serve_once(db_url, tmp_path / "again.log", NEXUS_ADMIN_USER="other",
                       NEXUS_ADMIN_PASSWORD_FILE=str(secret))
    assert "accounts exist already: no first admin added" in again
    assert accounts(db_url) == [("root", "admin")]
    from nexus_panel.storage import ScenarioStore

    with ScenarioStore(db_url) as store:
        assert store.authenticate("root", SECRET) is not None


def test_no_account_and_no_variables_stops_before_serving(sqlite_url: str,
                                                          tmp_path: Path) -> None:
    log = tmp_path / "refused.log"
    proc, port = start(sqlite_url, log)
    try:
        assert proc.wait(timeout=SERVER_START_TIMEOUT) != 0
    finally:
        if proc.poll() is None:
            stop(proc)
    out = log.read_text(errors="replace")
    assert "the database has no account: set NEXUS_ADMIN_USER" in out, out
    assert "schema revision" in out and "serving http" not in out
    assert accounts(sqlite_url) == []
    # serve on its own refuses too (what the script's stop spares the operator).
    alone = subprocess.run(
        [sys.executable, "-m", "nexus_panel.cli", "serve", "--auth", "--port", str(port),
         "--no-warm-up"], cwd=ROOT, env=environment(sqlite_url), capture_output=True,
        text=True, timeout=SERVER_START_TIMEOUT, check=False)
    assert alone.returncode != 0 and "accounts in the database" in alone.stderr
