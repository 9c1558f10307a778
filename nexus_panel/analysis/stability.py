"""Stability maps: how the controlled system behaves over a grid of two parameters.

Every cell is one run of the scenario with the two parameters set to the cell's values;
all cells see the same input series (common random numbers: random walks keep the
scenario's own seeds), so differences between cells come from the parameters alone.
Each cell gets the response metrics of :mod:`nexus_panel.analysis.response`, the share of
steps with Phi saturated, and a regime by the rule in ``REGIME_RULE`` (shown beside the
map). Trajectories are reduced chunk by chunk; only the metric grids are kept.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from concurrent.futures import Executor
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd
import param

from nexus_panel.analysis.chunks import Progress, per_run_metrics, run_durations
from nexus_panel.analysis.response import REGIME_RULE, REGIMES, classify
from nexus_panel.analysis.saved import json_value
from nexus_panel.analysis.specs import (
    METRICS,
    SpecBase,
    bound_error,
    chunk_param,
    parameter_selector,
    scenario_param,
    slider_range,
    task_memory_errors,
)
from nexus_panel.engine.batch import BatchPlan
from nexus_panel.models import FieldError

MAP_METRICS: tuple[str, ...] = (
    "settling_time", "overshoot_pct", "steady_state_error", "oscillations",
    "phi_saturated_fraction", "collapsed", "final_N",
)
MAX_POINTS = 201


def _points(label: str) -> param.Integer:
    return param.Integer(21, bounds=(2, MAX_POINTS), label=label,
                         doc=f"Grid points along this axis (at most {MAX_POINTS}).")


def _end(label: str) -> param.Number:
    return param.Number(None, allow_None=True, label=label,
                        doc="Axis end; empty = the end of the parameter's slider range.")


class StabilitySpec(SpecBase):
    """The two axes of the map (any engine parameters) and their grids."""

    scenario = scenario_param()
    x_parameter = parameter_selector("K_p", "Parameter on the horizontal axis.", "X parameter")
    x_low = _end("X from")
    x_high = _end("X to")
    x_points = _points("X points")
    y_parameter = parameter_selector("K_i", "Parameter on the vertical axis.", "Y parameter")
    y_low = _end("Y from")
    y_high = _end("Y to")
    y_points = _points("Y points")
    chunk_size = chunk_param()

    def axis(self, which: str) -> np.ndarray:
        name = getattr(self, f"{which}_parameter")
        lo, hi = slider_range(name)
        low = getattr(self, f"{which}_low")
        high = getattr(self, f"{which}_high")
        return np.linspace(lo if low is None else low, hi if high is None else high,
                           getattr(self, f"{which}_points"))

    def _cross_errors(self) -> list[FieldError]:
        out: list[FieldError] = []
        if self.x_parameter == self.y_parameter:
            out.append(FieldError("y_parameter", self.y_parameter,
                                  f"a parameter other than x_parameter ({self.x_parameter})"))
        for which in ("x", "y"):
            values = self.axis(which)
            name = getattr(self, f"{which}_parameter")
            for end, value in ((f"{which}_low", values[0]), (f"{which}_high", values[-1])):
                err = bound_error(name, end, float(value))
                if err is not None:
                    out.append(err)
            if values[0] >= values[-1]:
                out.append(FieldError(f"{which}_low", float(values[0]),
                                      f"less than {which}_high ({values[-1]:g})"))
        runs = self.x_points * self.y_points  # every run keeps N(t) for its response metrics
        return out + task_memory_errors("a stability map", self.base_scenario.params.num_steps,
                                        min(self.chunk_size, runs))


@dataclass
class StabilityResult:
    """Metric grids indexed [y, x], the regime grid and the rule that made it."""

    spec: StabilitySpec
    x: np.ndarray
    y: np.ndarray
    metrics: dict[str, np.ndarray]  # name -> (len(y), len(x))
    regimes: np.ndarray  # (len(y), len(x)) of regime names
    rule: str
    seconds: float

    @property
    def n_runs(self) -> int:
        return len(self.x) * len(self.y)

    def table(self) -> pd.DataFrame:
        """One row per grid cell: both parameters, every metric and the regime."""
        xs, ys = np.meshgrid(self.x, self.y)  # [y, x], like the grids
        data = {self.spec.x_parameter: xs.ravel(), self.spec.y_parameter: ys.ravel(),
                **{k: v.ravel() for k, v in self.metrics.items()},
                "regime": self.regimes.ravel()}
        return pd.DataFrame(data).rename_axis("cell")

    def report(self) -> str:
        """The CLI's text report: grid size, regime counts, the rule."""
        return "\n".join([
            f"Stability map — {self.seconds:.3f} s",
            f"{self.spec.x_parameter} x {self.spec.y_parameter}: "
            f"{len(self.x)} x {len(self.y)} cells",
            "regimes: " + ", ".join(f"{k} {v}" for k, v in self.regime_counts().items()),
            self.rule])

    def regime_counts(self) -> dict[str, int]:
        return {r: int((self.regimes == r).sum()) for r in REGIMES}

    def to_dict(self) -> dict[str, Any]:
        def grid(a: np.ndarray) -> list[list[float | None]]:
            return [[json_value(v) for v in row] for row in a]

        return {"analysis": "stability", "spec": self.spec.to_dict(), "x": self.x.tolist(),
                "y": self.y.tolist(),
                "metrics": {k: grid(v) for k, v in self.metrics.items()},
                "regimes": self.regimes.tolist(), "rule": self.rule,
                "regime_counts": self.regime_counts(), "seconds": self.seconds}

    def arrays(self) -> dict[str, np.ndarray]:
        """The metric grids exactly (JSON writes inf and NaN alike as null)."""
        return {f"metric.{k}": v for k, v in self.metrics.items()}

    @classmethod
    def from_dict(cls, data: dict[str, Any], spec: StabilitySpec,
                  arrays: dict[str, np.ndarray]) -> StabilityResult:
        """The result again, from ``to_dict()`` and ``arrays()`` (no run needed)."""
        return cls(spec=spec, x=np.asarray(data["x"], dtype=float),
                   y=np.asarray(data["y"], dtype=float),
                   metrics={k: np.asarray(arrays[f"metric.{k}"]) for k in data["metrics"]},
                   regimes=np.asarray(data["regimes"], dtype=str), rule=data["rule"],
                   seconds=float(data["seconds"]))


def run_stability(
    spec: StabilitySpec,
    *,
    executor: Executor | None = None,
    progress: Progress | None = None,
    cancel: Callable[[], bool] | None = None,
) -> StabilityResult:
    began = time.perf_counter()
    spec.validate()
    x, y = spec.axis("x"), spec.axis("y")
    gx, gy = np.meshgrid(x, y)  # [y, x]
    overrides = {spec.x_parameter: gx.ravel(), spec.y_parameter: gy.ravel()}
    scenario = spec.base_scenario
    plan = BatchPlan(scenario, overrides)
    values = per_run_metrics(plan, response=True, chunk_size=spec.chunk_size,
                             executor=executor, progress=progress, cancel=cancel)
    column = {name: values[:, i] for i, name in enumerate(METRICS)}
    regimes = classify(column["settling_time"], column["oscillations"], column["collapsed"],
                       column["phi_saturated_fraction"], run_durations(plan))
    shape = gx.shape
    return StabilityResult(
        spec=spec, x=x, y=y,
        metrics={m: column[m].reshape(shape) for m in MAP_METRICS},
        regimes=regimes.reshape(shape), rule=REGIME_RULE,
        seconds=time.perf_counter() - began)

