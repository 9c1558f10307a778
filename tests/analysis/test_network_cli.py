"""``nexus-panel network SPEC.json [--json] [--save]`` from a shell's view, and saved
network analyses reopened from SQLite and PostgreSQL without rerunning."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest

from nexus_panel.analysis.network import run_network
from nexus_panel.analysis.network_spec import NetworkSpec
from nexus_panel.analysis.registry import kind_of, restore_result
from nexus_panel.cli import main
from nexus_panel.storage import ScenarioStore

EXAMPLES = Path(__file__).resolve().parents[2] / "examples"
SCENARIO = {"name": "walk", "params": {"num_steps": 300, "K_p": 0.3, "N_initial": 800},
            "inputs": {"H": {"kind": "random_walk", "initial": 100, "volatility": 8,
                             "seed": 3}, "C_cons": {"kind": "step", "final": 90}}}


def write(path: Path, data: object) -> str:
    path.write_text(json.dumps(data), encoding="utf-8")
    return str(path)


def json_out(capsys: pytest.CaptureFixture[str], argv: list[str]) -> dict[str, Any]:
    assert main(argv) == 0
    return json.loads(capsys.readouterr().out)


def test_one_agent_final_total_equals_nexus_panel_run(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """The issue's interface: with one agent, no transfers and no network effect,
    final_total is `nexus-panel run`'s final N of the same scenario."""
    spec = write(tmp_path / "net.json", {"scenario": SCENARIO, "agents": 1,
                                         "graph": {"kind": "barabasi_albert", "m": 3},
                                         "transfer_rate": 0, "network_effect": 0, "seed": 1})
    figures = json_out(capsys, ["network", spec, "--json"])
    assert {"agents", "steps", "final_total", "ledger_residual", "gini_final",
            "seconds"} <= set(figures)
    assert figures["agents"] == 1 and figures["steps"] == 300
    scenario = write(tmp_path / "scenario.json", SCENARIO)
    out = tmp_path / "run.json"
    assert main(["run", scenario, "--no-cache", "--out", str(out)]) == 0
    capsys.readouterr()
    (run,) = json.loads(out.read_text())["runs"]  # the scenario bundle, as every export
    assert figures["final_total"] == run["summary"]["final_N"]


def test_issue_example_spec_and_report(tmp_path: Path,
                                       capsys: pytest.CaptureFixture[str]) -> None:
    spec = write(tmp_path / "net.json", {
        "scenario": {"params": {"num_steps": 200}}, "agents": 1000,
        "graph": {"kind": "barabasi_albert", "m": 3}, "transfer_rate": 0.05,
        "network_effect": 0.1, "seed": 1})
    figures = json_out(capsys, ["network", spec, "--json"])
    assert figures["agents"] == 1000 and figures["edges"] == 3 * 997
    assert figures["ledger_residual"] <= 1e-9 and 0 <= figures["gini_final"] < 1
    assert main(["network", spec]) == 0
    assert "1,000 agents, 2,991 edges, 1 component(s)" in capsys.readouterr().out


def test_example_file_runs(capsys: pytest.CaptureFixture[str]) -> None:
    figures = json_out(capsys, ["network", str(EXAMPLES / "network.json"), "--json"])
    assert len(figures["seeds"]) == 4 and figures["gini_final"] > 0.2


def test_files_are_read_relative_to_the_spec(tmp_path: Path,
                                             capsys: pytest.CaptureFixture[str]) -> None:
    (tmp_path / "edges.csv").write_text("source,target,weight\n0,1,2\n1,2,1\n2,0,1\n")
    pd.DataFrame({"holdings": [1, 0, 0], "community": [5, 5, 9]}).to_parquet(
        tmp_path / "agents.parquet")
    spec = write(tmp_path / "net.json", {
        "agents": 3, "graph": {"kind": "edge_list", "file": "edges.csv"},
        "agent_table": "agents.parquet", "scenario": {"params": {"num_steps": 5}}})
    out = tmp_path / "result.json"
    figures = json_out(capsys, ["network", spec, "--json", "--out", str(out)])
    assert figures["edges"] == 3
    saved = json.loads(out.read_text())
    assert saved["spec"]["graph"]["edges"] == [[0, 1, 2], [1, 2, 1], [2, 0, 1]]
    assert saved["spec"]["agent_table"]["community"] == [5, 5, 9]


@pytest.mark.parametrize(("data", "files", "words"), [
    ({"graph": {"kind": "ring"}}, {}, "'agents' is required"),
    ({"agents": 4, "graph": {"kind": "edge_list", "file": "e.csv"}},
     {"e.csv": "source,target\n0,1\n1,9\n"}, "e.csv line 3 = [1, 9]"),
    ({"agents": 4, "graph": {"kind": "edge_list", "file": "missing.csv"}}, {},
     "cannot read edge list"),
    ({"agents": 4, "agent_table": "a.csv"}, {"a.csv": "agent,H\n0,1\n"},
     "agent_table.H = '1 values'"),
    ({"agents": 2_000_000}, {}, "agents = 2000000"),
    ([1, 2], {}, "must hold a JSON object"),
])
def test_bad_input_is_one_line_and_exit_2(tmp_path: Path, capsys: pytest.CaptureFixture[str],
                                          data: object, files: dict[str, str],
                                          words: str) -> None:
    for name, text in files.items():
        (tmp_path / name).write_text(text)
    assert main(["network", write(tmp_path / "bad.json", data)]) == 2
    err = capsys.readouterr().err
    assert words in err and err.count("\n") == 1 and "Traceback" not in err


def test_save_and_show(tmp_path: Path, sqlite_url: str,
                       capsys: pytest.CaptureFixture[str]) -> None:
    spec = write(tmp_path / "net.json", {"agents": 50, "graph": {"kind": "ring"},
                                         "scenario": SCENARIO})
    figures = json_out(capsys, ["network", spec, "--json", "--save", "--database-url",
                                sqlite_url])
    assert figures["analysis_id"] == 1
    assert main(["analysis", "show", "1", "--database-url", sqlite_url]) == 0
    text = capsys.readouterr().out
    assert "network of walk@1" in text and "50 agents, 50 edges" in text


def test_saved_network_reopens_equal(db_url: str) -> None:
    spec = NetworkSpec.from_dict({
        "agents": 120, "runs": 2, "scenario": SCENARIO, "snapshot_every": 25,
        "graph": {"kind": "stochastic_block", "blocks": 3, "p_in": 0.2, "p_out": 0.01},
        "heterogeneity": [{"parameter": "holdings", "distribution": "uniform", "low": 0,
                           "high": 2}]})
    result = run_network(spec)
    with ScenarioStore(db_url) as store:
        record = store.save_analysis(spec.base_scenario, kind_of(result), result)
        again = restore_result(*store.load_analysis(record.id))
    assert again.to_dict() == result.to_dict()
    pd.testing.assert_frame_equal(again.aggregates, result.aggregates)
    pd.testing.assert_frame_equal(again.runs, result.runs)
    for name in ("snapshots", "snapshot_steps", "totals"):
        np.testing.assert_array_equal(getattr(again, name), getattr(result, name))
    for name in ("indptr", "indices", "weights", "communities"):
        np.testing.assert_array_equal(getattr(again.network, name),
                                      getattr(result.network, name))
    table = again.community_table()
    assert table is not None and table["agents"].tolist() == [40, 40, 40]
