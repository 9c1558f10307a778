"""Safe serving defaults: ``--auth`` or a non-loopback address refuses to start, with one
line naming what is missing, unless accounts exist and the cookie secret has 32+ bytes."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

import nexus_panel
from nexus_panel.benchmarks.auth_server import COOKIE_SECRET, seed_accounts
from nexus_panel.commands.serve import is_loopback

ROOT = Path(nexus_panel.__file__).resolve().parents[1]
NO_ACCOUNTS = "accounts in the database"
SHORT_SECRET = "a cookie secret of at least 32 bytes"


def serve(data_dir: Path, *args: str, secret: str | None = None) -> subprocess.CompletedProcess:
    environ = dict(os.environ, PYTHONPATH=str(ROOT), NEXUS_DATA_DIR=str(data_dir))
    environ.pop("DATABASE_URL", None)
    environ.pop("NEXUS_COOKIE_SECRET", None)
    if secret is not None:
        environ["NEXUS_COOKIE_SECRET"] = secret
    return subprocess.run([sys.executable, "-m", "nexus_panel.cli", "serve", "--port", "0",
                           "--no-warm-up", *args], env=environ, capture_output=True,
                          text=True, timeout=120, check=False)


@pytest.mark.parametrize("args", [("--auth",), ("--address", "0.0.0.0")])
def test_refuses_without_accounts_and_secret(tmp_path: Path, args: tuple[str, ...]) -> None:
    done = serve(tmp_path, *args)
    assert done.returncode == 2
    assert done.stderr.count("\n") == 1
    assert NO_ACCOUNTS in done.stderr and SHORT_SECRET in done.stderr
    assert args[-1] in done.stderr


def test_refuses_a_short_secret_even_with_accounts(tmp_path: Path) -> None:
    seed_accounts(f"sqlite:///{tmp_path / 'nexus.db'}")
    done = serve(tmp_path, "--auth", secret="x" * 31)
    assert done.returncode == 2
    assert SHORT_SECRET in done.stderr and "given: 31 bytes" in done.stderr
    assert NO_ACCOUNTS not in done.stderr


def test_refuses_without_accounts_even_with_a_secret(tmp_path: Path) -> None:
    done = serve(tmp_path, "--address", "0.0.0.0", "--cookie-secret", COOKIE_SECRET)
    assert done.returncode == 2
    assert NO_ACCOUNTS in done.stderr and SHORT_SECRET not in done.stderr


def test_loopback_names() -> None:
    assert is_loopback("127.0.0.1") and is_loopback("::1") and is_loopback("localhost")
    assert is_loopback("127.0.0.2")
    assert not is_loopback("0.0.0.0") and not is_loopback("") and not is_loopback("10.0.0.1")
    assert not is_loopback("example.org")
