"""``nexus-panel serve`` refuses a database URL that can never work before it serves,
instead of logging one line and serving an app whose every save then fails."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

import nexus_panel

ROOT = Path(nexus_panel.__file__).resolve().parents[1]


@pytest.mark.parametrize(("option", "env", "message"), [
    (["--database-url", "nonsense"], None, "bad database URL 'nonsense'"),
    ([], "mysql://u@h/db", "unsupported database 'mysql://u@h/db'"),
])
def test_serve_refuses_an_unusable_database_url(option: list[str], env: str | None,
                                                message: str) -> None:
    environ = dict(os.environ, PYTHONPATH=str(ROOT))
    environ.pop("DATABASE_URL", None)
    if env is not None:
        environ["DATABASE_URL"] = env
    done = subprocess.run([sys.executable, "-m", "nexus_panel.cli", "serve", "--port", "0",
                           "--no-warm-up", *option], env=environ, capture_output=True,
                          text=True, timeout=60, check=False)
    assert done.returncode == 2
    assert done.stderr.startswith(f"nexus-panel serve: {message}")
    assert done.stderr.count("\n") == 1
