"""The example files the README points at must keep working."""

from __future__ import annotations

import json
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


@pytest.mark.parametrize(("name", "expected"), [
    ("sensitivity", "512 runs, method sobol"),
    ("stability", "K_p x K_i: 11 x 11 cells"),
    ("controller", "shock: C_cons +100 at step 200"),
])
def test_example_analysis_specs_run(name: str, expected: str,
                                    capsys: pytest.CaptureFixture[str]) -> None:
    assert main([name, str(EXAMPLES / f"{name}.json")]) == 0
    assert expected in capsys.readouterr().out


def test_every_registered_analysis_has_an_example_and_documented_keys() -> None:
    from nexus_panel.analysis.registry import ANALYSES

    docs = (EXAMPLES.parent / "docs" / "analyses.md").read_text(encoding="utf-8")
    for entry in ANALYSES.values():
        assert (EXAMPLES / f"{entry.name}.json").is_file(), entry.name
        assert f"(`{entry.name}`)" in docs
        specs = [entry.spec, *entry.spec._items.values(), *entry.spec._objects.values()]
        for key in {k for spec in specs for k in spec.field_names()} - {"scenario"}:
            assert f"| `{key}` |" in docs, (entry.name, key)


def test_example_live_file_runs(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """examples/live.json as `live start` reads it, produced to the end quickly."""
    url = f"sqlite:///{tmp_path / 'live.db'}"
    assert main(["live", "start", str(EXAMPLES / "live.json"), "--name", "example",
                 "--steps-per-second", "1000", "--max-steps", "4000",
                 "--database-url", url]) == 0
    assert "finished at step 4,000" in capsys.readouterr().out
    assert main(["live", "alerts", "example", "--json", "--database-url", url]) == 0
    events = json.loads(capsys.readouterr().out)
    assert ("critical", "firing") in {(e["severity"], e["state"]) for e in events}
