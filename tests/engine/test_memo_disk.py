"""The disk memo: computed once across processes, never stale, never poisoned by a bad entry."""

from __future__ import annotations

import json
import logging
import os
import subprocess
import sys
import time
from pathlib import Path

import diskcache
import numpy as np
import pytest

import nexus_panel
from nexus_panel import Scenario, simulate
from nexus_panel.engine import ENGINE_VERSION
from nexus_panel.engine.memo import cached_simulate, memo_dir, memo_key, memo_stats
from nexus_panel.models import KINDS, EngineParams, Signal, ValidationError

ROOT = Path(nexus_panel.__file__).resolve().parents[1]

# Off target, so the controller (and its limit) act and every parameter moves the numbers.
SMALL = Scenario(name="small", params=EngineParams(num_steps=50, N_initial=500.0))


def same_run(a: nexus_panel.SimulationResult, b: nexus_panel.SimulationResult) -> bool:
    return a.summary == b.summary and a.frame.equals(b.frame) and a.warnings == b.warnings


def test_hit_returns_the_same_numbers_with_the_callers_name() -> None:
    first = cached_simulate(SMALL)
    computed = memo_stats()["computed"]
    renamed = SMALL.copy(name="other name", description="notes")
    again = cached_simulate(renamed)
    assert memo_stats()["computed"] == computed  # served from disk
    assert same_run(first, again)
    assert again.scenario.name == "other name"
    assert again.scenario.description == "notes"
    assert again.content_hash == SMALL.content_hash()
    again.frame.loc[0, "N"] = -1.0  # a returned frame is the caller's own, writable copy
    assert cached_simulate(SMALL).frame["N"][0] == 500.0


def test_memo_lives_in_NEXUS_CACHE_DIR(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("NEXUS_CACHE_DIR", str(tmp_path / "c"))
    cached_simulate(SMALL)
    assert memo_dir() == tmp_path / "c" / "memo"
    with diskcache.Cache(str(memo_dir())) as cache:
        assert memo_key(SMALL) in cache
        assert memo_key(SMALL).startswith(f"{ENGINE_VERSION}:")


def _variants() -> list[tuple[str, Scenario]]:
    """The base scenario with one parameter or one signal setting changed, each."""
    out = []
    base = SMALL.to_dict()
    for name in EngineParams.names():
        if name == "num_steps":
            value = 51
        else:
            p = EngineParams.param[name]
            value = base["params"][name] * 1.1 + 0.01
            value = min(value, p.bounds[1])
        data = json.loads(json.dumps(base))
        data["params"][name] = value
        out.append((f"params.{name}", Scenario.from_dict(data)))
    for kind in KINDS:
        data = json.loads(json.dumps(base))
        data["inputs"]["H"] = Signal(kind=kind, value=101.0).to_dict()
        out.append((f"H kind {kind}", Scenario.from_dict(data)))
    for name, value in (("seed", 43), ("volatility", 6.0), ("initial", 90.0)):
        data = json.loads(json.dumps(base))
        data["inputs"]["M"] = {"kind": "random_walk", name: value}
        out.append((f"M walk {name}", Scenario.from_dict(data)))
    return out


def test_changing_any_parameter_or_signal_never_returns_the_old_result() -> None:
    cached_simulate(SMALL)
    variants = _variants()
    for label, scenario in variants:
        got = cached_simulate(scenario)
        assert same_run(got, simulate(scenario)), label
        assert not same_run(got, simulate(SMALL)), label
    # and each is now a hit of its own
    for label, scenario in variants:
        assert same_run(cached_simulate(scenario), simulate(scenario)), label


def _store(blob: object, scenario: Scenario = SMALL) -> None:
    with diskcache.Cache(str(memo_dir())) as cache:
        cache.set(memo_key(scenario), blob)


@pytest.mark.parametrize("damage", ["garbage", "truncated", "other_scenario",
                                    "old_engine", "not_bytes"])
def test_corrupt_entry_is_recomputed_and_logged(damage: str,
                                               caplog: pytest.LogCaptureFixture) -> None:
    good = cached_simulate(SMALL)
    blob = good.to_bytes()
    other = simulate(Scenario(params=EngineParams(num_steps=50, alpha=2.0)))
    old = simulate(SMALL)
    old.engine_version = "0"
    _store({"garbage": b"not a result" * 10, "truncated": blob[: len(blob) // 2],
            "other_scenario": other.to_bytes(), "old_engine": old.to_bytes(),
            "not_bytes": 12345}[damage])
    with caplog.at_level(logging.WARNING, logger="nexus_panel.engine.memo"):
        again = cached_simulate(SMALL)
    assert same_run(again, simulate(SMALL))
    assert any("corrupt" in r.getMessage() for r in caplog.records)
    caplog.clear()
    with caplog.at_level(logging.WARNING, logger="nexus_panel.engine.memo"):
        assert same_run(cached_simulate(SMALL), good)  # the entry was repaired
    assert not caplog.records


def test_unusable_cache_directory_still_runs(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                            caplog: pytest.LogCaptureFixture) -> None:
    blocker = tmp_path / "file"
    blocker.write_text("not a directory")
    monkeypatch.setenv("NEXUS_CACHE_DIR", str(blocker))
    with caplog.at_level(logging.WARNING, logger="nexus_panel.engine.memo"):
        result = cached_simulate(SMALL)
    assert same_run(result, simulate(SMALL))
    assert any("unusable" in r.getMessage() for r in caplog.records)


def test_size_limit_evicts_least_recently_used(tmp_path: Path,
                                               monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("NEXUS_CACHE_DIR", str(tmp_path / "small"))
    monkeypatch.setenv("NEXUS_CACHE_SIZE_MB", "1")
    scenarios = [Scenario(params=EngineParams(num_steps=5000, alpha=a))
                 for a in np.linspace(0.5, 1.5, 12)]
    entry_size = len(simulate(scenarios[0]).to_bytes())
    assert entry_size > 100_000  # so 12 entries are well over 1 MB
    for scenario in scenarios:
        cached_simulate(scenario)
    stats = memo_stats()
    assert stats["size_limit"] == 2**20
    assert stats["volume"] < 2**20 + 2 * entry_size
    assert stats["entries"] < len(scenarios)
    with diskcache.Cache(str(memo_dir())) as cache:
        assert memo_key(scenarios[-1]) in cache  # the newest survives
        assert memo_key(scenarios[0]) not in cache  # the oldest went first


@pytest.mark.parametrize("raw", ["inf", "1e400", "nan", "-5", "lots"])
def test_a_bad_size_setting_falls_back_to_the_default_and_still_caches(
        raw: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """NEXUS_CACHE_SIZE_MB=inf parses as a float but is no size: it must fall back to the
    default (logged), not turn the memo off or make memo_stats() raise OverflowError."""
    monkeypatch.setenv("NEXUS_CACHE_DIR", str(tmp_path / f"size-{raw}"))
    monkeypatch.setenv("NEXUS_CACHE_SIZE_MB", raw)
    scenario = Scenario(params=EngineParams(num_steps=50))
    cached_simulate(scenario)
    stats = memo_stats()
    assert stats["size_limit"] == 1024 * 2**20
    assert stats["entries"] == 1


def test_bad_scenario_raises_before_touching_the_cache() -> None:
    with pytest.raises(ValidationError):
        cached_simulate(Scenario.from_dict({"params": {"kappa": -1}}))
    assert not memo_dir().exists()


CHILD = """
import os, sys, time
from pathlib import Path
from nexus_panel.engine import memo
from nexus_panel.models import Scenario

marker, ready, go, scenario_file = map(Path, sys.argv[1:5])
real_simulate = memo.simulate

def counted_slow_simulate(scenario):
    # Count every real computation, and make it slow enough that a second process
    # arriving without the lock would certainly start its own.
    with open(marker, "a") as out:
        out.write(f"{os.getpid()}\\n")
    time.sleep(1.0)
    return real_simulate(scenario)

memo.simulate = counted_slow_simulate
scenario = Scenario.from_json(scenario_file.read_text())
(ready / str(os.getpid())).touch()
while not go.exists():
    time.sleep(0.002)
print(repr(memo.cached_simulate(scenario).final_N))
"""


def _start_children(tmp_path: Path, count: int) -> tuple[list[subprocess.Popen[str]], Path]:
    marker, ready, go = tmp_path / "computes", tmp_path / "ready", tmp_path / "go"
    ready.mkdir()
    scenario_file = tmp_path / "scenario.json"
    scenario_file.write_text(Scenario(params=EngineParams(num_steps=2000, alpha=1.3)).to_json())
    env = dict(os.environ, PYTHONPATH=str(ROOT))
    children = [subprocess.Popen([sys.executable, "-c", CHILD, str(marker), str(ready),
                                  str(go), str(scenario_file)],
                                 env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                                 text=True) for _ in range(count)]
    deadline = time.monotonic() + 60
    while len(list(ready.iterdir())) < count:
        assert time.monotonic() < deadline, "children did not start"
        assert all(c.poll() is None for c in children), [c.communicate() for c in children]
        time.sleep(0.01)
    go.touch()  # release both at the same instant
    return children, marker


def test_two_concurrent_processes_compute_once(tmp_path: Path) -> None:
    children, marker = _start_children(tmp_path, 2)
    outputs = []
    for child in children:
        out, err = child.communicate(timeout=120)
        assert child.returncode == 0, err
        outputs.append(out.strip())
    assert len(marker.read_text().split()) == 1  # one computation for two processes
    expected = simulate(Scenario(params=EngineParams(num_steps=2000, alpha=1.3))).final_N
    assert outputs == [repr(expected)] * 2


def test_a_lock_left_by_a_dead_process_lapses(monkeypatch: pytest.MonkeyPatch) -> None:
    from nexus_panel.engine import memo

    monkeypatch.setattr(memo, "LOCK_EXPIRE", 0.3)
    with diskcache.Cache(str(memo_dir() / "locks"), eviction_policy="none") as locks:
        # what a process killed mid-computation leaves behind
        assert locks.add(f"lock:{memo_key(SMALL)}", None, expire=0.3)
    assert same_run(cached_simulate(SMALL), simulate(SMALL))  # waits, then proceeds
