"""Verification: execute the generated code and compare it with the reference, every step.

``verify(scenario, language)`` generates the contract (Solidity) or crate (Rust), compiles
it, drives it with the scenario's own inputs (``Scenario.inputs.arrays`` in fixed point)
and compares what it computed -- N after every step and the step's S, I, B and Phi --
with :func:`nexus_panel.contracts.reference.run`, integer for integer. It also measures
how far the executed trajectory is from the float engine (``simulate``).

Verification length is capped (:data:`STEP_CAPS`): py-evm executes some 60 steps per
second, and the Python reference some 50,000, so longer scenarios verify their first
``cap`` steps and say so (``capped``).
"""

from __future__ import annotations

import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from nexus_panel.contracts.codegen import LANGUAGES, check_language
from nexus_panel.contracts.fixedpoint import to_fixed_array, to_float_array
from nexus_panel.contracts.generated import GeneratedCode
from nexus_panel.contracts.reference import Trajectory, fixed_params, run
from nexus_panel.models import FieldError, Scenario, ValidationError

STEP_CAPS: dict[str, int] = {"solidity": 2_000, "rust": 200_000}
"""The most steps one verification executes, per language."""

Progress = Callable[[int, int], None]


@dataclass
class Verification:
    """What a verification found. ``ok``: every compared value equal, same length."""

    language: str
    name: str
    steps: int
    """Steps compared (the scenario's num_steps, or the cap)."""
    num_steps: int
    cap: int
    max_abs_diff: int
    """Largest |executed - reference| over every compared value, in fixed-point units."""
    mismatched_steps: int
    first_mismatch: int | None
    reference_failed_at: int | None
    executed_failed_at: int | None
    engine_max_rel_diff: float
    """max |N_executed - N_engine| / max(1, max |N_engine|) over the compared steps."""
    N_executed: np.ndarray
    N_engine: np.ndarray
    gas: list[int] = field(default_factory=list)
    deploy_gas: int | None = None
    timings: dict[str, float] = field(default_factory=dict)
    tool_version: str = ""

    @property
    def capped(self) -> bool:
        """Whether the scenario has more steps than one verification executes."""
        return self.num_steps > self.cap

    @property
    def ok(self) -> bool:
        return (self.max_abs_diff == 0 and self.mismatched_steps == 0
                and self.reference_failed_at == self.executed_failed_at)

    @property
    def gas_per_step(self) -> float | None:
        return float(np.mean(self.gas)) if self.gas else None

    @property
    def engine_max_abs_diff(self) -> float:
        return float(np.max(np.abs(self.N_executed - self.N_engine[:len(self.N_executed)])))

    def summary_lines(self) -> list[str]:
        """What was found, as plain sentences (the CLI prints them, the page shows them)."""
        where = "py-evm" if self.language == "solidity" else "the Rust binary"
        verdict = ("equal to the fixed-point reference at every step" if self.ok else
                   f"DIFFERENT from the fixed-point reference at {self.mismatched_steps} "
                   f"step(s), the first at step {self.first_mismatch}")
        lines = [f"{self.name}: {self.steps:,} of {self.num_steps:,} steps executed in "
                 f"{where}, {verdict}.",
                 f"Largest deviation from the fixed-point reference: {self.max_abs_diff} "
                 f"units of 1e-18."]
        if self.reference_failed_at is not None or self.executed_failed_at is not None:
            lines.append(f"Left the int128 range at step: reference {self.reference_failed_at}"
                         f", executed {self.executed_failed_at}.")
        if self.gas:
            lines.append(f"Gas per step: {self.gas_per_step:,.0f} on average (min "
                         f"{min(self.gas):,}, max {max(self.gas):,}); deployment "
                         f"{self.deploy_gas:,}.")
        lines.append(f"Largest deviation from the float engine: {self.engine_max_abs_diff:.3g}"
                     f" in N ({self.engine_max_rel_diff:.3g} relative to max(1, max |N|)).")
        if self.capped:
            lines.append(f"The scenario has {self.num_steps:,} steps; a {self.language} "
                         f"verification executes at most {self.cap:,}.")
        timing = ", ".join(f"{k} {v:.2f} s" for k, v in self.timings.items())
        lines.append(f"Timings: {timing}; {self.tool_version}.")
        return lines

    def to_json(self) -> dict[str, Any]:
        """The CLI's ``--json`` document (``gas_per_step`` is null for Rust)."""
        out: dict[str, Any] = {
            "language": self.language, "name": self.name, "ok": self.ok,
            "steps": self.steps, "num_steps": self.num_steps, "cap": self.cap,
            "capped": self.capped, "max_abs_diff": self.max_abs_diff,
            "mismatched_steps": self.mismatched_steps, "first_mismatch": self.first_mismatch,
            "reference_failed_at": self.reference_failed_at,
            "executed_failed_at": self.executed_failed_at,
            "engine_max_rel_diff": self.engine_max_rel_diff,
            "engine_max_abs_diff": self.engine_max_abs_diff,
            "gas_per_step": self.gas_per_step,
            "timings_s": {k: round(v, 4) for k, v in self.timings.items()},
            "tool_version": self.tool_version,
        }
        if self.gas:
            out.update(gas_min=min(self.gas), gas_max=max(self.gas), deploy_gas=self.deploy_gas)
        return out


def compare(reference: Trajectory, executed: Trajectory) -> tuple[int, int, int | None]:
    """(largest difference, steps with any difference, first such step) over the steps
    both computed; a step only one of them computed counts as a difference."""
    worst, bad, first = 0, 0, None
    common = min(reference.steps, executed.steps)
    ref, got = reference.series(), executed.series()
    for k in range(common):
        diff = max(abs(ref[key][k] - got[key][k]) for key in ref)
        if diff or reference.clamped[k] != executed.clamped[k]:
            worst = max(worst, diff)
            bad += 1
            first = k if first is None else first
    extra = max(reference.steps, executed.steps) - common
    if extra:
        bad += extra
        first = common if first is None else first
    return worst, bad, first


def check_steps(language: str, num_steps: int, steps: int | None) -> int:
    """The number of steps to verify: ``steps`` if given and allowed, else as many as the
    scenario has, up to the language's cap."""
    cap = STEP_CAPS[language]
    most = min(num_steps, cap)
    if steps is None:
        return most
    if isinstance(steps, bool) or not isinstance(steps, int) or not 1 <= steps <= most:
        raise ValidationError([FieldError("steps", steps, f"a whole number in [1, {most:,}] "
                                          f"(the scenario's steps, at most {cap:,} for "
                                          f"{language})")])
    return steps


def verify(scenario: Scenario, language: str, *, revision: int | None = None,
           steps: int | None = None, progress: Progress | None = None,
           cancelled: Callable[[], bool] | None = None,
           code: GeneratedCode | None = None) -> Verification:
    """Generate, compile and execute ``scenario``'s code and compare it with the reference.

    Raises ValidationError (a scenario that does not fit, a bad ``steps``), ToolchainError
    (a tool missing or failing) or ``evm.Cancelled``.
    """
    check_language(language)
    timings: dict[str, float] = {}
    start = time.perf_counter()
    fp, arrays = fixed_params(scenario)
    n = check_steps(language, fp.num_steps, steps)
    inputs = [to_fixed_array(row[:n]) for row in arrays]
    if code is None:
        code = LANGUAGES[language](scenario, fp, revision)
    timings["generate"] = time.perf_counter() - start
    start = time.perf_counter()
    reference = run(fp, inputs, n)
    timings["reference"] = time.perf_counter() - start
    extra: dict[str, Any] = {}
    if language == "solidity":
        from nexus_panel.contracts.evm import compile_solidity, execute

        start = time.perf_counter()
        compiled = compile_solidity(code)
        timings["compile"] = time.perf_counter() - start
        start = time.perf_counter()
        chain = execute(compiled, inputs, n, progress=progress, cancelled=cancelled)
        timings["execute"] = time.perf_counter() - start
        executed = chain.trajectory
        extra = {"gas": chain.gas, "deploy_gas": chain.deploy_gas,
                 "tool_version": f"solc {compiled.solc_version}"}
    else:
        from nexus_panel.contracts.native import build_crate, run_binary

        with tempfile.TemporaryDirectory(prefix="nexus-crate-") as directory:
            start = time.perf_counter()
            binary = build_crate(code, Path(directory))
            timings["compile"] = time.perf_counter() - start
            start = time.perf_counter()
            executed = run_binary(binary, inputs, n, fp.N_initial)
            timings["execute"] = time.perf_counter() - start
        if progress is not None:
            progress(n, n)
        extra = {"tool_version": "cargo (release build)"}
    worst, bad, first = compare(reference, executed)
    N_executed = to_float_array(executed.N)
    N_engine = _engine_N(scenario, n)
    scale = max(1.0, float(np.max(np.abs(N_engine))))
    common = min(len(N_executed), len(N_engine))
    rel = float(np.max(np.abs(N_executed[:common] - N_engine[:common]))) / scale
    return Verification(language, code.name, n, fp.num_steps, STEP_CAPS[language], worst, bad,
                        first, reference.failed_at, executed.failed_at, rel, N_executed,
                        N_engine, timings=timings, **extra)


def _engine_N(scenario: Scenario, steps: int) -> np.ndarray:
    from nexus_panel.engine import simulate

    return simulate(scenario).frame["N"].to_numpy()[:steps + 1]
