"""Controller view: how N answers a shock under one or more sets of PID gains.

A shock is a step of size ``shock_size`` in one constant input at step ``shock_at``
(e.g. consumption C_cons jumps from 60 to 80), or a start away from the target
(``N_initial`` = N_target + shock_size, at step 0). Each gain set is one full run
(``simulate``), so the view can draw N(t) and Phi(t) side by side; the metrics are those
of :mod:`nexus_panel.analysis.response`, measured from the shock, plus the share of
steps with Phi at its limit.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from typing import Any, ClassVar

import numpy as np
import pandas as pd
import param

from nexus_panel.analysis.response import classify, response_table
from nexus_panel.analysis.saved import frame_from_rows, frame_rows
from nexus_panel.analysis.specs import MAX_TASK_BYTES, RESPONSE_FIELDS, SpecBase, scenario_param
from nexus_panel.engine import COLUMNS, SimulationResult, simulate
from nexus_panel.models import INPUT_NAMES, EngineParams, FieldError, Scenario

GAINS: tuple[str, ...] = ("K_p", "K_i", "K_d")
SHOCKS: tuple[str, ...] = (*INPUT_NAMES, "N_initial")
MAX_SETS = 12
TABLE_FIELDS: tuple[str, ...] = (
    "rise_time", "settling_time", "overshoot_pct", "steady_state_error", "peak_deviation",
    "phi_saturated_fraction",
)


SETTLE_BAND = 0.02
"""The start-up transient is over once N stays within this share of its final value."""
_SETTLED: dict[str, int] = {}


def settled_step(scenario: Scenario) -> int:
    """First step after which N of ``scenario`` (unshocked) stays within SETTLE_BAND of its
    final value. Remembered per content hash: the form asks on every change."""
    key = scenario.content_hash()
    if key not in _SETTLED:
        n = simulate(scenario).frame["N"].to_numpy()
        outside = np.nonzero(np.abs(n - n[-1]) > SETTLE_BAND * max(abs(n[-1]), 1e-9))[0]
        if len(_SETTLED) > 256:
            _SETTLED.clear()
        _SETTLED[key] = int(outside[-1]) + 1 if len(outside) else 0
    return _SETTLED[key]


def with_gains(scenario: Scenario, gains: Any) -> Scenario:
    """``scenario`` with the PID gains of ``gains`` (a GainSet)."""
    data = scenario.to_dict()
    data["params"].update({g: getattr(gains, g) for g in GAINS})
    return Scenario.from_dict(data)


def _gain(name: str) -> param.Number:
    """The gain as declared on EngineParams (same bounds, step, label and help)."""
    p = EngineParams.param[name]
    return param.Number(p.default, bounds=p.bounds, softbounds=p.softbounds, step=p.step,
                        label=p.label, doc=p.doc)


class GainSet(SpecBase):
    """One set of PID gains to compare."""

    label = param.String(default="", doc="Name shown in the legend; empty = the gains.")
    K_p = _gain("K_p")
    K_i = _gain("K_i")
    K_d = _gain("K_d")

    def title(self) -> str:
        return self.label or f"K_p={self.K_p:g}, K_i={self.K_i:g}, K_d={self.K_d:g}"


class ControllerSpec(SpecBase):
    """The shock and the gain sets to compare."""

    _items: ClassVar[dict[str, type[SpecBase]]] = {"gain_sets": GainSet}

    scenario = scenario_param()
    gain_sets = param.List(default=[], item_type=GainSet, precedence=-1,
                           doc=f"Up to {MAX_SETS} gain sets; none = the scenario's gains.")
    shock_input = param.Selector(default="C_cons", objects=list(SHOCKS), label="Shock in",
                                 doc="The input that steps (it must be a constant signal), "
                                     "or N_initial for a start away from the target.")
    shock_size = param.Number(20.0, bounds=(-1e6, 1e6), softbounds=(-200, 200), step=1.0,
                              label="Shock size", doc="Size of the step (units of the input, "
                                                      "or of N for N_initial).")
    shock_at = param.Integer(None, allow_None=True, bounds=(0, 1_000_000), label="Shock at step",
                             doc="Step index of the shock; empty = once the run without the "
                                 "shock has settled (N within 2 % of its final value), so rise "
                                 "and settling times measure the shock, not the start-up; a "
                                 "quarter into the run if it has not settled by three quarters. "
                                 "Ignored for N_initial (step 0).")

    def shock_step(self) -> int:
        if self.shock_input == "N_initial":
            return 0
        if self.shock_at is not None:
            return self.shock_at
        n = self.base_scenario.params.num_steps
        settled = max(settled_step(with_gains(self.base_scenario, g)) for g in self.sets())
        return max(settled, n // 10) if settled <= 3 * n // 4 else n // 4

    def sets(self) -> list[GainSet]:
        if self.gain_sets:
            return list(self.gain_sets)
        p = self.base_scenario.params
        return [GainSet(label="scenario gains", K_p=p.K_p, K_i=p.K_i, K_d=p.K_d)]

    def _cross_errors(self) -> list[FieldError]:
        out: list[FieldError] = []
        scenario = self.base_scenario
        if len(self.gain_sets) > MAX_SETS:
            out.append(FieldError("gain_sets", len(self.gain_sets), f"at most {MAX_SETS} sets"))
        out += self._memory_errors(scenario.params.num_steps)
        if self.shock_input == "N_initial":
            value = scenario.params.N_target + self.shock_size
            if value < 0:
                out.append(FieldError("shock_size", self.shock_size,
                                      f"at least -N_target ({-scenario.params.N_target:g}) so "
                                      "N_initial stays ≥ 0"))
            return out
        if self.shock_step() >= scenario.params.num_steps:
            out.append(FieldError("shock_at", self.shock_at,
                                  f"less than num_steps ({scenario.params.num_steps})"))
        signal = scenario.inputs.signals()[self.shock_input]
        if signal.kind != "constant":
            out.append(FieldError("shock_input", self.shock_input,
                                  f"an input whose signal is constant ({self.shock_input} is "
                                  f"{signal.kind})"))
        return out

    def _memory_errors(self, num_steps: int) -> list[FieldError]:
        # Every gain set keeps its whole run (16 float64 columns) for the side-by-side plots.
        sets = max(1, len(self.gain_sets))
        per_point = sets * len(COLUMNS) * 8
        if (num_steps + 1) * per_point <= MAX_TASK_BYTES:
            return []
        most = MAX_TASK_BYTES // per_point - 1
        return [FieldError("scenario.params.num_steps", num_steps,
                           f"at most {most:,} for {sets} gain sets (each keeps its full run; "
                           f"together at most {MAX_TASK_BYTES // 2**20} MiB)")]

    def shocked_scenario(self) -> Scenario:
        """The base scenario with the shock applied."""
        scenario = self.base_scenario
        data = scenario.to_dict()
        if self.shock_input == "N_initial":
            data["params"]["N_initial"] = scenario.params.N_target + self.shock_size
        else:
            level = scenario.inputs.signals()[self.shock_input].value
            data["inputs"][self.shock_input] = {
                "kind": "step", "initial": level, "final": level + self.shock_size,
                "step_at": self.shock_step()}
        return Scenario.from_dict(data)


@dataclass
class ControllerResult:
    """One full run per gain set, and their metrics side by side."""

    spec: ControllerSpec
    labels: list[str]
    runs: list[SimulationResult]
    metrics: pd.DataFrame  # index: label; TABLE_FIELDS + regime
    shock_step: int
    seconds: float

    @property
    def n_runs(self) -> int:
        return len(self.labels)

    def table(self) -> pd.DataFrame:
        """Each gain set's response metrics and regime."""
        return self.metrics

    def report(self) -> str:
        """The CLI's text report: the shock and each gain set's metrics."""
        return "\n".join([
            f"Controller — {self.seconds:.3f} s",
            f"shock: {self.spec.shock_input} {self.spec.shock_size:+g} at step "
            f"{self.shock_step}",
            self.metrics.to_string()])

    def to_dict(self) -> dict[str, Any]:
        return {"analysis": "controller", "spec": self.spec.to_dict(),
                "shock_step": self.shock_step, "labels": list(self.labels),
                "metrics": frame_rows(self.metrics), "seconds": self.seconds}

    def arrays(self) -> dict[str, np.ndarray]:
        """Each gain set's full run (``SimulationResult.to_bytes``) as a byte array."""
        return {f"run.{i}": np.frombuffer(run.to_bytes(), dtype=np.uint8)
                for i, run in enumerate(self.runs)}

    @classmethod
    def from_dict(cls, data: dict[str, Any], spec: ControllerSpec,
                  arrays: dict[str, np.ndarray]) -> ControllerResult:
        """The result again, from ``to_dict()`` and ``arrays()`` (no run needed)."""
        labels = list(data["labels"])
        runs = [SimulationResult.from_bytes(np.asarray(arrays[f"run.{i}"]).tobytes())
                for i in range(len(labels))]
        metrics = frame_from_rows(data["metrics"], "gains")
        return cls(spec=spec, labels=labels, runs=runs, metrics=metrics,
                   shock_step=int(data["shock_step"]), seconds=float(data["seconds"]))


def run_controller(spec: ControllerSpec) -> ControllerResult:
    """Run the shocked scenario once per gain set and measure each response."""
    began = time.perf_counter()
    spec.validate()
    shocked = spec.shocked_scenario()
    k0 = spec.shock_step()
    sets = spec.sets()
    runs = [simulate(with_gains(shocked, gains)) for gains in sets]
    traj = np.array([r.frame["N"].to_numpy() for r in runs])
    params = shocked.params
    response = response_table(traj, np.full(len(runs), params.N_target),
                              np.full(len(runs), params.delta_t), k0)
    table = pd.DataFrame(response, columns=list(RESPONSE_FIELDS),
                         index=pd.Index([g.title() for g in sets], name="gains"))
    table["phi_saturated_fraction"] = [r.summary["phi_saturated_fraction"] for r in runs]
    table = table[[*TABLE_FIELDS, "oscillations", "collapsed"]]
    table["regime"] = classify(table["settling_time"].to_numpy(),
                               table["oscillations"].to_numpy(), table["collapsed"].to_numpy(),
                               table["phi_saturated_fraction"].to_numpy(),
                               params.delta_t * (params.num_steps - k0))
    return ControllerResult(spec=spec, labels=list(table.index), runs=runs, metrics=table,
                            shock_step=k0, seconds=time.perf_counter() - began)
