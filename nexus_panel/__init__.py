"""nexus_panel: simulate and explore the Nexus equation of self-regulating token economies.

Notebook use::

    import nexus_panel as nx
    result = nx.simulate(nx.Scenario())   # result.frame is a pandas DataFrame
    nx.Dashboard(nx.Scenario())           # the app's views, inline (imports panel lazily)
"""

from __future__ import annotations

from typing import Any

from nexus_panel.engine import SimulationResult, run_batch, simulate
from nexus_panel.models import EngineParams, Inputs, Scenario, Signal, ValidationError

__all__ = [
    "Dashboard", "EngineParams", "Inputs", "Scenario", "ScenarioStore", "Signal",
    "SimulationResult", "ValidationError", "cached_simulate", "run_batch", "simulate",
]


def __getattr__(name: str) -> Any:
    # Lazy: the memo pulls in diskcache, the store SQLAlchemy and the views panel; none is
    # needed to simulate, and panel alone costs about a second of import time.
    if name == "cached_simulate":
        from nexus_panel.engine.memo import cached_simulate

        return cached_simulate
    if name == "ScenarioStore":
        from nexus_panel.storage import ScenarioStore

        return ScenarioStore
    if name == "Dashboard":
        from nexus_panel.views.dashboard import Dashboard

        return Dashboard
    raise AttributeError(f"module 'nexus_panel' has no attribute {name!r}")
