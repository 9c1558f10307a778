"""Contract figures: generating + compiling the Solidity, executing it in py-evm, building
the Rust crate and running its binary over a million steps, and the Python reference.

Targets (issue 16): generate + compile the Solidity ≤ 5 s; the Rust binary runs
1,000,000 steps ≤ 0.5 s (reading the inputs CSV and writing the trajectory CSV included).
py-evm's steps per second and the gas per step are reported in the notes. Needs node
with the pinned solc-js, cargo, and the ``contracts`` extra.
"""

from __future__ import annotations

import os
import resource
import subprocess
import tempfile
import time
from pathlib import Path

from nexus_panel.benchmarks import Figure, median_seconds, quick, selected
from nexus_panel.contracts import evm
from nexus_panel.contracts.codegen import LANGUAGES, generate
from nexus_panel.contracts.native import build_crate, inputs_csv
from nexus_panel.contracts.reference import fixed_scenario, run
from nexus_panel.models import EngineParams, Inputs, Scenario, Signal

EVM_STEPS = 1_000
RUST_STEPS = 1_000_000


def bench_scenario(num_steps: int) -> Scenario:
    """Defaults with a sinusoidal H and a random-walk consumption (varied numbers)."""
    return Scenario(name="bench", params=EngineParams(num_steps=num_steps),
                    inputs=Inputs(H=Signal(kind="sinusoidal"),
                                  C_cons=Signal(kind="random_walk", initial=60, volatility=2)))


def _compile_figure() -> Figure:
    scenario = bench_scenario(EVM_STEPS)

    def generate_and_compile() -> None:
        evm._compile.cache_clear()  # time the compiler, not the in-memory cache
        evm.compile_solidity(generate(scenario, "solidity"))

    seconds = median_seconds(generate_and_compile, repeats=3, warmup=1, quick_repeats=1)
    return Figure("contracts.generate_compile_solidity", seconds, 5.0,
                  "generate the contract + solc-js (optimizer on) in a new node process")


def _evm_figure() -> Figure:
    steps = 100 if quick() else EVM_STEPS
    scenario = bench_scenario(steps)
    fp, inputs = fixed_scenario(scenario)
    compiled = evm.compile_solidity(LANGUAGES["solidity"](scenario, fp, None))
    start = time.perf_counter()
    chain = evm.execute(compiled, inputs, steps)
    seconds = time.perf_counter() - start
    gas = sum(chain.gas) / len(chain.gas)
    equal = chain.trajectory.series() == run(fp, inputs, steps).series()
    return Figure(f"contracts.evm_{steps}_steps", seconds, None,
                  f"fresh py-evm chain + deploy + {steps:,} step transactions: "
                  f"{steps / seconds:.1f} steps/s, {gas:,.0f} gas per step on average, "
                  f"equal to the reference: {equal}")


def _child_cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def _rust_figures() -> list[Figure]:
    steps = 100_000 if quick() else RUST_STEPS
    scenario = bench_scenario(steps)
    fp, inputs = fixed_scenario(scenario)
    code = LANGUAGES["rust"](scenario, fp, None)
    with tempfile.TemporaryDirectory(prefix="nexus-bench-crate-") as directory:
        root = Path(directory)
        start = time.perf_counter()
        binary = build_crate(code, root / "crate")
        build = time.perf_counter() - start
        source = root / "inputs.csv"
        source.write_bytes(inputs_csv(inputs, steps))
        target = root / "trajectory.csv"
        cpu: list[float] = []

        def run_binary() -> None:
            before = _child_cpu()
            subprocess.run([str(binary), str(source), str(target)], check=True,
                           timeout=300)
            cpu.append(_child_cpu() - before)

        seconds = median_seconds(run_binary, repeats=5, quick_repeats=1)
        sizes = source.stat().st_size / 1e6, target.stat().st_size / 1e6
    cpu_median = sorted(cpu)[len(cpu) // 2]
    return [
        Figure(f"contracts.rust_binary_{steps}_steps", seconds,
               None if quick() else 0.5,
               f"read {sizes[0]:.0f} MB of inputs CSV, {steps:,} steps, write {sizes[1]:.0f} "
               f"MB of trajectory CSV (step,N,clamped); CPU time {cpu_median:.3f} s "
               f"(load average {os.getloadavg()[0]:.1f})"),
        Figure("contracts.cargo_build_release", build, None,
               "cargo build --release --offline of the generated std-only crate"),
    ]


def _reference_figure() -> Figure:
    fp, inputs = fixed_scenario(bench_scenario(10_000))
    seconds = median_seconds(lambda: run(fp, inputs), repeats=3, quick_repeats=1)
    return Figure("contracts.python_reference_10k_steps", seconds, None,
                  "the fixed-point reference in Python integers, 10,000 steps")


def figures() -> list[Figure]:
    out = []
    if selected("contracts.generate_compile_solidity"):
        out.append(_compile_figure())
    if selected("contracts.evm"):
        out.append(_evm_figure())
    if selected("contracts.rust") or selected("contracts.cargo"):
        out += _rust_figures()
    if selected("contracts.python_reference"):
        out.append(_reference_figure())
    return out
