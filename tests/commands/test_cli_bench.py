"""``nexus-panel bench``: figures discovered from every benchmark module, ratios to the
Python baseline, JSON for scripts. (Smoke tests: no assertion on speed.)"""

from __future__ import annotations

import json
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from nexus_panel import benchmarks
from nexus_panel.benchmarks import BASELINE, Figure, benchmark_modules
from nexus_panel.cli import main

PLUGIN = '''
from nexus_panel.benchmarks import Figure, median_seconds, quick

def figures():
    seconds = median_seconds(lambda: sum(range(1000)), repeats=5, quick_repeats=2)
    return [Figure("plugin.sum_1000", seconds, 1.0, f"quick={quick()}"),
            Figure("plugin.slow_thing", 2.0, 1.0, "")]
'''


@pytest.fixture
def plugin(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """A benchmark module dropped into the package, as another engineer would add one."""
    (tmp_path / "plugin.py").write_text(PLUGIN)
    monkeypatch.setattr(benchmarks, "__path__", [*benchmarks.__path__, str(tmp_path)])
    yield
    sys.modules.pop("nexus_panel.benchmarks.plugin", None)


def test_modules_with_figures_are_discovered() -> None:
    names = [m.__name__.rsplit(".", 1)[1] for m in benchmark_modules()]
    assert "engine" in names
    assert "reference" not in names  # no figures(): a helper, not a benchmark


def test_json_has_the_baseline_and_selected_figures(
        plugin: None, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["bench", "--quick", "--json", "--only", "plugin."]) == 0
    figures = json.loads(capsys.readouterr().out)
    assert set(figures) == {BASELINE, "plugin.sum_1000", "plugin.slow_thing"}
    assert all(isinstance(v, float) and v > 0 for v in figures.values())


def test_table_shows_ratios_targets_and_misses(plugin: None,
                                                capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["bench", "--quick", "--only", "plugin.slow"]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert lines[0].split() == ["figure", "median", "x", "baseline", "target"]
    assert lines[1].startswith(BASELINE)
    slow = next(line for line in lines if line.startswith("plugin.slow_thing"))
    assert slow.split()[-1] == "MISSED"
    assert "≤ 1 s" in slow
    assert not any(line.startswith("plugin.sum_1000") for line in lines)


def test_unknown_prefix_is_an_error(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["bench", "--quick", "--only", "nothing.here"]) == 2
    assert "no benchmark figure starts with 'nothing.here'" in capsys.readouterr().err


@pytest.mark.slow
def test_quick_full_run_measures_every_engine_figure(
        capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["bench", "--quick", "--json", "--only", "engine."]) == 0
    figures = json.loads(capsys.readouterr().out)
    assert {BASELINE, "engine.simulate_10k_steps", "engine.batch_10k_runs_x_1k_steps",
            "engine.batch_seeded_10k_runs_x_1k_steps", "engine.memo_hit_5k_steps",
            "engine.fresh_process_first_simulate", "engine.fresh_process_import"} <= set(figures)
    assert all(v > 0 for v in figures.values())


def test_figure_target_verdict() -> None:
    assert Figure("a", 0.5, 1.0).meets_target is True
    assert Figure("a", 1.5, 1.0).meets_target is False
    assert Figure("a", 1.5).meets_target is None
