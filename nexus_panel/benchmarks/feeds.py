"""Feed figures: aligning a large feed, and what a feed input adds to a run.

Targets (issue 12): aligning a 1,000,000-row feed to a 100,000-step grid ≤ 200 ms (both
methods, a max_gap check included); a feed-driven simulate() of 10,000 steps within
1 ms of the same run given plain arrays. Both are the same simulate() call on the same
scenario: the feed run with its input arrays dropped before each call (so the feed is
aligned to the grid, its domain checked and the other inputs generated again), the
plain run with the arrays already at hand. The difference is what reading a feed costs;
the kernel alone is in the note.
"""

from __future__ import annotations

import numpy as np

from nexus_panel.benchmarks import Figure, median_seconds, quick, selected
from nexus_panel.engine import simulate
from nexus_panel.engine.kernel import COLUMNS, SUMMARY_FIELDS, run_one
from nexus_panel.engine.result import make_frame, summary_dict
from nexus_panel.engine.simulate import run_inputs
from nexus_panel.feeds.align import align, grid_times
from nexus_panel.feeds.series import make_series, register
from nexus_panel.models import EngineParams, Inputs, Scenario

ALIGN_ROWS = 1_000_000
ALIGN_STEPS = 100_000
RUN_STEPS = 10_000


def _align() -> list[Figure]:
    rows = 100_000 if quick() else ALIGN_ROWS
    rng = np.random.default_rng(5)
    times = np.cumsum(rng.exponential(1.0, rows))
    values = rng.normal(100.0, 10.0, rows)
    grid = grid_times(float(times[0]), ALIGN_STEPS, float(times[-1] - times[0]) / ALIGN_STEPS,
                      1.0)
    out = []
    for method in ("previous", "linear"):
        name = f"feeds.align_1m_rows_100k_steps_{method}"
        if not selected(name):
            continue
        seconds = median_seconds(lambda m=method: align(times, values, grid, method=m,
                                                        max_gap=5.0), repeats=7)
        out.append(Figure(name, seconds, 0.2, f"{rows:,} rows onto {ALIGN_STEPS:,} steps, "
                          "gap policy hold with max_gap"))
    return out


def _feed_run() -> list[Figure]:
    name = "feeds.simulate_feed_minus_plain_arrays_10k"
    if not selected(name):
        return []
    times = np.arange(RUN_STEPS, dtype=np.float64)
    series = make_series(times, {"h": 100.0 + 10.0 * np.sin(times / 50.0)})
    register(series)
    spec = {"kind": "feed", "feed": "bench", "column": "h", "sha256": series.sha256,
            "method": "linear"}
    scenario = Scenario(params=EngineParams(num_steps=RUN_STEPS, delta_t=1.0),
                        inputs=Inputs.from_dict({"H": spec}))
    vector, inputs, _ = run_inputs(scenario)
    summary = np.empty(len(SUMMARY_FIELDS))

    def with_feed() -> None:
        scenario._derived.pop("run_inputs", None)  # the arrays come from the feed again
        simulate(scenario)

    def kernel_only() -> None:
        out = np.empty((RUN_STEPS + 1, len(COLUMNS)), order="F")
        run_one(vector, inputs, out, summary)
        make_frame(out), summary_dict(summary)

    fed = median_seconds(with_feed, repeats=41)
    plain = median_seconds(lambda: simulate(scenario), repeats=41)
    kernel = median_seconds(kernel_only, repeats=41)
    return [Figure(name, fed - plain, 0.001,
                   f"simulate() reading a 10,000-row feed (linear) {fed * 1e3:.3f} ms - the "
                   f"same simulate() "
                   f"given the arrays {plain * 1e3:.3f} ms (kernel alone "
                   f"{kernel * 1e3:.3f} ms)")]


def figures() -> list[Figure]:
    return _align() + _feed_run()
