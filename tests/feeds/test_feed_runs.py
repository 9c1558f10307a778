"""The ``feed`` signal kind in runs: aligned values, the domain policy with its warning,
pinned snapshots, and a stored run reproduced bit for bit after the source changed."""

from __future__ import annotations

import base64
from pathlib import Path

import numpy as np
import pytest
import sqlalchemy as sa

from nexus_panel.engine import simulate
from nexus_panel.feeds import series as loaded_series
from nexus_panel.feeds import snapshots
from nexus_panel.feeds.store import FeedStore
from nexus_panel.models import EngineParams, Inputs, Scenario, ValidationError
from nexus_panel.storage import ScenarioStore, StorageError


def _write(path: Path, rows: list[tuple[float, float]]) -> None:
    path.write_text("time,level\n" + "".join(f"{t!r},{v!r}\n" for t, v in rows))


def _scenario(name: str = "fed", **signal: object) -> Scenario:
    spec = {"kind": "feed", "feed": "levels", "column": "level", **signal}
    return Scenario(name=name, params=EngineParams(num_steps=400, delta_t=0.5),
                    inputs=Inputs.from_dict({"H": spec}))


@pytest.fixture
def csv(tmp_path: Path, feeds: FeedStore) -> Path:
    path = tmp_path / "levels.csv"
    _write(path, [(float(t), 80.0 + (t % 7)) for t in range(0, 300, 3)])
    feeds.add("levels", {"source": "file", "path": str(path),
                         "value_columns": ["level"]})
    return path


def test_a_feed_input_reads_its_pinned_snapshot_aligned(feeds: FeedStore, csv: Path) -> None:
    snap = feeds.fetch("levels")
    pinned = feeds.pin(_scenario(method="linear"))
    signal = pinned.inputs.H
    assert (signal.snapshot, signal.sha256) == (snap.id, snap.sha256)
    values = simulate(pinned).frame["H"].to_numpy()[:-1]
    times = np.arange(0, 300, 3.0)
    expected = np.interp(np.arange(400) * 0.5, times, 80.0 + (times % 7))
    assert np.array_equal(values, expected)


def test_an_unpinned_feed_cannot_run_and_an_unfetched_one_cannot_pin(
        feeds: FeedStore, csv: Path) -> None:
    with pytest.raises(ValidationError, match=r"inputs\.H\.sha256 = ''"):
        simulate(_scenario())
    with pytest.raises(ValidationError, match=r"inputs\.H\.feed = 'levels' \(allowed: a "
                                              "feed with a snapshot"):
        feeds.pin(_scenario())


def test_values_outside_the_domain_are_refused_or_clipped_with_a_warning(
        feeds: FeedStore, tmp_path: Path) -> None:
    path = tmp_path / "e.csv"
    _write(path, [(0.0, 0.5), (10.0, 1.4), (20.0, 0.2)])
    feeds.add("env", {"source": "file", "path": str(path), "value_columns": ["level"]})
    feeds.fetch("env")
    spec = {"kind": "feed", "feed": "env", "column": "level"}
    scenario = feeds.pin(Scenario(params=EngineParams(num_steps=30, delta_t=1.0),
                                  inputs=Inputs.from_dict({"E": spec})))
    with pytest.raises(ValidationError, match=r"inputs\.E\.out_of_domain = '1.3999999999999999"
                                              r" at step 10' \(allowed: values in the "
                                              r"input's domain \[0, 1\] \(10 steps"):
        simulate(scenario)
    scenario.inputs.E.out_of_domain = "clip"
    result = simulate(scenario)
    assert result.frame["E"].max() == 1.0
    assert any("Input E: feed 'env' left the domain [0, 1] in 10 of 30 steps" in w
               for w in result.warnings)


def test_a_stored_run_is_reproduced_bit_for_bit_after_the_source_changed(
        store: ScenarioStore, feeds: FeedStore, csv: Path) -> None:
    first = feeds.fetch("levels")
    pinned = feeds.pin(_scenario())
    result = simulate(pinned)
    store.save(pinned, run=result)
    _write(csv, [(float(t), 500.0 - t) for t in range(0, 300, 3)])  # the source moves on
    second = feeds.fetch("levels")
    assert second.sha256 != first.sha256
    loaded_series._LOADED.clear()  # as a new process: nothing held in memory
    _record, again = store.run("fed")
    assert again.to_bytes() == result.to_bytes()
    assert store.load("fed").inputs.H.snapshot == first.id
    latest = simulate(feeds.pin(_scenario()))  # an unpinned scenario takes the latest
    assert latest.scenario.inputs.H.snapshot == second.id
    assert not np.array_equal(latest.frame["H"], result.frame["H"])
    check = store.verify_audit()  # feed events extend the one chain
    assert check.ok and any(e.action == "feed" for e in store.audit_events(limit=None))


def test_saving_an_unpinned_feed_scenario_pins_the_latest_snapshot(
        store: ScenarioStore, feeds: FeedStore, csv: Path) -> None:
    snap = feeds.fetch("levels")
    store.save(_scenario())
    assert store.load("fed").inputs.H.to_dict()["sha256"] == snap.sha256


def test_a_snapshot_damaged_in_the_database_is_refused(
        store: ScenarioStore, feeds: FeedStore, csv: Path) -> None:
    snap = feeds.fetch("levels")
    other = np.arange(100.0)
    blob = snapshots.encode(loaded_series.make_series(other, {"level": other}))
    with store.engine.begin() as conn:
        conn.execute(sa.text("UPDATE feed_snapshots SET data = :d WHERE id = :i"),
                     {"d": blob, "i": snap.id})
    loaded_series._LOADED.clear()
    with pytest.raises(StorageError, match="does not match its sha256"):
        feeds.series(snap.sha256)


def test_bundles_carry_the_snapshots_and_an_import_reproduces_the_run(
        store: ScenarioStore, feeds: FeedStore, csv: Path, tmp_path: Path) -> None:
    snap = feeds.fetch("levels")
    pinned = feeds.pin(_scenario())
    result = simulate(pinned)
    store.save(pinned, run=result)
    bundle = store.export_bundle("fed")
    assert [e["sha256"] for e in bundle["feed_snapshots"]] == [snap.sha256]
    loaded_series._LOADED.clear()
    with ScenarioStore(f"sqlite:///{tmp_path}/other.db") as other:  # no such feed there
        record, runs = other.import_data(bundle)
        assert len(runs) == 1  # verified by running it on the carried snapshot
        assert [s.sha256 for s in FeedStore(other).snapshots("levels")] == [snap.sha256]
        loaded_series._LOADED.clear()
        assert other.run(record.label)[1].to_bytes() == result.to_bytes()
        assert other.import_data(bundle)[1] == runs  # again: nothing new


def test_a_bundle_with_other_data_under_the_pinned_hash_is_refused(
        store: ScenarioStore, feeds: FeedStore, csv: Path, tmp_path: Path) -> None:
    feeds.fetch("levels")
    pinned = feeds.pin(_scenario())
    store.save(pinned, run=simulate(pinned))
    bundle = store.export_bundle("fed")
    other = np.arange(100.0)
    bundle["feed_snapshots"][0]["data"] = base64.b64encode(snapshots.encode(
        loaded_series.make_series(other, {"level": other}))).decode()
    with ScenarioStore(f"sqlite:///{tmp_path}/other.db") as target, \
            pytest.raises(ValidationError, match=r"feed_snapshots\[0\]\.data = .*does not "
                                                 "match its sha256"):
        target.import_data(bundle)
