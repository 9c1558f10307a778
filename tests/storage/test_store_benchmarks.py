"""The storage benchmark figures run (quick mode) and report what they measured."""

from __future__ import annotations

from nexus_panel.benchmarks import settings
from nexus_panel.benchmarks import storage as bench
from nexus_panel.engine import simulate


def test_storage_figures_are_measured_with_targets_and_sizes() -> None:
    with settings(quick=True):
        figures = {f.name: f for f in bench.figures()}
    assert set(figures) == {"storage.save_revision_with_5k_run", "storage.list_1000_filtered",
                            "storage.load_run_5k_steps"}
    assert {f.target for f in figures.values()} == {0.05, 0.02}
    # The notes report what was really stored: the run's encoded size, to the kB.
    size = len(simulate(bench._scenario("bench", 1.0)).to_bytes())
    assert f"read {size / 1000:.0f} kB" in figures["storage.load_run_5k_steps"].note
    assert "kB (zlib float64" in figures["storage.save_revision_with_5k_run"].note
    assert "matches 320" in figures["storage.list_1000_filtered"].note
