"""``nexus-panel feeds`` and ``nexus-panel run`` with feeds: the interfaces outside checks
use, exactly (exit codes, the JSON of ``fetch``, a refused URL naming ``url``)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from feed_server import FeedServer

from nexus_panel.cli import main


def _cli(url: str, *args: str, user: str | None = None) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if k != "NEXUS_USER"}
    if user is not None:
        env["NEXUS_USER"] = user
    return subprocess.run([sys.executable, "-m", "nexus_panel.cli", *args,
                           "--database-url", url], capture_output=True, text=True, env=env,
                          check=False, timeout=120)


def test_allow_add_fetch_json(sqlite_url: str, server: FeedServer) -> None:
    allowed = _cli(sqlite_url, "feeds", "allow", f"127.0.0.1:{server.port}")
    assert allowed.returncode == 0, allowed.stderr
    added = _cli(sqlite_url, "feeds", "add", "prices", "--url", f"{server.base}/good.csv",
                 "--time-column", "time", "--value-column", "value")
    assert added.returncode == 0, added.stderr
    fetched = _cli(sqlite_url, "feeds", "fetch", "prices", "--json")
    assert fetched.returncode == 0, fetched.stderr
    out = json.loads(fetched.stdout)
    assert set(out) == {"snapshot", "rows", "sha256"}
    assert out["rows"] == 100 and len(out["sha256"]) == 64 and out["snapshot"] == 1


@pytest.mark.parametrize("url", ["http://10.0.0.1/data.csv", "http://169.254.169.254/x",
                                 "ftp://127.0.0.1/x.csv", "http://127.0.0.1:1/x.csv"])
def test_a_refused_url_exits_2_naming_url(sqlite_url: str, url: str) -> None:
    done = _cli(sqlite_url, "feeds", "add", "bad", "--url", url, "--time-column", "time",
                "--value-column", "value")
    assert done.returncode == 2
    assert done.stderr.count("\n") == 1 and " url = " in done.stderr, done.stderr


def test_a_redirect_refused_at_fetch_exits_2_naming_url(sqlite_url: str,
                                                        server: FeedServer) -> None:
    assert main(["feeds", "allow", f"127.0.0.1:{server.port}",
                 "--database-url", sqlite_url]) == 0
    assert main(["feeds", "add", "r", "--url", f"{server.base}/redirect?to=http://10.0.0.1/",
                 "--database-url", sqlite_url]) == 0
    done = _cli(sqlite_url, "feeds", "fetch", "r", "--json")
    assert done.returncode == 2 and " url = 'http://10.0.0.1/'" in done.stderr
    assert done.stdout == ""


def test_file_feed_list_show_and_run_naming_the_snapshot(
        sqlite_url: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    data = tmp_path / "h.json"
    data.write_text(json.dumps([{"t": t, "h": 90 + t} for t in range(50)]))
    db = ["--database-url", sqlite_url]
    assert main(["feeds", "add", "hum", "--file", str(data), "--time-column", "t",
                 "--value-column", "h", *db]) == 0
    assert main(["feeds", "fetch", "hum", *db]) == 0
    assert "stored snapshot 1 (50 rows" in capsys.readouterr().out
    assert main(["feeds", "list", "--json", *db]) == 0
    assert json.loads(capsys.readouterr().out) == [
        {"name": "hum", "source": "file", "revision": 1, "last_error": "", "snapshot": 1}]
    assert main(["feeds", "show", "hum", *db]) == 0
    assert "snapshot 1: " in capsys.readouterr().out
    scenario = tmp_path / "s.json"
    scenario.write_text(json.dumps({"params": {"num_steps": 40, "delta_t": 1.0}, "inputs": {
        "H": {"kind": "feed", "feed": "hum", "column": "h", "method": "linear"}}}))
    assert main(["run", str(scenario), "--no-cache", *db]) == 0
    out = capsys.readouterr().out
    assert "feed H: 'hum' column 'h', snapshot 1 (sha256 " in out


def test_roles_on_the_command_line(sqlite_url: str, tmp_path: Path) -> None:
    added = subprocess.run([sys.executable, "-m", "nexus_panel.cli", "users", "add", "ed",
                            "--role", "editor", "--database-url", sqlite_url],
                           input="a long enough secret\n", capture_output=True, text=True,
                           check=False, timeout=120)
    assert added.returncode == 0, added.stderr
    refused = _cli(sqlite_url, "feeds", "allow", "data.example", user="ed")
    assert refused.returncode == 2 and "'ed' may not allowlist" in refused.stderr
    (tmp_path / "x.csv").write_text("time,value\n0,1\n")
    assert _cli(sqlite_url, "feeds", "add", "x", "--file", str(tmp_path / "x.csv"),
                user="ed").returncode == 0
