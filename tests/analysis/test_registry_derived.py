"""Every analysis of the registry reaches its page, its CLI subcommand and the store;
one name per analysis (``mc`` only as a CLI alias of ``montecarlo``)."""

from __future__ import annotations

import argparse
import json
from pathlib import Path

import pytest

from nexus_panel.analysis.registry import ANALYSES, AnalysisResult, lookup
from nexus_panel.cli import build_parser, main
from nexus_panel.models import ValidationError
from nexus_panel.pages.registry import available_pages

NAMES = list(ANALYSES)


def subcommands() -> dict[str, argparse.ArgumentParser]:
    action = next(a for a in build_parser()._actions
                  if isinstance(a, argparse._SubParsersAction))
    return dict(action.choices)


def test_every_analysis_has_a_page_named_like_it() -> None:
    pages = {p.slug: p for p in available_pages()}
    for name, entry in ANALYSES.items():
        assert pages[name].title == entry.title
    assert "mc" not in pages


@pytest.mark.parametrize("name", NAMES)
def test_every_analysis_has_its_cli_subcommand(name: str) -> None:
    parser = subcommands()[name]
    assert parser.parse_args(["spec.json"]).func is not None


def test_mc_is_only_an_alias_of_montecarlo() -> None:
    commands = subcommands()
    assert commands["mc"] is commands["montecarlo"]
    assert build_parser().parse_args(["mc", "x.json"]).analysis == "montecarlo"
    assert lookup("mc") is ANALYSES["montecarlo"]  # documents written before the rename


def test_a_new_registry_entry_appears_on_the_cli(monkeypatch: pytest.MonkeyPatch) -> None:
    """The CLI is derived, not listed: a registered analysis gets a subcommand."""
    import dataclasses

    extra = dataclasses.replace(ANALYSES["stability"], name="stability2")
    monkeypatch.setitem(ANALYSES, "stability2", extra)
    assert "stability2" in subcommands()


@pytest.mark.parametrize("name", NAMES)
def test_the_store_accepts_every_registered_kind_and_nothing_else(name: str) -> None:
    from nexus_panel.analysis.registry import by_kind

    assert by_kind(name) is ANALYSES[name]
    with pytest.raises(ValidationError) as caught:
        by_kind("mc")  # stored kinds are the one name, never an alias
    assert caught.value.fields == ["kind"]


def test_results_share_one_protocol(tmp_path: Path) -> None:
    from nexus_panel.analysis.controller import run_controller

    result = run_controller(ANALYSES["controller"].spec.from_dict(
        {"scenario": {"params": {"num_steps": 200}}}))
    assert isinstance(result, AnalysisResult)
    assert result.n_runs == len(result.labels) >= 1
    assert result.report().startswith("Controller — ")
    for entry in ANALYSES.values():
        for member in ("n_runs", "report", "table", "to_dict", "arrays", "from_dict"):
            declared = hasattr(entry.result, member) or member in getattr(
                entry.result, "__dataclass_fields__", {})
            assert declared, (entry.name, member)


def test_save_without_a_scenario_name_is_refused(tmp_path: Path, sqlite_url: str,
                                                 capsys: pytest.CaptureFixture[str]) -> None:
    spec = tmp_path / "c.json"
    spec.write_text(json.dumps({"scenario": {"params": {"num_steps": 200}}}))
    db = ["--database-url", sqlite_url]
    assert main(["controller", str(spec), "--save", *db]) == 2
    err = capsys.readouterr().err
    assert "give --name NAME" in err and err.count("\n") == 1
    assert main(["analysis", "list", *db]) == 0
    assert "no saved analyses" in capsys.readouterr().out
    assert main(["controller", str(spec), "--save", "--name", "gains study", *db]) == 0
    assert "controller of gains study@1" in capsys.readouterr().out
