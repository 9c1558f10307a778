"""On a real Dask cluster (two worker processes) the results equal the in-process ones."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import numpy as np
import pytest

from nexus_panel.analysis import (
    DaskExecutor,
    MonteCarloSpec,
    StabilitySpec,
    analysis_executor,
    run_monte_carlo,
    run_stability,
)

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def cluster() -> Iterator[Any]:
    distributed = pytest.importorskip("distributed")
    with distributed.LocalCluster(n_workers=2, processes=True, threads_per_worker=1,
                                  dashboard_address=None) as local:
        yield local


def test_monte_carlo_on_the_cluster_equals_in_process(cluster: Any,
                                                      walk_scenario: dict[str, Any]) -> None:
    spec = MonteCarloSpec.from_dict({
        "scenario": walk_scenario, "n_runs": 600, "master_seed": 99, "chunk_size": 64,
        "parameters": [{"parameter": "K_p", "distribution": "uniform", "low": 0.05,
                        "high": 0.5}]})
    local = run_monte_carlo(spec)
    with analysis_executor(cluster.scheduler_address) as executor:
        assert isinstance(executor, DaskExecutor) and executor._max_workers == 2
        remote = run_monte_carlo(spec, executor=executor)
        workers = executor.client.run(lambda: __import__("os").getpid())
    assert len(set(workers.values())) == 2  # two separate worker processes
    assert np.array_equal(local.bands, remote.bands)
    assert local.runs.equals(remote.runs)
    assert np.array_equal(local.sample, remote.sample)


def test_stability_map_through_the_environment_variable(
        cluster: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    spec = StabilitySpec.from_dict({"scenario": {"params": {"num_steps": 300}},
                                    "x_points": 5, "y_points": 4, "chunk_size": 3})
    local = run_stability(spec)
    monkeypatch.setenv("NEXUS_DASK_ADDRESS", cluster.scheduler_address)
    with analysis_executor() as executor:
        assert executor is not None
        remote = run_stability(spec, executor=executor)
    assert np.array_equal(local.regimes, remote.regimes)
    for name, grid in local.metrics.items():
        np.testing.assert_array_equal(grid, remote.metrics[name], err_msg=name)


def test_tuning_study_through_the_environment_variable_equals_local(
        cluster: Any, walk_scenario: dict[str, Any], tmp_path: Any,
        monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> None:
    import json

    from nexus_panel.cli import main

    spec = {"scenario": {**walk_scenario, "name": "walk"}, "n_trials": 40, "batch_size": 20,
            "members": 4, "chunk_size": 16, "seed": 3, "aggregate": "cvar",
            "parameters": [{"parameter": "K_p"}, {"parameter": "K_i"}],
            "objectives": [{"metric": "rms_error"}]}
    path = tmp_path / "spec.json"
    path.write_text(json.dumps(spec))

    def tune(database: str) -> dict[str, Any]:
        assert main(["tune", str(path), "--json", "--study", "s",
                     "--database-url", f"sqlite:///{tmp_path / database}"]) == 0
        return json.loads(capsys.readouterr().out)

    local = tune("local.db")
    monkeypatch.setenv("NEXUS_DASK_ADDRESS", cluster.scheduler_address)
    remote = tune("remote.db")
    for key in ("n_trials", "best_value", "baseline_value", "best_params", "best_trial"):
        assert local[key] == remote[key], key
