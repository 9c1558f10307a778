"""``nexus-panel contract solidity|rust SCENARIO.json --out DIR [--verify] [--json]``: the
JSON outside checks read, byte-identical files, one-line errors with exit codes, and a
verification that really can fail."""

from __future__ import annotations

import json
from dataclasses import replace
from pathlib import Path

import pytest

from nexus_panel import EngineParams, Inputs, Scenario, Signal, settings
from nexus_panel.cli import main
from nexus_panel.contracts.codegen import generate
from nexus_panel.contracts.verify import verify

SCENARIO = Scenario(name="cli demo", params=EngineParams(num_steps=300, K_p=0.2),
                    inputs=Inputs(C_cons=Signal(kind="step", initial=60, final=95,
                                                step_at=150)))


@pytest.fixture
def scenario_file(tmp_path: Path) -> Path:
    path = tmp_path / "scenario.json"
    path.write_text(SCENARIO.to_json())
    return path


def test_rust_verify_json(rust_tools: None, scenario_file: Path, tmp_path: Path,
                          capsys: pytest.CaptureFixture[str]) -> None:
    out = tmp_path / "crate"
    assert main(["contract", "rust", str(scenario_file), "--out", str(out), "--verify",
                 "--json"]) == 0
    report = json.loads(capsys.readouterr().out)
    assert report["steps"] == 300 and report["max_abs_diff"] == 0 and report["ok"] is True
    assert report["gas_per_step"] is None and report["name"] == "nexus_cli_demo"
    assert report["engine_max_rel_diff"] < 1e-12
    assert sorted(report["files"]) == sorted(str(out / p) for p in (
        "Cargo.toml", "src/lib.rs", "src/main.rs"))


def test_solidity_verify_json_reports_gas(solidity_tools: None, scenario_file: Path,
                                          tmp_path: Path,
                                          capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["contract", "solidity", str(scenario_file), "--out", str(tmp_path),
                 "--verify", "--json", "--steps", "12"]) == 0
    report = json.loads(capsys.readouterr().out)
    assert {"steps", "max_abs_diff", "gas_per_step"} <= set(report)
    assert report["steps"] == 12 and report["max_abs_diff"] == 0
    assert 21_000 < report["gas_per_step"] < 200_000
    assert (tmp_path / "NexusCliDemo.sol").is_file()


def test_files_are_byte_identical_and_name_the_revision(
        scenario_file: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    for language in ("solidity", "rust"):
        runs = []
        for attempt in ("a", "b"):
            assert main(["contract", language, str(scenario_file), "--out",
                         str(tmp_path / language / attempt), "--revision", "3"]) == 0
            runs.append({p.relative_to(tmp_path / language / attempt): p.read_bytes()
                         for p in (tmp_path / language / attempt).rglob("*") if p.is_file()})
        assert runs[0] == runs[1]
        assert all(b"Revision: 3\n" in data for data in runs[0].values())
    assert "wrote" in capsys.readouterr().out


@pytest.mark.parametrize(("args", "message"), [
    (["--steps", "0", "--verify"], "steps = 0 (allowed: a whole number in [1, 300]"),
    (["--revision", "0"], "--revision 0: a revision number is at least 1"),
])
def test_bad_options_are_one_line_errors(args: list[str], message: str, scenario_file: Path,
                                         tmp_path: Path,
                                         capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["contract", "rust", str(scenario_file), "--out", str(tmp_path), *args]) == 2
    err = capsys.readouterr().err
    assert message in err and err.count("\n") == 1


def test_values_that_do_not_fit_are_refused_by_field(tmp_path: Path,
                                                      capsys: pytest.CaptureFixture[str]
                                                      ) -> None:
    path = tmp_path / "tiny.json"
    path.write_text(Scenario(params=EngineParams(K_i=1e-12)).to_json())
    assert main(["contract", "solidity", str(path), "--out", str(tmp_path / "o")]) == 2
    assert "params.K_i = 1e-12 (allowed: 0 or a magnitude of at least 1e-09" in (
        capsys.readouterr().err)
    assert not (tmp_path / "o").exists()  # nothing half-written


def test_unwritable_out_and_missing_tools(scenario_file: Path, tmp_path: Path,
                                          capsys: pytest.CaptureFixture[str]) -> None:
    blocker = tmp_path / "a-file"
    blocker.write_text("")
    assert main(["contract", "rust", str(scenario_file), "--out", str(blocker)]) == 2
    assert "cannot write into" in capsys.readouterr().err
    fresh = tmp_path / "fresh.json"  # not compiled before in this process (no cache hit)
    fresh.write_text(SCENARIO.copy(name="no tools here").to_json())
    settings.configure(settings.Settings.from_env(
        {"NEXUS_NODE_MODULES": str(tmp_path / "no-node-modules")}))
    try:
        assert main(["contract", "solidity", str(fresh), "--out", str(tmp_path / "s"),
                     "--verify"]) == 3
    finally:
        settings.configure(None)  # back to the environment (a pinned copy would hide it)
    assert "solc-js is not installed" in capsys.readouterr().err


def test_a_wrong_implementation_is_caught(rust_tools: None) -> None:
    """Truncating instead of rounding, in the crate, shows up as differences."""
    code = generate(SCENARIO, "rust")
    lib = code.files["src/lib.rs"]
    broken = lib.replace("if r >= ONE_U / 2 { q + 1 } else { q }", "q")
    assert broken != lib
    result = verify(SCENARIO, "rust", steps=50,
                    code=replace(code, files={**code.files, "src/lib.rs": broken}))
    assert not result.ok
    assert result.first_mismatch < 10 and 0 < result.max_abs_diff < 100
