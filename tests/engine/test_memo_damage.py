"""A damaged disk memo (cache.db or the locks' database corrupted or truncated) is moved
aside and a fresh one started, with one warning, instead of disabling the memo until
someone deletes the folder."""

from __future__ import annotations

import logging
from pathlib import Path

import pytest

from nexus_panel import EngineParams, Scenario, simulate
from nexus_panel.engine import memo
from nexus_panel.engine.memo import cached_simulate, memo_dir, memo_stats

SCENARIOS = [Scenario(params=EngineParams(num_steps=20, alpha=0.5 + i / 1000))
             for i in range(120)]
"""Enough entries that the results database spans many pages (for interior damage)."""
PAGE = 4096


def _close_this_process_memo() -> None:
    """What a restart does: no open handle keeps the old pages in memory."""
    for results, locks in memo._CACHES.values():
        results.close()
        locks.close()
    memo._CACHES.clear()
    memo._OPENED.clear()


def _garbage(path: Path) -> None:
    path.write_bytes(b"this is not a database " * 200)


def _truncated(path: Path) -> None:
    path.write_bytes(path.read_bytes()[: path.stat().st_size // 3])


def _interior(path: Path) -> None:
    """The header is intact (opening works); pages further in are overwritten, so the
    damage shows only when a lookup reads them."""
    raw = bytearray(path.read_bytes())
    for offset in range(4 * PAGE, len(raw) - PAGE, PAGE):
        raw[offset:offset + PAGE] = b"\xff" * PAGE
    path.write_bytes(bytes(raw))


DAMAGE = {
    "results_garbage": ("cache.db", _garbage),
    "results_truncated": ("cache.db", _truncated),
    "results_interior_pages": ("cache.db", _interior),
    "locks_garbage": ("locks/cache.db", _garbage),
}


@pytest.mark.parametrize("damage", list(DAMAGE))
def test_a_damaged_memo_is_moved_aside_and_a_fresh_one_used(
        damage: str, caplog: pytest.LogCaptureFixture) -> None:
    count = len(SCENARIOS) if damage == "results_interior_pages" else 1
    for scenario in SCENARIOS[:count]:
        cached_simulate(scenario)
    _close_this_process_memo()
    where, spoil = DAMAGE[damage]
    spoil(memo_dir() / where)
    probe = SCENARIOS[count // 2]
    with caplog.at_level(logging.WARNING, logger="nexus_panel.engine.memo"):
        result = cached_simulate(probe)
        computed = memo_stats()["computed"]
        again = cached_simulate(probe)  # the fresh memo works: a hit, no new warning
    assert result.frame.equals(simulate(probe).frame)
    assert again.frame.equals(result.frame)
    assert memo_stats()["computed"] == computed
    warnings = [r.getMessage() for r in caplog.records]
    assert len(warnings) == 1, warnings
    assert warnings[0].startswith(f"disk memo at {memo_dir()} was damaged (")
    assert "moved it to" in warnings[0] and "started a fresh one" in warnings[0]
    aside = [p.name for p in memo_dir().parent.iterdir() if p.name != "memo"]
    assert len(aside) == 1 and aside[0].startswith("memo.damaged-")
    assert (memo_dir().parent / aside[0] / where).exists()  # kept for a post-mortem


def test_repeated_damage_keeps_only_the_newest_damaged_copy(
        caplog: pytest.LogCaptureFixture) -> None:
    for _ in range(3):
        cached_simulate(SCENARIOS[0])
        _close_this_process_memo()
        _garbage(memo_dir() / "cache.db")
        with caplog.at_level(logging.WARNING, logger="nexus_panel.engine.memo"):
            cached_simulate(SCENARIOS[0])
    assert sum("was damaged" in r.getMessage() for r in caplog.records) == 3
    assert len([p for p in memo_dir().parent.iterdir() if ".damaged-" in p.name]) == 1


def test_an_unusable_path_is_not_damage(tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    """Only damage moves the folder: an unusable path keeps the old behaviour."""
    blocker = tmp_path / "file"
    blocker.write_text("not a directory")
    with caplog.at_level(logging.WARNING, logger="nexus_panel.engine.memo"):
        cached_simulate(SCENARIOS[0], directory=blocker / "memo")
    assert any("is unusable" in r.getMessage() for r in caplog.records)
    assert blocker.read_text() == "not a directory"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["file"]
