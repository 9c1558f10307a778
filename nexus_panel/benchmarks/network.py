"""Network figures: agents on a graph, the whole ``run_network`` (graph built with networkx,
agents drawn, kernel, snapshots and inequality) as a user runs it.

Targets (issue 15, 2-core machine): 1,000 agents x 1,000 steps on Barabási–Albert (m = 3)
within 2x the plain-Python 10,000-step loop (the baseline, measured again here so the
target is in the same run); 100,000 agents x 1,000 steps within 10 s, with the peak
resident memory of a fresh process doing it (Python, numba, networkx included) at most
1 GiB (measured in a subprocess: ``ru_maxrss`` of that process alone).
"""

from __future__ import annotations

import json
import subprocess
import sys

from nexus_panel.analysis.network import run_network
from nexus_panel.analysis.network_spec import NetworkSpec
from nexus_panel.benchmarks import Figure, median_seconds, quick, selected
from nexus_panel.benchmarks.engine import _baseline

MEMORY_TARGET_MIB = 1024

_PEAK = """
import json, resource, sys, time
from nexus_panel.analysis.network import run_network
from nexus_panel.analysis.network_spec import NetworkSpec
spec = NetworkSpec.from_dict(json.loads(sys.argv[1]))
t = time.perf_counter()
run_network(spec)
print(json.dumps({"seconds": time.perf_counter() - t,
                  "peak_mib": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024}))
"""


def spec_of(agents: int, steps: int) -> NetworkSpec:
    return NetworkSpec.from_dict({
        "agents": agents, "graph": {"kind": "barabasi_albert", "m": 3},
        "transfer_rate": 0.05, "network_effect": 0.1, "seed": 1,
        "heterogeneity": [{"parameter": "H", "distribution": "lognormal", "sigma": 0.8},
                          {"parameter": "holdings", "distribution": "lognormal",
                           "sigma": 1.0}],
        "scenario": {"params": {"num_steps": steps}}})


def _small() -> list[Figure]:
    spec = spec_of(1000, 1000)
    seconds = median_seconds(lambda: run_network(spec), repeats=15, quick_repeats=3)
    loop = _baseline().seconds
    return [Figure("network.ba_1k_agents_1k_steps", seconds, 2 * loop,
                   f"1,000 agents x 1,000 steps, BA m=3, 2 weights drawn, tau 0.05, nu 0.1, "
                   f"graph built each run; target 2 x the 10,000-step Python loop "
                   f"({loop * 1e3:.1f} ms in this run): {seconds / loop:.2f}x; "
                   f"{seconds / 1e6 * 1e9:.1f} ns per agent-step")]


def _large() -> list[Figure]:
    steps = 100 if quick() else 1000
    spec = spec_of(100_000, steps)
    seconds = median_seconds(lambda: run_network(spec), repeats=3, quick_repeats=1)
    probe = subprocess.run([sys.executable, "-c", _PEAK, json.dumps(spec.to_dict())],
                           capture_output=True, text=True, check=True, timeout=600)
    peak = json.loads(probe.stdout.splitlines()[-1])["peak_mib"]
    verdict = "ok" if peak <= MEMORY_TARGET_MIB else "MISSED"
    return [Figure(f"network.ba_100k_agents_{steps // 1000 or 0.1}k_steps", seconds,
                   10.0 if steps == 1000 else None,
                   f"100,000 agents x {steps:,} steps, as above; "
                   f"{seconds / (1e5 * steps) * 1e9:.1f} ns per agent-step; peak resident "
                   f"memory of a fresh process running it {peak:.0f} MiB (target ≤ "
                   f"{MEMORY_TARGET_MIB} MiB: {verdict})")]


def figures() -> list[Figure]:
    out: list[Figure] = []
    if selected("network.ba_1k"):
        out += _small()
    if selected("network.ba_100k"):
        out += _large()
    return out
