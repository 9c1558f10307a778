"""Run a network economy: build each run's graph and agents, step the kernel, measure.

``run_network(spec)`` runs ``spec.runs`` independent runs (run r seeded by the r-th child
of ``SeedSequence(spec.seed)``: its graph and its agents' draws), one after another, each
parallel over agents inside the kernel. What it keeps is bounded whatever the size:

- every step: the aggregates of run 0 (``AGG_COLUMNS``, 13 float64 per step) and the
  aggregate N(t) of every run (8 bytes per step and run);
- every ``snapshot_interval()`` steps (and at the end): every agent's holding in run 0
  (8 bytes per agent and snapshot, at most ``MAX_TASK_BYTES`` by validation);
- while running: the agent arrays (about 15 float64 per agent) and the graph's CSR
  (12 bytes per stored entry, two per edge).

From the snapshots come the inequality over time (Gini, top-10 % share, Lorenz curves),
the holdings distribution and the per-community aggregates.
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable
from concurrent.futures import Executor
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from nexus_panel.analysis.chunks import Cancelled, Progress
from nexus_panel.analysis.network_graph import Network, build_network, table_columns
from nexus_panel.analysis.network_kernel import (
    A_F,
    A_FSD,
    A_FSH,
    A_FSM,
    A_PAYS,
    A_SC,
    A_SQ,
    AGENT_ROWS,
    AGG_COLUMNS,
    BLOCK,
    C_N,
    C_SUMX,
    C_T,
    PARALLEL_AGENTS,
    PARTIALS,
    Q_GD,
    Q_GE,
    Q_GH,
    Q_GM,
    Q_TAU,
    Q_THETA,
    Q_USE_G,
    SETTINGS,
    ST_CLAMPS,
    ST_CUR,
    ST_N,
    ST_SATURATED,
    ST_SUMX,
    ST_TOPUP,
    STATE,
    advance_parallel,
    advance_serial,
)
from nexus_panel.analysis.network_spec import AGENT_ATTRIBUTES, NetworkSpec
from nexus_panel.analysis.saved import frame_arrays, frame_from_arrays, frame_from_rows, frame_rows
from nexus_panel.engine.simulate import param_vector
from nexus_panel.models import FieldError, ValidationError

COUNT_FIELDS: tuple[str, ...] = ("clamp_events", "edges", "components")
"""Run figures that are whole numbers."""
RUN_FIELDS: tuple[str, ...] = (
    "final_total", "ledger_residual", "gini_final", "top10_final", "clamp_events",
    "clamp_total", "phi_saturated_fraction", "edges", "components",
)
"""Per-run summary figures (one row per seed)."""
INEQUALITY_FIELDS: tuple[str, ...] = (
    "step", "t", "total", "mean", "median", "max", "gini", "top10_share", "zero_share",
)
LORENZ_POINTS = 201


# --- inequality --------------------------------------------------------------------------
def gini(x: np.ndarray) -> float:
    """Gini coefficient of non-negative holdings (0: equal; 1 - 1/n: one holds all)."""
    n = len(x)
    top = float(x.max()) if n else 0.0
    if not math.isfinite(top):
        return math.nan
    if top <= 0:
        return 0.0
    y = np.sort(x) / top  # in [0, 1]: no overflow or underflow in the sums
    return float(2.0 * np.dot(np.arange(1, n + 1), y) / (n * y.sum()) - (n + 1) / n)


def top_share(x: np.ndarray, fraction: float = 0.1) -> float:
    """Share of the total held by the richest ``fraction`` of agents (at least one)."""
    top = float(x.max())
    if not math.isfinite(top):
        return math.nan
    if top <= 0:
        return 0.0
    y = x / top
    count = max(1, math.ceil(fraction * len(x)))
    return float(np.partition(y, len(y) - count)[len(y) - count:].sum() / y.sum())


def lorenz(x: np.ndarray, points: int = LORENZ_POINTS) -> tuple[np.ndarray, np.ndarray]:
    """The Lorenz curve (share of agents, share of holdings), at most ``points`` points."""
    n = len(x)
    cum = np.concatenate([[0.0], np.cumsum(np.sort(x))])
    total = cum[-1]
    idx = np.unique(np.linspace(0, n, min(points, n + 1)).round().astype(np.int64))
    share = cum[idx] / total if total > 0 else idx / n
    return idx / n, share


def inequality_row(step: int, t: float, x: np.ndarray) -> dict[str, float]:
    return {"step": float(step), "t": t, "total": float(x.sum()), "mean": float(x.mean()),
            "median": float(np.median(x)), "max": float(x.max()), "gini": gini(x),
            "top10_share": top_share(x), "zero_share": float(np.mean(x == 0.0))}


# --- one run -----------------------------------------------------------------------------
@dataclass
class RunOutput:
    """What one run keeps (see the module doc)."""

    aggregates: np.ndarray  # (steps + 1, len(AGG_COLUMNS))
    snapshots: np.ndarray | None  # (snapshots, agents) or None (runs after the first)
    final: np.ndarray  # (agents,) holdings at the end
    network: Network
    summary: dict[str, float]


def agent_weights(spec: NetworkSpec, rng: np.random.Generator,
                  table: dict[str, np.ndarray]) -> dict[str, np.ndarray]:
    """Every attribute's weights: drawn, from the table, or 1 (in AGENT_ATTRIBUTES order)."""
    n = spec.agents
    drawn = {d.parameter: d.sample(1.0, rng.random(n)) for d in spec.heterogeneity}
    out = {}
    for name in AGENT_ATTRIBUTES:
        weights = drawn.get(name, table.get(name))
        out[name] = np.ones(n) if weights is None else np.asarray(weights, dtype=np.float64)
    return out


def _shares(spec: NetworkSpec, weights: dict[str, np.ndarray]) -> dict[str, np.ndarray]:
    errors = []
    shares = {}
    drawn = [d.parameter for d in spec.heterogeneity]
    for name, w in weights.items():
        total = float(w.sum())
        if not total > 0:
            where = (f"heterogeneity[{drawn.index(name)}]" if name in drawn
                     else f"agent_table.{name}")
            errors.append(FieldError(where, f"weights of {name} summing to {total:g}",
                                     "weights with a positive sum"))
        shares[name] = w / total if total > 0 else w
    if errors:
        raise ValidationError(errors)
    return shares


def _setup(spec: NetworkSpec, net: Network, shares: dict[str, np.ndarray]
           ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """The kernel's per-agent array A, settings q and transfer fractions P."""
    n = spec.agents
    nu = spec.network_effect
    strength = net.strength
    factor = 1.0 + nu * np.log1p(strength) if nu != 0 else np.ones(n)
    A = np.empty((AGENT_ROWS, n))
    A[A_FSH] = factor * shares["H"]
    A[A_FSM] = factor * shares["M"]
    A[A_FSD] = factor * shares["D"]
    A[A_F] = factor
    A[A_SC] = shares["C_cons"]
    A[A_SQ] = shares["C_disp"]
    A[A_PAYS] = (net.degree > 0).astype(np.float64)
    q = np.zeros(SETTINGS)
    if nu != 0:  # the network-weighted shares (exactly 1 each without a network effect)
        q[Q_GH], q[Q_GM], q[Q_GD] = (math.fsum(A[r]) for r in (A_FSH, A_FSM, A_FSD))
        q[Q_GE] = math.fsum(factor) / n
        q[Q_USE_G] = 1.0
    else:
        q[[Q_GH, Q_GM, Q_GD, Q_GE]] = 1.0
    q[Q_TAU] = spec.transfer_rate
    q[Q_THETA] = spec.floor_threshold
    P = net.weights / strength[net.indices] if len(net.weights) else np.empty(0)
    return A, q, P


def run_one(spec: NetworkSpec, run: int, *, keep_snapshots: bool,
            table: dict[str, np.ndarray] | None = None,
            step_done: Callable[[int], None] | None = None,
            cancel: Callable[[], bool] | None = None) -> RunOutput:
    """Run ``run`` of the spec (its own graph and draws); ``step_done(k)`` after each
    segment; raises Cancelled if ``cancel()`` turns true between segments."""
    table = table if table is not None else (
        table_columns(spec.agent_table, spec.agents) if spec.agent_table else {})
    rng = np.random.default_rng(np.random.SeedSequence(spec.seed).spawn(run + 1)[run])
    net = build_network(spec.graph, spec.agents, int(rng.integers(2**31 - 1)), table,
                        detect_communities=spec.detect_communities)
    shares = _shares(spec, agent_weights(spec, rng, table))
    A, q, P = _setup(spec, net, shares)
    scenario = spec.base_scenario
    params = scenario.params
    steps = params.num_steps
    p = param_vector(params)
    inputs = scenario.inputs.arrays(steps, params.delta_t)
    n = spec.agents
    X2 = np.empty((2, n))
    X2[0] = params.N_initial * shares["holdings"]
    st = np.zeros(STATE)
    st[ST_N] = params.N_initial
    st[ST_SUMX] = float(X2[0].sum())
    st[ST_CUR] = 0.0
    agg = np.full((steps + 1, len(AGG_COLUMNS)), np.nan)
    partial = np.zeros((-(-n // BLOCK), PARTIALS))
    advance = advance_parallel if n >= PARALLEL_AGENTS else advance_serial
    marks = spec.snapshot_steps()
    snapshots = np.empty((len(marks), n)) if keep_snapshots else None
    for i, k1 in enumerate(marks):
        k0 = int(marks[i - 1]) if i else 0
        if k1 > k0:
            advance(p, q, inputs, k0, int(k1), A, net.indptr, net.indices, P, X2, st, agg,
                    partial)
        if snapshots is not None:
            snapshots[i] = X2[int(st[ST_CUR])]
        if step_done is not None:
            step_done(int(k1))
        if cancel is not None and cancel() and k1 < steps:
            raise Cancelled(f"cancelled at step {int(k1):,} of {steps:,} (run {run + 1})")
    final = X2[int(st[ST_CUR])].copy()
    agg[steps, C_T] = steps * params.delta_t
    agg[steps, C_N] = st[ST_N]
    agg[steps, C_SUMX] = st[ST_SUMX]
    scale = float(np.max(np.abs(agg[:, C_N]))) or 1.0
    residual = float(np.max(np.abs(agg[:, C_SUMX] - agg[:, C_N]))) / scale
    summary = {
        "final_total": float(st[ST_N]), "ledger_residual": residual,
        "gini_final": gini(final), "top10_final": top_share(final),
        "clamp_events": float(st[ST_CLAMPS]), "clamp_total": float(st[ST_TOPUP]),
        "phi_saturated_fraction": float(st[ST_SATURATED]) / steps,
        "edges": float(net.edges), "components": float(net.components()),
    }
    return RunOutput(aggregates=agg, snapshots=snapshots, final=final, network=net,
                     summary=summary)


# --- the analysis ------------------------------------------------------------------------
@dataclass
class NetworkResult:
    """Run 0 in detail (aggregates, snapshots, graph) and every run's summary and N(t)."""

    spec: NetworkSpec
    aggregates: pd.DataFrame  # AGG_COLUMNS per step, run 0
    snapshot_steps: np.ndarray
    snapshots: np.ndarray  # (snapshots, agents) holdings of run 0
    network: Network
    runs: pd.DataFrame  # RUN_FIELDS per run
    totals: np.ndarray  # (runs, steps + 1): aggregate N of every run
    seconds: float
    notes: list[str] = field(default_factory=list)

    @property
    def n_runs(self) -> int:
        return len(self.runs)

    @property
    def t(self) -> np.ndarray:
        return self.aggregates["t"].to_numpy()

    @property
    def summary(self) -> dict[str, float]:
        """Run 0's figures (what ``nexus-panel network --json`` prints first)."""
        row = self.runs.iloc[0]
        return {"agents": self.spec.agents, "steps": self.spec.num_steps,
                **{k: int(row[k]) if k in COUNT_FIELDS else float(row[k]) for k in RUN_FIELDS},
                "seconds": self.seconds}

    def inequality(self) -> pd.DataFrame:
        """Per snapshot: totals, Gini, top-10 % share, share of agents at zero."""
        dt = self.spec.base_scenario.params.delta_t
        rows = [inequality_row(int(k), float(k) * dt, x)
                for k, x in zip(self.snapshot_steps, self.snapshots, strict=True)]
        return pd.DataFrame(rows, columns=list(INEQUALITY_FIELDS))

    def community_totals(self) -> pd.DataFrame | None:
        """Holdings per community at every snapshot (None without communities)."""
        labels = self.network.communities
        if labels is None:
            return None
        count = int(labels.max()) + 1
        data = np.array([np.bincount(labels, weights=x, minlength=count)
                         for x in self.snapshots])
        return pd.DataFrame(data, index=pd.Index(self.snapshot_steps, name="step"),
                            columns=[f"community {c}" for c in range(count)])

    def community_table(self) -> pd.DataFrame | None:
        """Per community at the end: agents, holdings, share of the total, mean, Gini."""
        labels = self.network.communities
        if labels is None:
            return None
        final = self.snapshots[-1]
        total = float(final.sum()) or 1.0
        rows = []
        for c in range(int(labels.max()) + 1):
            x = final[labels == c]
            rows.append({"community": c, "agents": len(x), "holdings": float(x.sum()),
                         "share": float(x.sum()) / total,
                         "mean": float(x.mean()) if len(x) else 0.0, "gini": gini(x)})
        return pd.DataFrame(rows).set_index("community")

    # --- saved form ----------------------------------------------------------------------
    def to_dict(self) -> dict[str, Any]:
        return {
            "analysis": "network",
            "spec": self.spec.to_dict(),
            "summary": self.summary,
            "inequality": frame_rows(self.inequality()),
            "seeds": frame_rows(self.runs),
            "seconds": self.seconds,
            "notes": self.notes,
        }

    def arrays(self) -> dict[str, np.ndarray]:
        net = self.network
        out = {"snapshot_steps": self.snapshot_steps, "snapshots": self.snapshots,
               "totals": self.totals, "graph.indptr": net.indptr,
               "graph.indices": net.indices, "graph.weights": net.weights,
               **frame_arrays(self.aggregates, "aggregates"), **frame_arrays(self.runs, "runs")}
        if net.communities is not None:
            out["graph.communities"] = net.communities
        return out

    @classmethod
    def from_dict(cls, data: dict[str, Any], spec: NetworkSpec,
                  arrays: dict[str, np.ndarray]) -> NetworkResult:
        """The result again, from ``to_dict()`` and ``arrays()`` (no run needed)."""
        indptr = np.asarray(arrays["graph.indptr"])
        net = Network(n=len(indptr) - 1, indptr=indptr,
                      indices=np.asarray(arrays["graph.indices"]),
                      weights=np.asarray(arrays["graph.weights"]),
                      communities=arrays.get("graph.communities"))
        frame_from_rows(data["seeds"], "run")  # checks the JSON part is complete
        return cls(spec=spec, aggregates=frame_from_arrays(arrays, "aggregates"),
                   snapshot_steps=np.asarray(arrays["snapshot_steps"]),
                   snapshots=np.asarray(arrays["snapshots"]), network=net,
                   runs=frame_from_arrays(arrays, "runs"),
                   totals=np.asarray(arrays["totals"]), seconds=float(data["seconds"]),
                   notes=list(data.get("notes", [])))

    def table(self) -> pd.DataFrame:
        """Every run's figures (run 0 first)."""
        return self.runs.rename_axis("run")

    def report(self) -> str:
        """The CLI's text report."""
        s = self.summary
        lines = [f"Network economy — {self.seconds:.3f} s",
                 f"{s['agents']:,} agents, {int(s['edges']):,} edges, "
                 f"{int(s['components']):,} component(s), {s['steps']:,} steps, "
                 f"{self.n_runs} run(s)",
                 f"final total N {s['final_total']:.10g}; ledger residual "
                 f"{s['ledger_residual']:.3g} (relative); Gini {s['gini_final']:.4f}; top 10 % "
                 f"hold {s['top10_final']:.1%}; clamps {int(s['clamp_events'])}"]
        if self.n_runs > 1:
            lines.append(self.runs.describe().loc[["mean", "std", "min", "max"]].to_string())
        lines += self.notes
        return "\n".join(lines)


def run_network(
    spec: NetworkSpec,
    *,
    executor: Executor | None = None,
    progress: Progress | None = None,
    cancel: Callable[[], bool] | None = None,
) -> NetworkResult:
    """Run the spec's runs one after another (each parallel over agents on numba's
    threads; ``executor`` is accepted for the analyses' common signature and unused)."""
    del executor
    began = time.perf_counter()
    spec.validate()
    steps = spec.num_steps
    total = steps * spec.runs
    table = table_columns(spec.agent_table, spec.agents) if spec.agent_table else {}
    rows = []
    totals = np.empty((spec.runs, steps + 1))
    first: RunOutput | None = None
    for r in range(spec.runs):
        def done(k: int, r: int = r) -> None:
            if progress is not None:
                progress(r * steps + k, total)

        out = run_one(spec, r, keep_snapshots=r == 0, table=table, step_done=done,
                      cancel=cancel)
        rows.append(out.summary)
        totals[r] = out.aggregates[:, C_N]
        if first is None:
            first = out
    assert first is not None and first.snapshots is not None
    notes = list(first.network.notes)
    components = int(first.summary["components"])
    if components > 1:
        notes.append(f"The graph is disconnected: {components:,} components (isolated "
                     "agents pay and receive no transfers).")
    runs = pd.DataFrame(rows, columns=list(RUN_FIELDS))
    return NetworkResult(spec=spec, aggregates=pd.DataFrame(first.aggregates,
                                                            columns=list(AGG_COLUMNS)),
                         snapshot_steps=spec.snapshot_steps(), snapshots=first.snapshots,
                         network=first.network, runs=runs, totals=totals,
                         seconds=time.perf_counter() - began, notes=notes)
