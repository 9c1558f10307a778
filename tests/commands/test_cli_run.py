"""``nexus-panel run``: the summary, the three output formats, and one-line errors."""

from __future__ import annotations

import json
import math
import os
import subprocess
import sys
from pathlib import Path

import pandas as pd
import pyarrow.parquet as pq
import pytest

import nexus_panel
from nexus_panel import Scenario, simulate
from nexus_panel.cli import main
from nexus_panel.models import EngineParams
from nexus_panel.storage.transfer import read_parquet_result

ROOT = Path(nexus_panel.__file__).resolve().parents[1]


@pytest.fixture
def scenario_file(tmp_path: Path) -> Path:
    path = tmp_path / "demo.json"
    path.write_text(Scenario(name="demo", params=EngineParams(num_steps=1000)).to_json())
    return path


def test_run_prints_the_summary(scenario_file: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["run", str(scenario_file)]) == 0
    out = capsys.readouterr().out
    assert out.startswith("demo: 1000 steps of 0.1")
    assert "final_N                 1001.42262" in out
    assert "clamp_events            0" in out


def test_run_prints_warnings(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = tmp_path / "w.json"
    path.write_text(json.dumps({"params": {"beta": 5.0, "alpha": 0.0, "w_H": 0.9}}))
    assert main(["run", str(path), "--no-cache"]) == 0
    err = capsys.readouterr().err
    assert "warning: Issuance weights" in err
    assert "warning: N hit zero and was clamped" in err


def test_run_writes_json_csv_and_parquet(scenario_file: Path, tmp_path: Path) -> None:
    expected = simulate(Scenario.from_json(scenario_file.read_text()))
    for suffix in (".json", ".csv", ".parquet"):
        out = tmp_path / f"result{suffix}"
        assert main(["run", str(scenario_file), "--out", str(out)]) == 0
        assert out.exists()
    doc = json.loads((tmp_path / "result.json").read_text())  # the scenario bundle
    assert doc["format"] == "nexus_panel.scenario" and doc["revision"] is None
    assert doc["scenario"] == expected.scenario.to_dict()
    (run,) = doc["runs"]
    assert run["summary"]["final_N"] == expected.final_N
    assert run["data"]["N"] == expected.frame["N"].tolist()
    assert run["data"]["I"][-1] == "nan"  # the one NaN encoding of every export
    assert run["data"]["t"][0] == 0.0
    csv = pd.read_csv(tmp_path / "result.csv")
    pd.testing.assert_frame_equal(csv, expected.frame)  # exact round trip of every value
    table = pq.read_table(tmp_path / "result.parquet")
    pd.testing.assert_frame_equal(table.to_pandas(), expected.frame)
    back = read_parquet_result(tmp_path / "result.parquet")  # the `export` format, whole
    assert back.scenario.content_hash() == expected.content_hash
    assert back.summary == expected.summary


def test_original_app_export_runs(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = tmp_path / "export.json"
    path.write_text(json.dumps({"parameters": {"alpha": 1.5, "num_steps": 200},
                                "signal_configs": {"H": {"type": "constant", "value": 90.0}},
                                "results": {"N": [1.0]}}))
    assert main(["run", str(path)]) == 0
    assert "200 steps" in capsys.readouterr().out


@pytest.mark.parametrize(("content", "message"), [
    (None, "cannot read"),
    ("{broken", "file = "),
    (json.dumps({"params": {"alpha": 9}}), "params.alpha = 9 (allowed: a finite number in [0, 5])"),
    (json.dumps({"params": {"alpah": 1}}), "params.alpah"),
    (json.dumps({"parameters": {"delta_t": 0}}), "parameters.delta_t = 0"),
    (json.dumps({"inputs": {"H": {"kind": "pulse", "pulse_width": 200}}}), "inputs.H.pulse_width"),
])
def test_bad_file_or_value_is_one_line_naming_it(
        tmp_path: Path, capsys: pytest.CaptureFixture[str], content: str | None,
        message: str) -> None:
    path = tmp_path / "bad.json"
    if content is not None:
        path.write_text(content)
    out = tmp_path / "never.json"
    assert main(["run", str(path), "--out", str(out)]) == 2
    captured = capsys.readouterr()
    assert captured.out == ""
    assert captured.err.startswith("nexus-panel run: ")
    assert message in captured.err
    assert captured.err.count("\n") == 1
    assert not out.exists()
    assert not list(tmp_path.glob(".never.json.*"))


def test_bad_out_path_is_refused_before_running(scenario_file: Path, tmp_path: Path,
                                                capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["run", str(scenario_file), "--out", str(tmp_path / "r.xlsx")]) == 2
    assert "unknown file type '.xlsx'" in capsys.readouterr().err
    assert main(["run", str(scenario_file), "--out", str(tmp_path / "no" / "r.csv")]) == 2
    assert "does not exist" in capsys.readouterr().err


def test_console_entry_point_exit_codes(scenario_file: Path, tmp_path: Path) -> None:
    env = dict(os.environ, PYTHONPATH=str(ROOT))
    command = [sys.executable, "-c", "import sys; from nexus_panel.cli import main; "
               "sys.exit(main())", "run"]
    ok = subprocess.run([*command, str(scenario_file)], env=env, capture_output=True, check=False,
                        text=True, timeout=120)
    assert ok.returncode == 0, ok.stderr
    assert math.isclose(float(ok.stdout.split("final_N")[1].split()[0]), 1001.42262)
    bad = subprocess.run([*command, str(tmp_path / "missing.json")], env=env, check=False,
                         capture_output=True, text=True, timeout=120)
    assert bad.returncode == 2
    assert "Traceback" not in bad.stderr
    assert bad.stderr.strip().startswith("nexus-panel run: cannot read")


def test_python_dash_m_entry_gives_one_line_errors(tmp_path: Path) -> None:
    """``python -m nexus_panel.cli``: cli.py runs as ``__main__``, whose CommandError is not
    the one the commands raise; a missing file must still be one line, exit code 2."""
    env = dict(os.environ, PYTHONPATH=str(ROOT))
    bad = subprocess.run([sys.executable, "-m", "nexus_panel.cli", "run",
                          str(tmp_path / "missing.json")], env=env, check=False,
                         capture_output=True, text=True, timeout=120)
    assert (bad.returncode, bad.stdout) == (2, "")
    assert bad.stderr.startswith("nexus-panel run: cannot read ")
    assert bad.stderr.count("\n") == 1


def test_out_file_appears_whole_with_normal_permissions(scenario_file: Path,
                                                        tmp_path: Path) -> None:
    out = tmp_path / "r.csv"
    out.write_text("old")
    assert main(["run", str(scenario_file), "--out", str(out)]) == 0
    assert len(pd.read_csv(out)) == 1001
    current = os.umask(0)
    os.umask(current)
    assert out.stat().st_mode & 0o777 == 0o666 & ~current
    assert sorted(p.name for p in tmp_path.iterdir()) == ["demo.json", "r.csv"]
    folder = tmp_path / "taken.csv"
    folder.mkdir()
    assert main(["run", str(scenario_file), "--out", str(folder)]) == 2
    assert sorted(p.name for p in tmp_path.iterdir()) == ["demo.json", "r.csv", "taken.csv"]
