"""``nexus-panel mc ... --save`` and ``nexus-panel analysis list|show`` from a shell's view:
the saved analysis prints the same numbers as the run that produced it."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from nexus_panel.cli import main


def test_save_list_and_show_a_monte_carlo(tmp_path: Path, sqlite_url: str,
                                          capsys: pytest.CaptureFixture[str]) -> None:
    spec = tmp_path / "mc.json"
    spec.write_text(json.dumps({
        "n_runs": 120, "scenario": {"name": "cli base", "params": {"num_steps": 100}},
        "parameters": [{"parameter": "alpha", "distribution": "uniform", "low": 0.5,
                        "high": 1.5}]}), encoding="utf-8")
    db = ["--database-url", sqlite_url]
    assert main(["mc", str(spec), "--save", "--message", "for the team", *db]) == 0
    ran = capsys.readouterr().out.splitlines()
    assert ran[-1] == ("saved analysis 1 (montecarlo of cli base@1); open it at "
                       "/montecarlo?analysis=1")

    assert main(["analysis", "list", *db]) == 0
    listed = capsys.readouterr().out
    assert "montecarlo of cli base@1  by local" in listed and "for the team" in listed

    assert main(["analysis", "show", "1", "--out", str(tmp_path / "r.json"), *db]) == 0
    shown = capsys.readouterr().out.splitlines()
    assert shown[0].startswith("saved analysis 1: montecarlo of cli base@1, by local at ")
    assert shown[0].endswith(": for the team (not rerun)")
    assert shown[1:] == ran[:-1]  # the same report, number for number (timing included)
    assert json.loads((tmp_path / "r.json").read_text())["spec"]["n_runs"] == 120


@pytest.mark.parametrize(("ident", "message"), [
    ("42", "no saved analysis with id 42"), ("abc", "a saved analysis id")])
def test_show_of_a_bad_id_is_one_line(ident: str, message: str, sqlite_url: str,
                                      capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["analysis", "show", ident, "--database-url", sqlite_url]) == 2
    err = capsys.readouterr().err
    assert err.startswith("nexus-panel analysis: ") and message in err
    assert len(err.strip().splitlines()) == 1
