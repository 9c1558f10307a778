"""The example files the README points at must keep working."""

from __future__ import annotations

from pathlib import Path

import pytest

from nexus_panel.cli import main

EXAMPLES = Path(__file__).resolve().parents[2] / "examples"


def test_example_scenario_runs_and_holds_the_target(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["run", str(EXAMPLES / "scenario.json"), "--no-cache"]) == 0
    out = capsys.readouterr().out
    assert "Consumption shock: 2000 steps" in out
    final = float(next(line.split()[1] for line in out.splitlines()
                       if line.strip().startswith("final_N")))
    assert abs(final - 1000) < 1  # the PID brings N back to N* = 1000 after the shock


def test_example_monte_carlo_spec_runs(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["montecarlo", str(EXAMPLES / "montecarlo.json")]) == 0
    assert "2000 runs" in capsys.readouterr().out
