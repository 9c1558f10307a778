"""``nexus-panel users``: passwords from stdin (never argv), the JSON listing, and the same
role checks as the store when acting ``--as`` a user or through NEXUS_USER."""

from __future__ import annotations

import io
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from nexus_panel.cli import main
from nexus_panel.models import EngineParams, Scenario
from nexus_panel.storage import ScenarioStore

SECRET = "a long enough secret"


def _cli(url: str, *args: str, stdin: str = "", user: str | None = None
         ) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if k != "NEXUS_USER"}
    if user is not None:
        env["NEXUS_USER"] = user
    return subprocess.run([sys.executable, "-m", "nexus_panel.cli", "users", *args,
                           "--database-url", url], input=stdin, capture_output=True,
                          text=True, env=env, check=False, timeout=120)


def test_add_reads_the_password_from_stdin_and_list_prints_json(sqlite_url: str) -> None:
    added = _cli(sqlite_url, "add", "ann", "--role", "admin", stdin=SECRET + "\n")
    assert added.returncode == 0, added.stderr
    assert added.stdout == "added ann (admin)\n"
    assert _cli(sqlite_url, "add", "vic", "--role", "viewer", stdin=SECRET + "\n",
                user="ann").returncode == 0
    listed = _cli(sqlite_url, "list", "--json")
    assert json.loads(listed.stdout) == [{"name": "ann", "role": "admin", "disabled": False},
                                         {"name": "vic", "role": "viewer", "disabled": False}]
    with ScenarioStore(sqlite_url) as store:
        assert store.authenticate("vic", SECRET) is not None
    assert SECRET not in Path(sqlite_url.removeprefix("sqlite:///")).read_bytes().decode(
        "latin-1")


def test_a_password_is_not_accepted_on_the_command_line(sqlite_url: str) -> None:
    done = _cli(sqlite_url, "add", "ann", "--role", "admin", "--password", SECRET)
    assert done.returncode == 2 and "unrecognized arguments" in done.stderr


def test_a_weak_password_is_refused_without_echoing_it(sqlite_url: str) -> None:
    done = _cli(sqlite_url, "add", "ann", "--role", "admin", stdin="short\n")
    assert done.returncode == 2
    assert "password" in done.stderr and "12 to 1024 characters" in done.stderr
    assert "short" not in done.stderr
    same = _cli(sqlite_url, "add", "ann-the-admin", "--role", "admin",
                stdin="ann-the-admin\n")
    assert same.returncode == 2 and "not the user name" in same.stderr


def test_admin_only_commands_refuse_other_roles(sqlite_url: str,
                                                monkeypatch: pytest.MonkeyPatch,
                                                capsys: pytest.CaptureFixture[str]) -> None:
    monkeypatch.delenv("NEXUS_USER", raising=False)
    with ScenarioStore(sqlite_url) as local:
        local.add_user("boss", "admin", SECRET)
        local.add_user("ed", "editor", SECRET)
    url = ["--database-url", sqlite_url]
    assert main(["users", "set-role", "ed", "admin", "--as", "ed", *url]) == 2
    err = capsys.readouterr().err
    assert err == ("nexus-panel users: 'ed' may not change the role of 'ed': that needs an "
                   "admin, and 'ed' is an editor\n")
    monkeypatch.setenv("NEXUS_USER", "ed")
    assert main(["users", "disable", "boss", *url]) == 2
    assert "'ed' may not disable the account 'boss'" in capsys.readouterr().err
    monkeypatch.setattr(sys, "stdin", io.StringIO("a brand new secret\n"))
    assert main(["users", "reset-password", "boss", *url]) == 2
    capsys.readouterr()
    monkeypatch.setenv("NEXUS_USER", "boss")
    assert main(["users", "set-role", "ed", "viewer", *url]) == 0
    assert main(["users", "disable", "ed", *url]) == 0
    assert capsys.readouterr().out == "changed ed (viewer)\ndisabled ed (viewer, disabled)\n"
    with ScenarioStore(sqlite_url) as local:
        assert [(u.name, u.role, u.disabled) for u in local.users()] == [
            ("boss", "admin", False), ("ed", "viewer", True)]
        refused = [e for e in local.audit_events() if e.action == "refuse"]
        assert [e.actor for e in refused] == ["ed", "ed", "ed"]


def test_other_commands_write_as_the_named_user(sqlite_url: str, tmp_path: Path,
                                                monkeypatch: pytest.MonkeyPatch,
                                                capsys: pytest.CaptureFixture[str]) -> None:
    monkeypatch.delenv("NEXUS_USER", raising=False)
    with ScenarioStore(sqlite_url) as local:
        local.add_user("vic", "viewer", SECRET)
        local.save(Scenario(name="baseline", params=EngineParams(num_steps=200)))
        local.export_scenario("baseline", tmp_path / "b.json")
    assert main(["import", str(tmp_path / "b.json"), "--name", "copy", "--as", "vic",
                 "--database-url", sqlite_url]) == 2
    assert "'vic' may not save scenario 'copy'" in capsys.readouterr().err


def test_on_a_terminal_the_password_is_prompted_twice(sqlite_url: str,
                                                       monkeypatch: pytest.MonkeyPatch,
                                                       capsys: pytest.CaptureFixture[str]
                                                       ) -> None:
    import getpass

    class Terminal(io.StringIO):
        def isatty(self) -> bool:
            return True

    monkeypatch.delenv("NEXUS_USER", raising=False)
    monkeypatch.setattr(sys, "stdin", Terminal(""))
    typed = iter([SECRET, SECRET + "!", SECRET, SECRET])
    monkeypatch.setattr(getpass, "getpass", lambda prompt: next(typed))
    url = ["--database-url", sqlite_url]
    assert main(["users", "add", "ann", "--role", "editor", *url]) == 2
    assert capsys.readouterr().err == ("nexus-panel users: the two passwords differ: nothing "
                                       "was changed\n")
    assert main(["users", "add", "ann", "--role", "editor", *url]) == 0
    with ScenarioStore(sqlite_url) as store:
        assert store.authenticate("ann", SECRET) is not None


def _bootstrap(url: str, **env: str) -> subprocess.CompletedProcess[str]:
    clean = {k: v for k, v in os.environ.items() if not k.startswith("NEXUS_ADMIN")}
    return subprocess.run([sys.executable, "-m", "nexus_panel.cli", "users", "bootstrap",
                           "--database-url", url], capture_output=True, text=True,
                          env={**clean, **env}, check=False, timeout=120)


def test_bootstrap_adds_the_first_admin_once(sqlite_url: str, tmp_path: Path) -> None:
    missing = _bootstrap(sqlite_url)
    assert missing.returncode != 0 and "NEXUS_ADMIN_USER" in missing.stderr
    weak = _bootstrap(sqlite_url, NEXUS_ADMIN_USER="root", NEXUS_ADMIN_PASSWORD="short")
    assert weak.returncode != 0 and "password" in weak.stderr and "short" not in weak.stderr
    secret = tmp_path / "admin-password"
    secret.write_text(SECRET + "\n")
    first = _bootstrap(sqlite_url, NEXUS_ADMIN_USER="root",
                       NEXUS_ADMIN_PASSWORD_FILE=str(secret))
    assert first.returncode == 0, first.stderr
    assert first.stdout == "added the first admin root (admin)\n"
    again = _bootstrap(sqlite_url, NEXUS_ADMIN_USER="other", NEXUS_ADMIN_PASSWORD=SECRET)
    assert again.returncode == 0 and "accounts exist already" in again.stdout
    with ScenarioStore(sqlite_url) as store:
        assert [(u.name, u.role) for u in store.users()] == [("root", "admin")]
        assert store.authenticate("root", SECRET) is not None
        assert store.bootstrap_admin("late", SECRET) is None
    unreadable = _bootstrap(sqlite_url.replace("nexus.db", "new.db"), NEXUS_ADMIN_USER="a",
                            NEXUS_ADMIN_PASSWORD_FILE=str(tmp_path / "nope"))
    assert unreadable.returncode != 0 and "NEXUS_ADMIN_PASSWORD_FILE" in unreadable.stderr
