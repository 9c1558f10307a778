"""Which parameters matter: Sobol indices, Morris screening (via SALib) and a tornado.

- **Sobol** (variance-based, global): SALib's Saltelli/Sobol' sample of N base points,
  N (2D + 2) runs with second-order indices or N (D + 2) without; first-order S1 and total
  ST indices with bootstrap confidence intervals (``conf_level``).
- **Morris** (elementary effects, screening): N trajectories of D + 1 runs on a
  ``num_levels`` grid; mu* (mean |elementary effect|, in output units per parameter
  range), its bootstrap CI, and sigma (spread: non-linearity or interaction).
- **One at a time (tornado)**: each parameter moved from the scenario's value by
  ±``oat_fraction`` of its range, the others held; the bars are the output change in %
  of the baseline output (absolute change when the baseline is 0). Moving every
  parameter by the same share of its own range is what makes parameters of very
  different scales comparable.

Parameters vary uniformly over [low, high] (default: the slider range). Outputs are any
per-run metrics (summary fields and response metrics).
"""

from __future__ import annotations

import time
import warnings
from collections.abc import Callable
from concurrent.futures import Executor
from dataclasses import dataclass, field
from typing import Any, ClassVar

import numpy as np
import pandas as pd
import param

from nexus_panel.analysis.chunks import Progress, per_run_metrics
from nexus_panel.analysis.saved import frame_from_rows, frame_rows, json_value
from nexus_panel.analysis.specs import (
    METRICS,
    RESPONSE_FIELDS,
    SpecBase,
    bound_error,
    chunk_param,
    parameter_selector,
    scenario_param,
    seed_param,
    slider_range,
    task_memory_errors,
)
from nexus_panel.engine.batch import BatchPlan
from nexus_panel.engine.kernel import SUMMARY_FIELDS
from nexus_panel.models import FieldError

METHODS: tuple[str, ...] = ("sobol", "morris", "oat")


class ParameterRange(SpecBase):
    """One parameter and the interval it is varied over."""

    parameter = parameter_selector("alpha", "The engine parameter to vary.")
    low = param.Number(None, allow_None=True, label="Low",
                       doc="Lower end; empty = the slider's lower end.")
    high = param.Number(None, allow_None=True, label="High",
                        doc="Upper end; empty = the slider's upper end.")

    def interval(self) -> tuple[float, float]:
        lo, hi = slider_range(self.parameter)
        return (lo if self.low is None else self.low, hi if self.high is None else self.high)

    def _cross_errors(self) -> list[FieldError]:
        lo, hi = self.interval()
        out = [e for e in (bound_error(self.parameter, "low", lo),
                           bound_error(self.parameter, "high", hi)) if e is not None]
        if lo >= hi:
            out.append(FieldError("low", lo, f"less than high ({hi:g})"))
        return out


class SensitivitySpec(SpecBase):
    """Method, parameters, outputs and sample size of a sensitivity analysis."""

    _items: ClassVar[dict[str, type[SpecBase]]] = {"parameters": ParameterRange}

    scenario = scenario_param()
    method = param.Selector(default="sobol", objects=list(METHODS), label="Method",
                            doc="sobol: variance-based indices; morris: elementary-effects "
                                "screening; oat: one-at-a-time tornado.")
    parameters = param.List(default=[], item_type=ParameterRange, precedence=-1,
                            doc="The parameters to vary (at least two for sobol/morris).")
    outputs = param.ListSelector(default=["final_N"], objects=list(METRICS), label="Outputs",
                                 doc="Per-run metrics to explain.")
    n_base = param.Integer(256, bounds=(2, 65536), label="Base samples N",
                           doc="Sobol: base sample size (a power of 2); Morris: trajectories.")
    second_order = param.Boolean(True, label="Second-order indices (Sobol)",
                                 doc="Also estimate pairwise interactions S2; costs "
                                     "N (2D + 2) runs instead of N (D + 2).")
    num_levels = param.Integer(4, bounds=(2, 20), label="Morris grid levels",
                               doc="Levels of the Morris grid (an even number is usual).")
    num_resamples = param.Integer(100, bounds=(10, 10000), label="Bootstrap resamples",
                                  doc="Resamples for the confidence intervals.")
    conf_level = param.Number(0.95, bounds=(0.5, 0.999), label="Confidence level",
                              doc="Level of the bootstrap confidence intervals.")
    oat_fraction = param.Number(0.1, bounds=(0, 1), inclusive_bounds=(False, True),
                                label="Tornado step (share of range)",
                                doc="One-at-a-time: each parameter moves by ± this share of "
                                    "its range from the scenario's value.")
    master_seed = seed_param()
    chunk_size = chunk_param()

    def _cross_errors(self) -> list[FieldError]:
        out: list[FieldError] = []
        names = [p.parameter for p in self.parameters]
        least = 1 if self.method == "oat" else 2
        if len(set(names)) != len(names) or len(names) < least:
            out.append(FieldError("parameters", names,
                                  f"at least {least} different parameter(s)"))
        if self.method == "sobol" and self.n_base & (self.n_base - 1):
            out.append(FieldError("n_base", self.n_base, "a power of 2 for Sobol sampling"))
        if any(o in RESPONSE_FIELDS for o in self.outputs):  # runs keep N(t) for these
            out += task_memory_errors("a sensitivity analysis of response metrics",
                                      self.base_scenario.params.num_steps, self.chunk_size)
        return out

    def problem(self) -> dict[str, Any]:
        """The SALib problem definition."""
        return {"num_vars": len(self.parameters),
                "names": [p.parameter for p in self.parameters],
                "bounds": [list(p.interval()) for p in self.parameters]}


@dataclass
class SensitivityResult:
    """Indices per output: a frame with one row per parameter (and S2 for Sobol)."""

    spec: SensitivitySpec
    indices: dict[str, pd.DataFrame]
    second_order: dict[str, pd.DataFrame]
    n_runs: int
    seconds: float
    notes: list[str] = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        return {"analysis": "sensitivity", "spec": self.spec.to_dict(),
                "indices": {k: frame_rows(v) for k, v in self.indices.items()},
                "columns": {k: list(v.columns) for k, v in self.indices.items()},
                "attrs": {k: {a: json_value(x) for a, x in v.attrs.items()}
                          for k, v in self.indices.items() if v.attrs},
                "second_order": {k: frame_rows(v) for k, v in self.second_order.items()},
                "n_runs": self.n_runs, "seconds": self.seconds, "notes": self.notes}

    def table(self) -> pd.DataFrame:
        """Every output's indices, one row per (output, parameter)."""
        frames = [frame.assign(output=output).set_index("output", append=True)
                  .reorder_levels(["output", frame.index.name or "parameter"])
                  for output, frame in self.indices.items() if frame.shape[1]]
        return pd.concat(frames) if frames else pd.DataFrame()

    def report(self) -> str:
        """The CLI's text report: the index table of every output, then the notes."""
        lines = [f"Sensitivity — {self.seconds:.3f} s",
                 f"{self.n_runs} runs, method {self.spec.method}"]
        for output, frame in self.indices.items():
            if frame.shape[1]:
                lines += [f"[{output}]", frame.to_string()]
        return "\n".join(lines + self.notes)

    def arrays(self) -> dict[str, np.ndarray]:
        return {}  # the index tables are small: JSON holds them whole

    @classmethod
    def from_dict(cls, data: dict[str, Any], spec: SensitivitySpec,
                  arrays: dict[str, np.ndarray] | None = None) -> SensitivityResult:
        """The result again, from ``to_dict()`` (no run needed)."""
        columns = data.get("columns", {})
        indices = {}
        for k, rows in data["indices"].items():
            frame = frame_from_rows(rows, "parameter", columns.get(k))
            frame.attrs.update({a: np.nan if x is None else x
                                for a, x in data.get("attrs", {}).get(k, {}).items()})
            indices[k] = frame
        second = {k: frame_from_rows(rows, "pair", ["S2", "S2_conf"])
                  for k, rows in data["second_order"].items()}
        return cls(spec=spec, indices=indices, second_order=second, n_runs=int(data["n_runs"]),
                   seconds=float(data["seconds"]), notes=list(data.get("notes", [])))


def run_sensitivity(
    spec: SensitivitySpec,
    *,
    executor: Executor | None = None,
    progress: Progress | None = None,
    cancel: Callable[[], bool] | None = None,
) -> SensitivityResult:
    began = time.perf_counter()
    spec.validate()
    problem = spec.problem()
    x = _design(spec, problem)
    outputs = _evaluate(spec, x, executor, progress, cancel)
    indices: dict[str, pd.DataFrame] = {}
    second: dict[str, pd.DataFrame] = {}
    notes: list[str] = []
    for name in spec.outputs:
        y = outputs[name].to_numpy()
        global_method = spec.method != "oat"  # the tornado simply shows undefined ends
        if global_method and (not np.all(np.isfinite(y)) or np.ptp(y) == 0):
            notes.append(f"{name}: constant, or undefined (NaN, e.g. never settles) in some "
                         "runs; no indices.")
            indices[name] = pd.DataFrame(index=pd.Index(problem["names"], name="parameter"))
            continue
        if spec.method == "sobol":
            indices[name], second[name] = _sobol(spec, problem, y)
        elif spec.method == "morris":
            indices[name] = _morris(spec, problem, x, y)
        else:
            indices[name] = _tornado(spec, problem, y)
    return SensitivityResult(spec=spec, indices=indices, second_order=second, n_runs=len(x),
                             seconds=time.perf_counter() - began, notes=notes)


def _design(spec: SensitivitySpec, problem: dict[str, Any]) -> np.ndarray:
    """The parameter matrix (runs, D) to evaluate."""
    if spec.method == "sobol":
        from SALib.sample import sobol

        return sobol.sample(problem, spec.n_base, calc_second_order=spec.second_order,
                            seed=spec.master_seed)
    if spec.method == "morris":
        from SALib.sample import morris

        return morris.sample(problem, spec.n_base, num_levels=spec.num_levels,
                             seed=spec.master_seed)
    params = spec.base_scenario.params
    base = np.array([float(getattr(params, n)) for n in problem["names"]])
    rows = [base]
    for i, (lo, hi) in enumerate(problem["bounds"]):
        step = spec.oat_fraction * (hi - lo)
        for sign in (-1.0, 1.0):
            row = base.copy()
            row[i] = np.clip(base[i] + sign * step, lo, hi)
            rows.append(row)
    return np.array(rows)


def _evaluate(spec: SensitivitySpec, x: np.ndarray, executor: Executor | None,
              progress: Progress | None, cancel: Callable[[], bool] | None) -> pd.DataFrame:
    names = [p.parameter for p in spec.parameters]
    overrides = {n: x[:, i] for i, n in enumerate(names)}
    plan = BatchPlan(spec.base_scenario, overrides, n_runs=len(x), master_seed=spec.master_seed)
    response = any(o in RESPONSE_FIELDS for o in spec.outputs)
    values = per_run_metrics(plan, response=response, chunk_size=spec.chunk_size,
                             executor=executor, progress=progress, cancel=cancel)
    columns = list(SUMMARY_FIELDS) + (list(RESPONSE_FIELDS) if response else [])
    return pd.DataFrame(values, columns=columns)


def _sobol(spec: SensitivitySpec, problem: dict[str, Any],
           y: np.ndarray) -> tuple[pd.DataFrame, pd.DataFrame]:
    from SALib.analyze import sobol

    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)  # bootstrap of near-constant output
        si = sobol.analyze(problem, y, calc_second_order=spec.second_order,
                           num_resamples=spec.num_resamples, conf_level=spec.conf_level,
                           seed=spec.master_seed)
    names = problem["names"]
    frame = pd.DataFrame({"S1": si["S1"], "S1_conf": si["S1_conf"], "ST": si["ST"],
                          "ST_conf": si["ST_conf"]},
                         index=pd.Index(names, name="parameter"))
    pairs = []
    if spec.second_order:
        for i in range(len(names)):
            for j in range(i + 1, len(names)):
                pairs.append({"pair": f"{names[i]} × {names[j]}", "S2": si["S2"][i, j],
                              "S2_conf": si["S2_conf"][i, j]})
    second = pd.DataFrame(pairs, columns=["pair", "S2", "S2_conf"]).set_index("pair")
    return frame, second


def _morris(spec: SensitivitySpec, problem: dict[str, Any], x: np.ndarray,
            y: np.ndarray) -> pd.DataFrame:
    from SALib.analyze import morris

    si = morris.analyze(problem, x, y, num_resamples=spec.num_resamples,
                        conf_level=spec.conf_level, num_levels=spec.num_levels,
                        seed=spec.master_seed)
    return pd.DataFrame({"mu": si["mu"], "mu_star": si["mu_star"],
                         "mu_star_conf": si["mu_star_conf"], "sigma": si["sigma"]},
                        index=pd.Index(problem["names"], name="parameter"))


def _tornado(spec: SensitivitySpec, problem: dict[str, Any], y: np.ndarray) -> pd.DataFrame:
    baseline = y[0]
    low, high = y[1::2], y[2::2]
    scale = abs(baseline) / 100.0 if baseline != 0 else 1.0
    frame = pd.DataFrame({"low_change": (low - baseline) / scale,
                          "high_change": (high - baseline) / scale},
                         index=pd.Index(problem["names"], name="parameter"))
    frame["swing"] = (frame["high_change"] - frame["low_change"]).abs()
    frame.attrs["unit"] = "% of baseline" if baseline != 0 else "output units"
    frame.attrs["baseline"] = float(baseline)
    return frame.sort_values("swing", ascending=False)
