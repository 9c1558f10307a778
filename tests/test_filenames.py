"""Safe file names from user text: ``nexus-panel export`` never writes outside the working
directory, whatever the scenario is called, and the web download's name follows the same
rule (nexus_panel/filenames.py)."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from hypothesis import given, settings
from text_strategies import hostile_text

from nexus_panel import EngineParams, Scenario, simulate
from nexus_panel.cli import main
from nexus_panel.filenames import MAX_STEM, safe_filename
from nexus_panel.storage import ScenarioStore
from nexus_panel.views.transfer_formats import export_filename

SAFE = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]*")


@settings(max_examples=300, deadline=None)
@given(hostile_text(max_repeat=400))
def test_any_text_becomes_one_safe_file_name(text: str) -> None:
    name = safe_filename(text, "-r1.json")
    assert SAFE.fullmatch(name), name  # one name: no separator, no control, no leading . or -
    assert ".." not in name and name.endswith("-r1.json")
    assert len(name) <= MAX_STEM + len("-r1.json")
    assert Path(name).name == name and not Path(name).is_absolute()


@pytest.mark.parametrize(("text", "expected"), [
    ("baseline", "baseline-r1.json"),
    ("../../../x", "x-r1.json"),
    ("/etc/passwd", "etc_passwd-r1.json"),
    ("..\\..\\win", "win-r1.json"),
    ("-rf *", "rf-r1.json"),
    (".hidden", "hidden-r1.json"),
    ("a..b....c", "a.b.c-r1.json"),
    ("Ökonomie über alles", "Okonomie_uber_alles-r1.json"),
    ("line\nbreak\x00nul\u202eevil", "line_break_nulevil-r1.json"),  # (no ASCII form)
    ("経済", "scenario-r1.json"),
    ("", "scenario-r1.json"),
    ("...", "scenario-r1.json"),
    ("CON", "CON_file-r1.json"),
    ("nul.txt", "nul.txt_file-r1.json"),
    ("x" * 300, "x" * MAX_STEM + "-r1.json"),
])
def test_examples(text: str, expected: str) -> None:
    assert safe_filename(text, "-r1.json") == expected


def test_a_suffix_must_be_safe_already() -> None:
    for suffix in ("/x.json", "-..json", " x", "\n"):
        with pytest.raises(ValueError, match="unsafe file name suffix"):
            safe_filename("a", suffix)


def test_the_download_name_uses_the_same_rule() -> None:
    result = simulate(Scenario(name='../../evil"; filename=x.exe',
                               params=EngineParams(num_steps=5)))
    assert export_filename(result, "csv") == (
        f"evil_filename_x.exe-{result.content_hash[:8]}.csv")


def test_export_writes_inside_the_working_directory(tmp_path: Path,
                                                   monkeypatch: pytest.MonkeyPatch,
                                                   capsys: pytest.CaptureFixture[str]) -> None:
    """``../../../x`` wrote three folders up and ``/x`` anywhere; now both are one file
    name in the working directory."""
    work = tmp_path / "a" / "b" / "c"
    work.mkdir(parents=True)
    outside = tmp_path / "outside" / "x"  # an absolute path, but inside the test's folder
    url = f"sqlite:///{tmp_path / 'nexus.db'}"
    with ScenarioStore(url) as store:
        store.save_many([Scenario(name="../../../x"), Scenario(name=str(outside))])
    monkeypatch.setenv("DATABASE_URL", url)
    monkeypatch.chdir(work)
    assert main(["export", "../../../x"]) == 0
    assert capsys.readouterr().out.startswith("wrote x-r1.json: ../../../x@1")
    assert main(["export", str(outside), "--format", "csv", "--simulate"]) == 0
    stem = safe_filename(str(outside))
    assert capsys.readouterr().out.startswith(f"wrote {stem}-r1.csv: run ")
    assert sorted(p.name for p in work.iterdir()) == [f"{stem}-r1.csv", "x-r1.json"]
    assert sorted(p.name for p in tmp_path.iterdir()) == ["a", "nexus.db"]
