"""Export and import: JSON bundles (ours), the original app's export, CSV and Parquet;
round trips give back the same scenario and the same results, bit for bit."""

from __future__ import annotations

import json
import os
import time
from datetime import UTC, datetime
from pathlib import Path

import pytest
from storage_helpers import make_scenario, random_scenario
from test_store_runs import assert_same_result

from nexus_panel.cli import main
from nexus_panel.engine import simulate
from nexus_panel.models import ValidationError
from nexus_panel.storage import ScenarioStore, StorageError, transfer


@pytest.fixture
def stored(store: ScenarioStore) -> tuple[ScenarioStore, list[int]]:
    """A scenario with two revisions; revision 2 has two runs (5,000 and 5,000 steps)."""
    store.save(random_scenario(), message="first")
    revision = store.save(random_scenario().copy(description="second try"), message="notes")
    first = store.record_run(revision, simulate(revision.scenario()), duration_s=0.01)
    second, _ = store.run(revision)
    return store, [first.id, second.id]


def test_json_bundle_round_trip_into_another_database(stored: tuple[ScenarioStore, list[int]],
                                                      tmp_path: Path) -> None:
    store, run_ids = stored
    path = store.export_scenario("shocks@2", tmp_path / "shocks.json")
    bundle = json.loads(path.read_text())
    assert (bundle["format"], bundle["revision"]["number"], len(bundle["runs"])) == (
        transfer.FORMAT, 2, 2)
    assert bundle["runs"][0]["data"]["H"][-1] == "nan"  # JSON has no NaN
    with ScenarioStore(f"sqlite:///{tmp_path}/other.db") as other:
        revision, runs = other.import_file(path)
        assert (revision.scenario_name, revision.number, revision.created) == ("shocks", 1, True)
        assert revision.message == "Imported (exported as revision 2: notes)"
        assert other.load("shocks").to_dict() == store.load("shocks").to_dict()
        for original_id, imported in zip(run_ids, runs, strict=True):
            assert_same_result(other.load_run(imported.id), store.load_run(original_id))
            source = store.run_info(original_id)
            assert (imported.duration_s, imported.created_at, imported.numpy_version) == (
                source.duration_s, source.created_at, source.numpy_version)
        # the same file again: content unchanged, so no new revision
        again, runs_again = other.import_file(path)
        assert (again.number, again.created) == (1, False)
        # ... and no second copy of its runs (issue 10.6): only the import is logged
        assert [r.id for r in runs_again] == [r.id for r in runs]
        assert len(other.runs("shocks")) == 2
        assert [e.action for e in other.audit_events()][:2] == ["import", "import"]


def test_import_under_a_new_name_renames_runs_too(stored: tuple[ScenarioStore, list[int]],
                                                  ) -> None:
    store, run_ids = stored
    revision, runs = store.import_data(store.export_bundle("shocks"), name="copy")
    assert revision.scenario_name == "copy"
    loaded = store.load_run(runs[0].id)
    assert loaded.scenario.name == "copy"
    original = store.load_run(run_ids[0])
    assert loaded.frame.to_numpy().tobytes() == original.frame.to_numpy().tobytes()
    assert [e.action for e in store.audit_events(limit=5)][-1] == "export"


def test_original_app_export_imports_as_a_scenario(store: ScenarioStore, tmp_path: Path) -> None:
    original = {
        "parameters": {"alpha": 1.2, "beta": 0.9, "num_steps": 500, "N_target": 1200},
        "signal_configs": {"H": {"type": "sinusoidal", "offset": 100, "amplitude": 20,
                                 "frequency": 0.01},
                           "C_cons": {"type": "step", "initial": 60, "final": 90,
                                      "step_at": 250}},
        "results": {"N": [1000.0, 1001.5], "t": [0.0, 0.1]},
    }
    path = tmp_path / "nexus_export.json"
    path.write_text(json.dumps(original))
    revision, runs = store.import_file(path, name="legacy", message="from the old app")
    assert (revision.scenario_name, revision.message, runs) == ("legacy", "from the old app", [])
    loaded = store.load("legacy")
    assert (loaded.params.alpha, loaded.params.num_steps, loaded.params.N_target) == (
        1.2, 500, 1200.0)
    assert loaded.inputs.H.to_dict() == {"kind": "sinusoidal", "offset": 100.0,
                                         "amplitude": 20.0, "frequency": 0.01}
    assert loaded.inputs.C_cons.step_at == 250
    plain, _ = store.import_data(make_scenario("plain", alpha=2.5).to_dict())
    assert plain.message == "Imported from a scenario file"
    assert store.load("plain").params.alpha == 2.5


def test_a_bad_import_saves_nothing(stored: tuple[ScenarioStore, list[int]]) -> None:
    store, _ = stored
    events = len(store.audit_events(limit=None))
    bundle = store.export_bundle("shocks")
    bundle["scenario"]["name"] = "broken"
    bundle["runs"][1]["data"]["N"] = bundle["runs"][1]["data"]["N"][:-1]
    with pytest.raises(ValidationError, match=r"runs\[1\]\.data"):
        store.import_data(bundle)
    bundle = store.export_bundle("shocks")
    bundle["scenario"]["params"]["alpha"] = 9.0
    with pytest.raises(ValidationError, match=r"params\.alpha = 9\.0"):
        store.import_data(bundle)
    bundle["scenario"]["params"]["alpha"] = 1.0  # valid, but the runs are of alpha 1.3
    with pytest.raises(ValidationError, match=r"runs\[0\]\.content_hash"):
        store.import_data(bundle)
    assert [s.name for s in store.list()] == ["shocks"]
    assert len(store.revisions("shocks")) == 2
    assert len(store.audit_events(limit=None)) == events + 2  # only the two exports


@pytest.mark.parametrize("fmt", ["csv", "parquet"])
def test_results_as_csv_and_parquet_round_trip(stored: tuple[ScenarioStore, list[int]],
                                               tmp_path: Path, fmt: str) -> None:
    store, run_ids = stored
    path = store.export_run(run_ids[0], tmp_path / f"run.{fmt}")
    original = store.load_run(run_ids[0])
    frame = transfer.read_table(path)
    assert frame.to_numpy().tobytes() == original.frame.to_numpy().tobytes()
    if fmt == "parquet":
        assert_same_result(transfer.read_parquet_result(path), original)
    else:
        assert path.read_text().splitlines()[0] == ",".join(original.frame.columns)
    assert store.audit_events(limit=1)[0].details == {"format": fmt}


def test_export_and_import_commands(store: ScenarioStore, db_url: str, tmp_path: Path,
                                    capsys: pytest.CaptureFixture[str],
                                    monkeypatch: pytest.MonkeyPatch) -> None:
    store.save(make_scenario(alpha=1.4))
    monkeypatch.setenv("DATABASE_URL", db_url)
    monkeypatch.chdir(tmp_path)
    assert main(["export", "baseline", "--format", "csv"]) == 2
    assert capsys.readouterr().err.strip() == (
        "nexus-panel export: baseline@1 has no stored run: add --simulate to run and store "
        "it now")
    assert main(["export", "baseline@1", "--format", "csv", "--simulate"]) == 0
    assert capsys.readouterr().out.strip().startswith("wrote baseline-r1.csv: run ")
    assert len(transfer.read_table(tmp_path / "baseline-r1.csv")) == 201
    assert main(["export", "baseline", "-o", "b.json"]) == 0
    assert capsys.readouterr().out.strip() == "wrote b.json: baseline@1 with 1 run(s)"
    assert main(["import", "b.json", "--name", "again", "-m", "copied"]) == 0
    assert capsys.readouterr().out.strip() == "imported again@1 (new revision) with 1 run(s)"
    assert store.revisions("again")[0].message == "copied"
    (tmp_path / "bad.json").write_text("{not json")
    assert main(["import", "bad.json"]) == 2
    err = capsys.readouterr().err
    assert err.startswith("nexus-panel import: 1 invalid value: file = 'bad.json' (allowed: "
                          "valid JSON") and err.count("\n") == 1
    assert main(["export", "missing"]) == 2
    assert capsys.readouterr().err.strip() == "nexus-panel export: no scenario named 'missing'"


def test_junk_in_a_bundle_is_refused_naming_the_field(stored: tuple[ScenarioStore, list[int]],
                                                      tmp_path: Path) -> None:
    """Hand-edited bundles: each bad value is a ValidationError naming it (not an
    AttributeError, a driver error or a value SQLite would store in a float column)."""
    store, _ = stored
    events = len(store.audit_events(limit=None))
    original = store.export_bundle("shocks")

    def short(run: dict) -> None:  # consistent columns, but not num_steps + 1 of them
        run["rows"] -= 1
        for column in run["data"].values():
            column.pop()

    changes = [
        ("revision", lambda b: b.update(revision=[1])),
        ("runs[0].warnings", lambda b: b["runs"][0].update(warnings=5)),
        ("runs[0].duration_s", lambda b: b["runs"][0].update(duration_s="abc")),
        ("runs[1].duration_s", lambda b: b["runs"][1].update(duration_s=-1.0)),
        ("runs[0].numpy_version", lambda b: b["runs"][0].update(numpy_version={"a": 1})),
        ("runs[0].engine_version", lambda b: b["runs"][0].update(engine_version="9" * 41)),
        ("runs[0].seeds", lambda b: b["runs"][0].update(seeds="zz")),
        ("runs[0].data", lambda b: short(b["runs"][0])),
    ]
    for field, change in changes:
        bundle = json.loads(json.dumps(original))
        bundle["scenario"]["name"] = "edited"
        change(bundle)
        with pytest.raises(ValidationError) as err:
            store.import_data(bundle)
        assert err.value.fields == [field]
    for content in (b"\xff\xfe{", "[" * 100_000 + "]" * 100_000):
        path = tmp_path / "bad.json"
        path.write_bytes(content if isinstance(content, bytes) else content.encode())
        with pytest.raises(ValidationError) as err:
            store.import_file(path)
        assert err.value.fields == ["file"]
        assert "\n" not in str(err.value)
    assert [s.name for s in store.list()] == ["shocks"]
    assert len(store.audit_events(limit=None)) == events + 1  # the one export above


def test_export_to_an_unwritable_path_is_one_line_and_leaves_nothing(
        stored: tuple[ScenarioStore, list[int]], tmp_path: Path, db_url: str,
        capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch) -> None:
    store, run_ids = stored
    events = len(store.audit_events(limit=None))
    tmp_path = tmp_path / "out"  # (the SQLite database lives in tmp_path itself)
    tmp_path.mkdir()
    folder = tmp_path / "taken.json"
    folder.mkdir()
    for path in (tmp_path / "no" / "such" / "dir.json", folder):
        with pytest.raises(StorageError, match=r"^cannot write .*: (No such file|Is a dir)"):
            store.export_scenario("shocks", path)
    with pytest.raises(StorageError, match=r"^cannot write"):
        store.export_run(run_ids[0], tmp_path / "missing" / "run.csv")
    assert len(store.audit_events(limit=None)) == events  # nothing exported, nothing logged
    assert sorted(p.name for p in tmp_path.iterdir()) == ["taken.json"]  # no temp files
    assert list(folder.iterdir()) == []
    monkeypatch.setenv("DATABASE_URL", db_url)
    assert main(["export", "shocks", "-o", str(tmp_path / "no" / "x.json")]) == 2
    err = capsys.readouterr().err
    assert err.startswith("nexus-panel export: cannot write ") and err.count("\n") == 1


def test_an_export_replaces_an_old_file_whole(stored: tuple[ScenarioStore, list[int]],
                                              tmp_path: Path) -> None:
    store, run_ids = stored
    tmp_path = tmp_path / "out"
    tmp_path.mkdir()
    path = tmp_path / "run.csv"
    path.write_text("old contents")
    store.export_run(run_ids[0], path)
    assert len(transfer.read_table(path)) == 5001
    assert sorted(p.name for p in tmp_path.iterdir()) == ["run.csv"]
    assert path.stat().st_mode & 0o777 == 0o666 & ~_umask()


def _umask() -> int:
    current = os.umask(0)
    os.umask(current)
    return current


def test_timestamps_without_an_offset_import_as_utc(stored: tuple[ScenarioStore, list[int]],
                                                    monkeypatch: pytest.MonkeyPatch) -> None:
    """A hand-written "2024-01-02T03:04:05" is UTC whatever the server's time zone (it was
    read as local time, shifting the run's provenance by the zone's offset)."""
    store, _ = stored
    bundle = store.export_bundle("shocks")
    bundle["scenario"]["name"] = "naive"
    bundle["runs"][0]["created_at"] = "2024-01-02T03:04:05"
    monkeypatch.setenv("TZ", "Asia/Kolkata")
    time.tzset()
    try:
        _, runs = store.import_data(bundle)
    finally:
        monkeypatch.undo()
        time.tzset()
    assert runs[0].created_at == datetime(2024, 1, 2, 3, 4, 5, tzinfo=UTC)


def test_export_run_must_belong_to_the_named_scenario(
        stored: tuple[ScenarioStore, list[int]], db_url: str, tmp_path: Path,
        capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch) -> None:
    """``export other --run ID`` with a run of another scenario (or of another revision
    than the one named) is refused, instead of writing that run under the wrong label."""
    store, run_ids = stored
    store.save(make_scenario("other"))
    monkeypatch.setenv("DATABASE_URL", db_url)
    monkeypatch.chdir(tmp_path)
    for ref in ("other", "shocks@1"):
        assert main(["export", ref, "--run", str(run_ids[0]), "-o", "r.csv"]) == 2
        assert capsys.readouterr().err.strip() == (
            f"nexus-panel export: run {run_ids[0]} is a run of shocks@2, not of {ref}")
        assert not (tmp_path / "r.csv").exists()
    store.save(random_scenario().copy(description="third"))
    assert main(["export", "shocks", "--run", str(run_ids[1]), "-o", "r.csv"]) == 0
    assert capsys.readouterr().out.strip() == f"wrote r.csv: run {run_ids[1]} of shocks@2"


def test_read_parquet_result_refuses_files_it_did_not_write(
        stored: tuple[ScenarioStore, list[int]], tmp_path: Path) -> None:
    import pyarrow.parquet as pq

    store, run_ids = stored
    good = store.export_run(run_ids[0], tmp_path / "run.parquet")
    table = pq.read_table(good)
    broken = []
    for meta in (b"{not json", b'{"scenario": {}}', b"[1]"):
        path = tmp_path / f"broken{len(broken)}.parquet"
        pq.write_table(table.replace_schema_metadata({transfer.PARQUET_KEY: meta}), path)
        broken.append(path)
    (tmp_path / "text.parquet").write_text("not parquet at all")
    for path in [*broken, tmp_path / "text.parquet", tmp_path]:
        with pytest.raises(ValidationError) as err:
            transfer.read_parquet_result(path)
        assert err.value.fields == ["file"]
