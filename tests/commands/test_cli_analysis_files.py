"""``nexus-panel montecarlo|controller``: unreadable spec and scenario files and unwritable outputs
are one line on stderr with exit code 2, never a traceback or a half-written file."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from nexus_panel.cli import main

DEEP = "[" * 100_000 + "]" * 100_000


@pytest.mark.parametrize(("spec", "scenario", "words"), [
    (DEEP.encode(), None, "is not valid JSON: maximum recursion depth"),
    (b"\xff\xfe{", None, "is not valid JSON"),
    (None, b"\xff\xfe{", "file = '(not JSON)' (allowed: valid JSON"),
    (None, DEEP.encode(), "file = '(not JSON)' (allowed: valid JSON"),
])
def test_undecodable_files_are_one_line(tmp_path: Path, capsys: pytest.CaptureFixture[str],
                                        spec: bytes | None, scenario: bytes | None,
                                        words: str) -> None:
    spec_path = tmp_path / "spec.json"
    spec_path.write_bytes(spec if spec is not None else
                          json.dumps({"shock_input": "C_cons"}).encode())
    argv = ["controller", str(spec_path)]
    if scenario is not None:
        (tmp_path / "s.json").write_bytes(scenario)
        argv += ["--scenario", str(tmp_path / "s.json")]
    assert main(argv) == 2
    captured = capsys.readouterr()
    assert captured.out == ""
    assert captured.err.startswith("nexus-panel controller: ") and words in captured.err
    assert captured.err.count("\n") == 1


def test_out_into_a_directory_is_one_line_and_leaves_nothing(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    spec = tmp_path / "spec.json"
    spec.write_text(json.dumps({"shock_input": "C_cons", "scenario": {
        "params": {"num_steps": 100}}}))
    taken = tmp_path / "out.json"
    taken.mkdir()
    assert main(["controller", str(spec), "--out", str(taken)]) == 2
    assert capsys.readouterr().err.strip().endswith(f"cannot write {taken}: Is a directory")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["out.json", "spec.json"]
