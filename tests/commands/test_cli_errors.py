"""Commands raise; ``cli.main`` alone turns errors into one line and an exit code."""

from __future__ import annotations

from pathlib import Path

import pytest

import nexus_panel.commands
from nexus_panel.cli import main

COMMANDS = Path(nexus_panel.commands.__file__).parent


def test_no_command_translates_storage_errors_itself() -> None:
    texts = {p.name: p.read_text(encoding="utf-8") for p in COMMANDS.glob("*.py")}
    assert [n for n, t in texts.items() if "CommandError(str(exc))" in t] == []
    assert [n for n, t in texts.items() if "from nexus_panel.cli import" in t] == []


def test_a_storage_error_is_one_line_and_exit_2(sqlite_url: str,
                                                capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["export", "nobody@1", "--database-url", sqlite_url]) == 2
    err = capsys.readouterr().err
    assert err.startswith("nexus-panel export: ") and err.count("\n") == 1
    assert "nobody" in err and "Traceback" not in err
