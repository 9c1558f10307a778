"""Forged imports: imported runs are recomputed, and a file whose numbers are not the
engine's is refused naming the first differing column and step, with nothing saved.

Before, a bundle whose N column was multiplied by 10, or whose final_N said 1e12,
imported as a stored run with the original provenance."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from storage_helpers import count_rows, make_scenario, random_scenario
from test_store_runs import assert_same_result

from nexus_panel.cli import main
from nexus_panel.engine import ENGINE_VERSION, simulate
from nexus_panel.models import ValidationError
from nexus_panel.storage import ScenarioStore, transfer

TABLES = ("scenarios", "scenario_revisions", "runs", "audit_events")


@pytest.fixture
def bundle(store: ScenarioStore) -> dict[str, Any]:
    """An honest bundle: one revision of a scenario with random inputs and one run of it."""
    revision = store.save(random_scenario(num_steps=300))
    store.run(revision)
    data = store.export_bundle("shocks")
    data["scenario"]["name"] = "imported"
    return data


def _refused(store: ScenarioStore, url: str, data: dict[str, Any]) -> ValidationError:
    before = {t: count_rows(url, t) for t in TABLES}
    with pytest.raises(ValidationError) as err:
        store.import_data(data)
    assert {t: count_rows(url, t) for t in TABLES} == before  # nothing saved
    assert not store.exists("imported")
    return err.value


def test_an_honest_bundle_imports_bit_for_bit(store: ScenarioStore,
                                              bundle: dict[str, Any]) -> None:
    _, runs = store.import_data(bundle)
    original = store.runs("shocks")[0]
    assert_same_result(store.load_run(runs[0].id),
                       _renamed(store.load_run(original.id), "imported"))
    assert runs[0].created_at == original.created_at  # the provenance is kept


def _renamed(result: Any, name: str) -> Any:
    result.scenario = result.scenario.copy(name=name)
    return result


def test_a_column_multiplied_by_ten_is_refused_at_its_first_step(
        store: ScenarioStore, db_url: str, bundle: dict[str, Any]) -> None:
    bundle["runs"][0]["data"]["N"] = [v * 10 if isinstance(v, float) else v
                                      for v in bundle["runs"][0]["data"]["N"]]
    error = _refused(store, db_url, bundle)
    assert error.fields == ["runs[0].data.N"]
    assert " at step 0 (t = 0)" in str(error)


def test_one_value_changed_mid_run_is_named_by_column_and_step(
        store: ScenarioStore, db_url: str, bundle: dict[str, Any]) -> None:
    data = bundle["runs"][0]["data"]
    expected = data["B"][137]
    data["B"][137] = expected * (1 + 1e-6)  # a small edit, far beyond rounding
    data["Phi"][200] += 1.0  # a later difference in an earlier column: B@137 comes first
    error = _refused(store, db_url, bundle)
    assert error.fields == ["runs[0].data.B"]
    assert str(error).startswith(f"1 invalid value: runs[0].data.B = {data['B'][137]!r} "
                                 f"(allowed: {expected!r} at step 137 (t = 13.7), the value "
                                 "this engine computes for the file's scenario")


def test_an_invented_summary_figure_is_refused(store: ScenarioStore, db_url: str,
                                               bundle: dict[str, Any]) -> None:
    bundle["runs"][0]["summary"]["final_N"] = 1e12
    error = _refused(store, db_url, bundle)
    assert error.fields == ["runs[0].summary.final_N"]
    assert "1000000000000.0" in str(error)


def test_forged_seeds_are_refused(store: ScenarioStore, db_url: str,
                                  bundle: dict[str, Any]) -> None:
    assert bundle["runs"][0]["seeds"] == {"H": 7}
    bundle["runs"][0]["seeds"] = {"H": 8}
    assert _refused(store, db_url, bundle).fields == ["runs[0].seeds"]


def test_runs_of_another_engine_version_are_refused_or_left_out(
        store: ScenarioStore, db_url: str, bundle: dict[str, Any]) -> None:
    """They cannot be checked by this engine: refused with a way out, never stored."""
    bundle["runs"][0]["engine_version"] = "0"
    error = _refused(store, db_url, bundle)
    assert error.fields == ["runs[0].engine_version"]
    assert f"(allowed: '{ENGINE_VERSION}', this engine's version" in str(error)
    assert "import the scenario without its runs" in str(error)
    revision, runs = store.import_data(bundle, with_runs=False)
    assert (revision.scenario_name, runs, store.runs("imported")) == ("imported", [], [])


def test_forged_files_through_the_command_line(store: ScenarioStore, bundle: dict[str, Any],
                                               tmp_path: Path,
                                               capsys: pytest.CaptureFixture[str],
                                               monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("DATABASE_URL", store.url.render_as_string(hide_password=False))
    bundle["runs"][0]["data"]["cumulative_I"][300] = 0.0
    path = tmp_path / "forged.json"
    path.write_text(json.dumps(bundle))
    assert main(["import", str(path)]) == 2
    err = capsys.readouterr().err
    assert err.startswith("nexus-panel import: 1 invalid value: runs[0].data.cumulative_I = "
                          "0.0 (allowed: ") and " at step 300 (t = 30)" in err
    assert main(["import", str(path), "--without-runs"]) == 0
    assert capsys.readouterr().out.strip() == (
        "imported imported@1 (new revision) with 0 run(s)")


def _parquet(store: ScenarioStore, folder: Path) -> Path:
    run = store.runs("shocks")[0]
    return store.export_run(run.id, folder / "run.parquet")


def test_parquet_run_files_import_only_when_their_numbers_are_the_engines(
        store: ScenarioStore, db_url: str, bundle: dict[str, Any], tmp_path: Path) -> None:
    honest = _parquet(store, tmp_path)
    revision, runs = store.import_file(honest, name="from-parquet")
    assert (revision.scenario_name, revision.message, len(runs)) == (
        "from-parquet", "Imported from a Parquet run file", 1)
    assert_same_result(store.load_run(runs[0].id),
                       _renamed(store.load_run(store.runs("shocks")[0].id), "from-parquet"))
    table = pq.read_table(honest)
    forged = tmp_path / "forged.parquet"
    column = table.column("I").to_pylist()
    column[42] += 0.5
    pq.write_table(table.set_column(table.schema.get_field_index("I"), "I",
                                    pa.array(column)), forged)
    before = {t: count_rows(db_url, t) for t in TABLES}
    with pytest.raises(ValidationError) as err:
        store.import_file(forged, name="forged")
    assert err.value.fields == ["file.data.I"] and " at step 42 " in str(err.value)
    assert {t: count_rows(db_url, t) for t in TABLES} == before


def test_csv_run_files_attach_to_a_named_revision_when_they_match(
        store: ScenarioStore, db_url: str, bundle: dict[str, Any], tmp_path: Path) -> None:
    run = store.runs("shocks")[0]
    honest = store.export_run(run.id, tmp_path / "run.csv")
    with pytest.raises(ValidationError) as err:
        store.import_file(honest)  # a CSV holds no scenario: which revision is it a run of?
    assert err.value.fields == ["revision"]
    revision, runs = store.import_file(honest, revision="shocks@1", message="from a CSV")
    assert (revision.label, revision.created, runs[0].revision) == ("shocks@1", False, 1)
    assert store.load_run(runs[0].id).frame.equals(store.load_run(run.id).frame)
    event = store.audit_events(limit=1)[0]
    assert (event.action, event.details["kind"], event.details["message"]) == (
        "import", "csv", "from a CSV")
    lines = honest.read_text().splitlines()
    cells = lines[1 + 250].split(",")
    cells[1] = repr(float(cells[1]) * 10)  # N at step 250
    lines[1 + 250] = ",".join(cells)
    forged = tmp_path / "forged.csv"
    forged.write_text("\n".join(lines) + "\n")
    before = {t: count_rows(db_url, t) for t in TABLES}
    with pytest.raises(ValidationError) as err:
        store.import_file(forged, revision="shocks")
    assert err.value.fields == ["file.data.N"] and " at step 250 (t = 25)" in str(err.value)
    store.save(make_scenario("other", num_steps=300))
    with pytest.raises(ValidationError) as err:  # the right numbers, for another scenario
        store.import_file(honest, revision="other")
    assert err.value.fields[0].startswith("file.data.")
    assert {t: count_rows(db_url, t) for t in TABLES} == {**before, "scenarios": before[
        "scenarios"] + 1, "scenario_revisions": before["scenario_revisions"] + 1,
        "audit_events": before["audit_events"] + 1}


def test_a_recomputed_run_matches_its_simulation_exactly() -> None:
    """The check is exact on this machine: the engine is deterministic."""
    scenario = random_scenario(num_steps=500)
    first, second = simulate(scenario), simulate(scenario)
    assert first.frame.to_numpy().tobytes() == second.frame.to_numpy().tobytes()
    assert transfer.run_payload(first) == transfer.run_payload(second)
