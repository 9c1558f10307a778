"""``nexus-panel montecarlo|sensitivity|stability|controller SPEC.json`` from a shell's view."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from nexus_panel.cli import main


def write(path: Path, data: object) -> str:
    path.write_text(json.dumps(data), encoding="utf-8")
    return str(path)


def test_mc_prints_bands_and_writes_a_reopenable_result(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    spec = write(tmp_path / "mc.json", {
        "n_runs": 200, "scenario": {"params": {"num_steps": 100}},
        "parameters": [{"parameter": "alpha", "distribution": "uniform", "low": 0.5,
                        "high": 1.5}]})
    out = tmp_path / "result.json"
    assert main(["montecarlo", spec, "--out", str(out)]) == 0
    text = capsys.readouterr().out
    assert "200 runs" in text and "p50=" in text and "mean_ci_low" in text
    saved = json.loads(out.read_text())
    assert saved["analysis"] == "montecarlo" and saved["spec"]["n_runs"] == 200


def test_scenario_file_replaces_the_embedded_scenario(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    scenario = write(tmp_path / "s.json", {"params": {"num_steps": 100, "K_p": 0.5}})
    spec = write(tmp_path / "c.json", {"shock_input": "C_cons", "shock_size": 10})
    assert main(["controller", spec, "--scenario", scenario]) == 0
    text = capsys.readouterr().out
    # settled at once (N stays within 2 % of its end): the shock comes a tenth in
    assert "C_cons +10 at step 10" in text and "scenario gains" in text


@pytest.mark.parametrize(("name", "data", "words"), [
    ("stability", {"x_parameter": "K_p", "y_parameter": "K_p"}, "y_parameter"),
    ("sensitivity", {"parameters": [{"parameter": "nope"}]}, "parameters[0].parameter"),
    ("montecarlo", [1, 2], "JSON object"),
])
def test_bad_specs_give_one_line_and_exit_2(tmp_path: Path, capsys: pytest.CaptureFixture[str],
                                            name: str, data: object, words: str) -> None:
    assert main([name, write(tmp_path / "bad.json", data)]) == 2
    err = capsys.readouterr().err
    assert words in err and err.count("\n") == 1 and "Traceback" not in err


def test_missing_file_and_unreachable_cluster(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                              capsys: pytest.CaptureFixture[str]) -> None:
    monkeypatch.setattr("nexus_panel.analysis.executors.CONNECT_TIMEOUT", 1)
    assert main(["mc", str(tmp_path / "none.json")]) == 2
    assert "cannot read" in capsys.readouterr().err
    spec = write(tmp_path / "mc.json", {"n_runs": 2})
    assert main(["mc", spec, "--dask", "tcp://127.0.0.1:9"]) == 2
    assert "running Dask scheduler" in capsys.readouterr().err
