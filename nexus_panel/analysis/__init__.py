"""What we LEARN from many runs: Monte Carlo, sensitivity, stability maps, controller view.

Each analysis is a spec (a ``param.Parameterized`` with a JSON form, which the web form,
the CLI and saved scenarios all read) and a function that runs it on the batch API::

    from nexus_panel.analysis import MonteCarloSpec, run_monte_carlo
    result = run_monte_carlo(MonteCarloSpec.from_dict({"n_runs": 1000, "parameters": [
        {"parameter": "alpha", "distribution": "normal", "std": 0.1}]}))
    result.bands, result.statistics

Chunks run on threads in-process, or on a Dask cluster: pass
``executor=DaskExecutor(distributed.Client(address))`` (or use ``analysis_executor``,
which reads ``NEXUS_DASK_ADDRESS``).

Results are saved beside their scenario and reopened without rerunning (each result class
has ``to_dict``/``arrays``/``from_dict``; see nexus_panel.analysis.saved)::

    from nexus_panel.analysis.registry import kind_of, restore_result
    record = store.save_analysis(result.spec.base_scenario, kind_of(result), result)
    again = restore_result(*store.load_analysis(record.id))
"""

from __future__ import annotations

from nexus_panel.analysis.chunks import Cancelled
from nexus_panel.analysis.controller import (
    ControllerResult,
    ControllerSpec,
    GainSet,
    run_controller,
)
from nexus_panel.analysis.distributions import ParameterDistribution
from nexus_panel.analysis.executors import DaskExecutor, analysis_executor
from nexus_panel.analysis.montecarlo import MonteCarloResult, MonteCarloSpec, run_monte_carlo
from nexus_panel.analysis.registry import ANALYSES
from nexus_panel.analysis.response import REGIME_RULE, REGIMES
from nexus_panel.analysis.sensitivity import (
    ParameterRange,
    SensitivityResult,
    SensitivitySpec,
    run_sensitivity,
)
from nexus_panel.analysis.stability import StabilityResult, StabilitySpec, run_stability

__all__ = [
    "ANALYSES", "REGIMES", "REGIME_RULE", "Cancelled", "ControllerResult", "ControllerSpec",
    "DaskExecutor", "GainSet", "MonteCarloResult", "MonteCarloSpec", "ParameterDistribution",
    "ParameterRange", "SensitivityResult", "SensitivitySpec", "StabilityResult",
    "StabilitySpec", "analysis_executor", "run_controller", "run_monte_carlo",
    "run_sensitivity", "run_stability",
]
