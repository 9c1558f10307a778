"""One serializer for a run: ``nexus-panel run --out``, the web export and the store's
bundle write the same document with one NaN encoding, and every export that carries the
scenario (JSON, Parquet) comes back through ``nexus-panel import`` and the Import page."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from nexus_panel.cli import main
from nexus_panel.engine import simulate
from nexus_panel.models import Scenario
from nexus_panel.session import ScenarioSession
from nexus_panel.storage import ScenarioStore
from nexus_panel.views.transfer import TransferView
from nexus_panel.views.transfer_formats import export_bytes, import_bytes

SCENARIO = {"name": "round trip", "params": {"num_steps": 40, "alpha": 1.2}}


@pytest.fixture
def scenario_file(tmp_path: Path) -> Path:
    path = tmp_path / "s.json"
    path.write_text(json.dumps(SCENARIO))
    return path


def without_time(doc: dict) -> dict:
    return {k: v for k, v in doc.items() if k != "exported_at"}


def test_cli_web_and_store_write_the_same_document(scenario_file: Path, tmp_path: Path,
                                                   db_url: str) -> None:
    out = tmp_path / "cli.json"
    assert main(["run", str(scenario_file), "--out", str(out), "--no-cache"]) == 0
    cli = json.loads(out.read_text())
    result = simulate(Scenario.from_dict(SCENARIO))
    web = json.loads(export_bytes(result, "json"))
    assert without_time(cli) == without_time(web)
    assert cli["runs"][0]["data"]["I"][-1] == "nan"  # not null, not NaN

    with ScenarioStore(db_url) as store:
        record = store.save(Scenario.from_dict(SCENARIO))
        store.run(record)
        bundle = store.export_bundle(record)
    assert set(bundle) == set(cli)
    assert bundle["scenario"] == cli["scenario"]
    stored_run, cli_run = bundle["runs"][0], cli["runs"][0]
    assert set(cli_run) <= set(stored_run)  # the store adds provenance, nothing else
    assert {k: stored_run[k] for k in cli_run} == cli_run


@pytest.mark.parametrize("suffix", [".json", ".parquet"])
def test_cli_exports_import_back_with_their_run(suffix: str, scenario_file: Path,
                                               tmp_path: Path, sqlite_url: str,
                                               capsys: pytest.CaptureFixture[str]) -> None:
    out = tmp_path / f"run{suffix}"
    assert main(["run", str(scenario_file), "--out", str(out)]) == 0
    db = ["--database-url", sqlite_url]
    assert main(["import", str(out), *db]) == 0
    assert "imported round trip@1 (new revision) with 1 run(s)" in capsys.readouterr().out
    expected = simulate(Scenario.from_dict(SCENARIO))
    with ScenarioStore(sqlite_url) as store:
        (run,) = store.runs(store.get("round trip").id, 1)
        assert store.load_run(run.id).frame["N"].tolist() == expected.frame["N"].tolist()


@pytest.mark.parametrize("fmt", ["json", "parquet"])
def test_the_import_page_reads_every_export_that_carries_the_scenario(fmt: str) -> None:
    result = simulate(Scenario.from_dict(SCENARIO))
    parsed = import_bytes(export_bytes(result, fmt))
    assert parsed.scenario.content_hash() == result.content_hash
    assert parsed.scenario.name == "round trip"

    view = TransferView(session=ScenarioSession())
    view.param.update(upload_name=f"run.{fmt}", upload=export_bytes(result, fmt))
    assert view.message_kind == "success", view.message
    assert view.session.scenario.params.alpha == 1.2


def test_a_broken_parquet_upload_names_the_file() -> None:
    from nexus_panel.models import ValidationError

    with pytest.raises(ValidationError) as caught:
        import_bytes(b"PAR1 but not really", "mine.parquet")
    assert caught.value.errors[0].value == "mine.parquet"
