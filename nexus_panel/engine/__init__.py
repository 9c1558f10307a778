"""How a scenario RUNS: numba kernels, simulate(), batches and the disk memo (no panel,
no sqlalchemy)."""

from nexus_panel.engine.batch import BatchChunk, BatchPlan, BatchResult, iter_batch, run_batch
from nexus_panel.engine.kernel import COLUMNS, SUMMARY_FIELDS
from nexus_panel.engine.result import CorruptResultError, SimulationResult
from nexus_panel.engine.simulate import ENGINE_VERSION, simulate, warm_up

__all__ = [
    "COLUMNS", "ENGINE_VERSION", "SUMMARY_FIELDS", "BatchChunk", "BatchPlan", "BatchResult",
    "CorruptResultError", "SimulationResult", "iter_batch", "run_batch", "simulate", "warm_up",
]
