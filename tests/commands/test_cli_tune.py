"""``nexus-panel tune``: the interface outside checks use (examples/tune.json, --trials,
--study, --json and its keys, n_trials growing on a re-run), bad input, constraints no
trial meets, and ``nexus-panel studies``."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from nexus_panel.cli import main

EXAMPLE = Path(__file__).resolve().parents[2] / "examples" / "tune.json"
KEYS = {"study", "n_trials", "direction", "best_value", "baseline_value", "best_params"}


def _tune(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str, str]:
    code = main(["tune", *args])
    out = capsys.readouterr()
    return code, out.out, out.err


def test_example_study_grows_on_each_run(sqlite_url: str,
                                         capsys: pytest.CaptureFixture[str]) -> None:
    args = (str(EXAMPLE), "--trials", "30", "--study", "ex", "--json",
            "--database-url", sqlite_url)
    code, out, _ = _tune(capsys, *args)
    first = json.loads(out)
    assert code == 0 and set(first) >= KEYS
    assert (first["study"], first["n_trials"], first["direction"]) == ("ex", 30, "minimize")
    assert first["best_value"] < first["baseline_value"]
    assert set(first["best_params"]) == {"K_p", "K_i", "K_d"}
    code, out, _ = _tune(capsys, *args)
    assert code == 0 and json.loads(out)["n_trials"] == 60
    assert main(["studies", "list", "--database-url", sqlite_url]) == 0
    assert "ex  [consumption-shock@1]  rms_error (minimize): 60 trials" in \
        capsys.readouterr().out
    assert main(["studies", "apply", "ex", str(first["best_trial"]),
                 "--database-url", sqlite_url]) == 0
    assert capsys.readouterr().out.startswith("saved consumption-shock@2: Applied trial")


def test_text_report(sqlite_url: str, capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = _tune(capsys, str(EXAMPLE), "--trials", "20", "--study", "t",
                         "--database-url", sqlite_url)
    assert code == 0
    assert out.startswith("study 't': 20 trials (20 added in")
    assert "rms_error (minimize): best" in out and "at the scenario's own values:" in out


def test_bad_spec_names_the_fields_and_writes_nothing(
        sqlite_url: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    bad = tmp_path / "bad.json"
    bad.write_text(json.dumps({"parameters": [{"parameter": "K_p", "low": 1, "high": 0}],
                               "objectives": [{"metric": "rms"}]}))
    code, _, err = _tune(capsys, str(bad), "--database-url", sqlite_url)
    assert code == 2
    assert "parameters[0].low = 1.0" in err and "objectives[0].metric = 'rms'" in err
    bad.write_text(json.dumps({"parameters": [{"parameter": "K_p"}], "objectives": []}))
    code, _, err = _tune(capsys, str(bad), "--database-url", sqlite_url)
    assert code == 2 and "objectives = [] (allowed: at least one objective" in err
    code, _, err = _tune(capsys, str(EXAMPLE), "--trials", "0", "--database-url", sqlite_url)
    assert code == 2 and "--trials = 0 (allowed: at least 1)" in err
    assert main(["studies", "list", "--database-url", sqlite_url]) == 0
    assert capsys.readouterr().out.strip() == "no tuning studies"


def test_constraints_no_trial_meets_exit_3_with_the_closest_value(
        sqlite_url: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    data = json.loads(EXAMPLE.read_text())
    data["constraints"] = [{"metric": "overshoot_pct", "op": "<=", "bound": -1}]
    spec = tmp_path / "impossible.json"
    spec.write_text(json.dumps(data))
    code, out, err = _tune(capsys, str(spec), "--trials", "20", "--json",
                           "--database-url", sqlite_url)
    assert code == 3
    assert json.loads(out)["best_value"] is None
    assert "none of the 20 trials satisfies the constraints: overshoot_pct <= -1 (closest:" \
        in err
