"""``nexus-panel live``: the interfaces outside checks use, and a producer killed with
SIGKILL replaced by a standby process from its checkpoint (real PostgreSQL)."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pytest

from nexus_panel.engine import simulate
from nexus_panel.engine.kernel import COLUMNS
from nexus_panel.models import Scenario
from nexus_panel.storage import ScenarioStore
from nexus_panel.storage.live_runs import LiveStore

ROOT = Path(__file__).resolve().parents[2]
SCENARIO = {"name": "cli live", "params": {"num_steps": 400},
            "inputs": {"C_cons": {"kind": "random_walk", "initial": 60, "volatility": 3,
                                  "seed": 3}},
            "alerts": [{"metric": "N", "below": 1000, "clear": 1001, "min_steps": 2,
                        "severity": "critical"}]}


def cli(url: str, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "nexus_panel.cli", "live", *args,
                           "--database-url", url], capture_output=True, text=True,
                          cwd=ROOT, check=False, timeout=300)


def spawn(url: str, *args: str) -> subprocess.Popen[str]:
    return subprocess.Popen([sys.executable, "-m", "nexus_panel.cli", "live", *args,
                             "--database-url", url], stdout=subprocess.PIPE,
                            stderr=subprocess.STDOUT, text=True, cwd=ROOT)


def write(tmp_path: Path, data: dict[str, object]) -> Path:
    path = tmp_path / "live.json"
    path.write_text(json.dumps(data))
    return path


def test_start_status_alerts_stop(sqlite_url: str, tmp_path: Path) -> None:
    path = write(tmp_path, SCENARIO)
    done = cli(sqlite_url, "start", str(path), "--name", "cli", "--steps-per-second", "1000")
    assert done.returncode == 0, done.stderr
    assert "finished at step 400" in done.stdout
    status = json.loads(cli(sqlite_url, "status", "cli", "--json").stdout)
    final_n = float(simulate(Scenario.from_dict({k: v for k, v in SCENARIO.items()
                                                 if k != "alerts"})).frame["N"].iloc[-1])
    assert status["step"] == 400 and status["state"] == "finished"
    assert status["N"] == pytest.approx(final_n, rel=1e-12)
    alerts = json.loads(cli(sqlite_url, "alerts", "cli", "--json").stdout)
    assert alerts and {"rule", "state", "step"} <= set(alerts[0])
    assert alerts[0]["rule"] == "N below 1000" and alerts[0]["state"] == "pending"
    stopped = cli(sqlite_url, "stop", "cli")
    assert stopped.returncode == 2 and "finished: it cannot stop" in stopped.stderr
    # the history is an ordinary run: exported, imported, stored, the batch run exactly
    out = tmp_path / "history.json"
    exported = cli(sqlite_url, "export", "cli", "--out", str(out))
    assert exported.returncode == 0, exported.stderr
    imported = subprocess.run([sys.executable, "-m", "nexus_panel.cli", "import", str(out),
                               "--database-url", sqlite_url], capture_output=True, text=True,
                              cwd=ROOT, check=False, timeout=300)
    assert imported.returncode == 0, imported.stderr
    with ScenarioStore(sqlite_url) as store:
        run = store.load_run(store.runs("live cli")[0].id)
    batch = simulate(Scenario.from_dict({k: v for k, v in SCENARIO.items() if k != "alerts"}))
    assert np.array_equal(run.frame[list(COLUMNS)].to_numpy(),
                          batch.frame[list(COLUMNS)].to_numpy(), equal_nan=True)
    assert run.summary == batch.summary


def test_bad_live_files_and_flags_name_the_field(sqlite_url: str, tmp_path: Path) -> None:
    bad = write(tmp_path, {**SCENARIO, "alerts": [{"metric": "N", "above": 1, "clear": 5}]})
    out = cli(sqlite_url, "start", str(bad), "--name", "x", "--steps-per-second", "0.5")
    assert out.returncode == 2
    assert "alerts[0].clear = 5" in out.stderr and "--steps-per-second = 0.5" in out.stderr
    assert "no live run named 'x'" in cli(sqlite_url, "status", "x").stderr


def test_a_killed_producer_is_replaced_by_a_standby(pg_url: str, tmp_path: Path) -> None:
    data = {**SCENARIO, "params": {"num_steps": 200_000}}
    path = write(tmp_path, data)
    args = ("start", str(path), "--name", "ha", "--steps-per-second", "500")
    first = spawn(pg_url, *args)
    second = None
    try:
        with ScenarioStore(pg_url) as store:
            live = LiveStore(store)
            deadline = time.monotonic() + 120
            while not any(r.name == "ha" and r.step > 0 for r in live.runs()):
                assert time.monotonic() < deadline and first.poll() is None
                time.sleep(0.1)
            second = spawn(pg_url, *args)
            assert second.stdout is not None
            assert "standing by" in second.stdout.readline()
            assert live.get("ha").producer is not None
            os.kill(first.pid, signal.SIGKILL)  # no checkpoint, no release: it is gone
            killed_at, stuck = time.monotonic(), live.get("ha").step
            while live.get("ha").step <= stuck:  # the issue: another takes over within 10 s
                assert time.monotonic() - killed_at < 10, "no takeover within 10 s"
                time.sleep(0.05)
            resumed = live.get("ha").step
            while live.get("ha").step <= resumed + 100:
                time.sleep(0.05)
            live.control("ha", "stop")
            assert second.wait(60) == 0
            info = live.get("ha")
            history = live.history("ha")
        assert info.status == "stopped" and history.shape[0] == info.step > stuck
        expected = simulate(Scenario.from_dict({k: v for k, v in data.items()
                                                if k != "alerts"})).frame
        assert np.array_equal(history, expected[list(COLUMNS)].to_numpy()[:info.step],
                              equal_nan=True)  # no gap, no duplicate, no jump
    finally:
        for proc in (first, second):
            if proc is not None and proc.poll() is None:
                proc.kill()
            if proc is not None:
                proc.wait(30)
                if proc.stdout:
                    proc.stdout.close()
