"""The spec of a network economy: agents, their graph, how they differ, and the run.

One JSON object (the CLI's SPEC.json, the page's form, what a saved analysis keeps)::

    {"scenario": {...}, "agents": 1000,
     "graph": {"kind": "barabasi_albert", "m": 3},
     "heterogeneity": [{"parameter": "H", "distribution": "lognormal", "sigma": 0.8}],
     "transfer_rate": 0.05, "network_effect": 0.1, "seed": 1}

Every key except ``agents`` is optional. Agents differ by *weights* (``AGENT_ATTRIBUTES``):
an agent's share of each contribution H, M, D, of the consumption C_cons and disposal
C_disp, and of the initial holdings is its weight over the sum of all weights (so the
aggregates are the scenario's own signals; see docs/network.md). Weights are 1 unless
drawn from a distribution (the Monte Carlo distributions, truncated to [0, 1e9]) or
given by an agent table (inline columns; the CLI also reads a CSV/Parquet file).

Limits, each checked before anything runs: at most ``MAX_AGENTS`` agents and
``MAX_EDGES`` edges, networkx's quadratic stochastic block model up to
``SBM_MAX_AGENTS`` agents, agent snapshots and per-seed totals within
``MAX_TASK_BYTES``, and at most ``MAX_AGENT_STEPS`` agent-steps per request.
"""

from __future__ import annotations

import math
from typing import Any, ClassVar

import numpy as np
import param

from nexus_panel.analysis.distributions import ParameterDistribution
from nexus_panel.analysis.specs import MAX_TASK_BYTES, SpecBase, scenario_param
from nexus_panel.models import FieldError, ValidationError

MAX_AGENTS = 1_000_000
MAX_EDGES = 10_000_000
"""Undirected edges of one graph (its CSR holds twice as many entries)."""
SBM_MAX_AGENTS = 20_000
"""networkx's stochastic block model visits every pair of agents: 20,000 takes ~3 s."""
LOUVAIN_MAX_AGENTS = 20_000
"""networkx's Louvain method (pure Python) takes seconds beyond this."""
MAX_AGENT_STEPS = 10**10
"""agents x num_steps x runs of one request (about 3 minutes at 20 ns per agent-step)."""
MAX_BLOCKS = 1_000
MAX_COMMUNITIES = 1_000
AUTO_SNAPSHOTS = 50
"""Snapshot intervals when ``snapshot_every`` is empty (plus the initial state)."""
WEIGHT_MAX = 1e9

AGENT_ATTRIBUTES: tuple[str, ...] = ("H", "M", "D", "C_cons", "C_disp", "holdings")
"""What agents differ by: the weight of their share of each input and of N_initial."""
TABLE_COLUMNS: tuple[str, ...] = ("agent", *AGENT_ATTRIBUTES, "community")
"""Columns an agent table may have (``agent``: the agent's number 0 .. agents - 1, when
the rows are not in that order; ``community``: a whole number >= 0 per agent)."""

GRAPH_KINDS: tuple[str, ...] = (
    "barabasi_albert", "watts_strogatz", "erdos_renyi", "stochastic_block", "ring",
    "complete", "edge_list",
)
_GRAPH_USES: dict[str, tuple[str, ...]] = {
    "barabasi_albert": ("m",),
    "watts_strogatz": ("k", "rewire"),
    "erdos_renyi": ("p",),
    "stochastic_block": ("blocks", "p_in", "p_out"),
    "ring": (),
    "complete": (),
    "edge_list": ("edges", "duplicates"),
}
_EDGE_FIELD: dict[str, str] = {
    "barabasi_albert": "m", "watts_strogatz": "k", "erdos_renyi": "p",
    "stochastic_block": "p_in", "ring": "kind", "complete": "kind", "edge_list": "edges",
}
"""The field an error names when a graph would have too many edges."""
DUPLICATE_RULES: tuple[str, ...] = ("merge", "refuse")


class AgentDistribution(ParameterDistribution):
    """How one agent attribute (a weight, 1 for every agent by default) is distributed."""

    parameter = param.Selector(default="H", objects=list(AGENT_ATTRIBUTES),
                               label="Agent attribute",
                               doc="The weight drawn per agent: its share of an input "
                                   "(H, M, D, C_cons, C_disp) or of the initial holdings.")

    @classmethod
    def value_range(cls, name: str) -> tuple[float, float]:
        return 0.0, 10.0

    @classmethod
    def hard_bounds(cls, name: str) -> tuple[float, float]:
        return 0.0, WEIGHT_MAX

    @classmethod
    def bound_error(cls, name: str, field: str, value: float) -> FieldError | None:
        if 0.0 <= value <= WEIGHT_MAX:
            return None
        return FieldError(field, value, f"a number in [0, {WEIGHT_MAX:g}] (agent weights)")

    @classmethod
    def for_parameter(cls, parameter: str, base: float = 1.0) -> AgentDistribution:
        return super().for_parameter(parameter, base)  # type: ignore[return-value]


class GraphSpec(SpecBase):
    """Which graph connects the agents (a networkx generator, or an edge list)."""

    kind = param.Selector(default="barabasi_albert", objects=list(GRAPH_KINDS),
                          label="Graph",
                          doc="barabasi_albert: preferential attachment (hubs); "
                              "watts_strogatz: small world; erdos_renyi: random edges; "
                              "stochastic_block: communities; ring; complete; edge_list: "
                              "your own edges (an uploaded CSV).")
    m = param.Integer(3, bounds=(1, 1000), label="Edges per new agent m",
                      doc="Barabási–Albert: each new agent links to m existing ones "
                          "(m < agents).")
    k = param.Integer(4, bounds=(2, 1000), step=2, label="Ring neighbours k",
                      doc="Watts–Strogatz: each agent starts linked to its k nearest "
                          "neighbours on a ring (even, k < agents).")
    rewire = param.Number(0.1, bounds=(0, 1), step=0.01, label="Rewiring probability",
                          doc="Watts–Strogatz: probability of rewiring each edge.")
    p = param.Number(0.01, bounds=(0, 1), step=0.001, label="Edge probability p",
                     doc="Erdős–Rényi: probability of each possible edge.")
    blocks = param.Integer(4, bounds=(1, MAX_BLOCKS), label="Communities",
                           doc="Stochastic block model: number of equal-sized communities.")
    p_in = param.Number(0.05, bounds=(0, 1), step=0.001, label="p inside a community",
                        doc="Stochastic block model: edge probability within a community.")
    p_out = param.Number(0.001, bounds=(0, 1), step=0.0001, label="p between communities",
                         doc="Stochastic block model: edge probability across communities.")
    edges = param.List(default=[], precedence=-1,
                       doc="Edge list: rows [source, target] or [source, target, weight]; "
                           "agents are numbered 0 .. agents - 1, weights > 0 (default 1).")
    duplicates = param.Selector(default="merge", objects=list(DUPLICATE_RULES),
                                label="Duplicate edges",
                                doc="merge: an edge listed again (either direction) adds its "
                                    "weight and self-loops are dropped (both reported); "
                                    "refuse: either one is an error naming the row.")

    def form_fields(self) -> list[str]:
        return ["kind", *(f for f in _GRAPH_USES[self.kind] if f != "edges")]

    def to_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {"kind": self.kind}
        for name in _GRAPH_USES[self.kind]:
            out[name] = list(self.edges) if name == "edges" else getattr(self, name)
        return out

    @classmethod
    def from_dict(cls, data: Any, prefix: str = "") -> GraphSpec:
        if isinstance(data, dict) and "edges" in data and not isinstance(data["edges"], list):
            raise ValidationError([FieldError(prefix + "edges", data["edges"],
                                              "a list of [source, target(, weight)] rows")])
        return super().from_dict(data, prefix)

    def _cross_errors(self) -> list[FieldError]:
        if self.kind == "watts_strogatz" and self.k % 2:
            return [FieldError("k", self.k, "an even number")]
        return []

    def checks_for(self, agents: int) -> list[FieldError]:
        """Problems of this graph for ``agents`` agents (fields named ``graph.<field>``)."""
        if agents == 1:
            return []  # one agent has no edges, whatever the kind
        kind = self.kind
        out: list[FieldError] = []
        expected = 0.0
        if kind == "barabasi_albert":
            if self.m >= agents:
                out.append(FieldError("graph.m", self.m, f"less than agents ({agents:,})"))
            expected = self.m * agents
        elif kind == "watts_strogatz":
            if self.k >= agents:
                out.append(FieldError("graph.k", self.k, f"less than agents ({agents:,})"))
            expected = self.k * agents / 2
        elif kind == "erdos_renyi":
            expected = self.p * agents * (agents - 1) / 2
        elif kind == "complete":
            expected = agents * (agents - 1) / 2
        elif kind == "stochastic_block":
            if agents > SBM_MAX_AGENTS:
                out.append(FieldError("agents", agents,
                                      f"at most {SBM_MAX_AGENTS:,} for a stochastic block "
                                      "model (networkx visits every pair of agents)"))
            if self.blocks > agents:
                out.append(FieldError("graph.blocks", self.blocks,
                                      f"at most agents ({agents:,})"))
            size = agents / self.blocks
            expected = (self.p_in * self.blocks * size * (size - 1) / 2
                        + self.p_out * agents * (agents - size) / 2)
        elif kind == "edge_list":
            expected = len(self.edges)
        if expected > MAX_EDGES:
            name = _EDGE_FIELD[kind]
            shown = f"{len(self.edges):,} rows" if name == "edges" else getattr(self, name)
            out.append(FieldError(f"graph.{name}", shown,
                                  f"a graph of at most {MAX_EDGES:,} edges (this one would "
                                  f"have about {expected:,.0f})"))
        return out


class NetworkSpec(SpecBase):
    """A network economy: who the agents are, how they connect, and how long it runs."""

    _items: ClassVar[dict[str, type[SpecBase]]] = {"heterogeneity": AgentDistribution}
    _objects: ClassVar[dict[str, type[SpecBase]]] = {"graph": GraphSpec}

    scenario = scenario_param()
    agents = param.Integer(1000, bounds=(1, MAX_AGENTS), label="Agents",
                           doc=f"Number of agents (at most {MAX_AGENTS:,}).")
    graph = param.ClassSelector(class_=GraphSpec, default=GraphSpec(), instantiate=True,
                                precedence=-1, doc="The graph that connects the agents.")
    heterogeneity = param.List(default=[], item_type=AgentDistribution, precedence=-1,
                               doc="Agent weights drawn from distributions (others are 1).")
    agent_table = param.Dict(default=None, allow_None=True, precedence=-1,
                             doc="Per-agent columns (see TABLE_COLUMNS), one value per "
                                 "agent; replaces the weights it names.")
    transfer_rate = param.Number(0.05, bounds=(0, 1), step=0.01, label="Transfer rate τ",
                                 doc="Share of its holdings an agent pays to its neighbours "
                                     "per unit time (τ·Δt each step), split by edge weight.")
    network_effect = param.Number(0.1, bounds=(0, 10), step=0.01, label="Network effect ν",
                                  doc="An agent's issuance is multiplied by "
                                      "1 + ν·ln(1 + its weighted degree).")
    floor_threshold = param.Number(0.5, bounds=(0, 100), step=0.05,
                                   label="Floor threshold",
                                   doc="Agents holding less than this multiple of the mean "
                                       "holding share the floor injection η·F equally "
                                       "(nobody below: everyone shares it).")
    detect_communities = param.Boolean(False, label="Find communities (Louvain)",
                                       doc="When the graph has no communities of its own "
                                           "(stochastic block model, agent table column), "
                                           "find them with networkx's Louvain method "
                                           f"(seeded; at most {LOUVAIN_MAX_AGENTS:,} "
                                           "agents).")
    seed = param.Integer(1, bounds=(0, 2**63 - 1), label="Seed",
                         doc="Seeds the graph and the agents' draws; run r uses the r-th "
                             "child of this seed.")
    runs = param.Integer(1, bounds=(1, 1000), label="Runs (seeds)",
                         doc="Independent runs (graph and draws re-seeded), for a Monte "
                             "Carlo over seeds; the first is shown in detail.")
    snapshot_every = param.Integer(None, allow_None=True, bounds=(1, 1_000_000),
                                   label="Snapshot every (steps)",
                                   doc="Agents' holdings are kept every this many steps "
                                       f"(and at the end); empty = about {AUTO_SNAPSHOTS} "
                                       "snapshots, fewer if the memory limit requires.")

    @classmethod
    def from_dict(cls, data: Any, prefix: str = "") -> NetworkSpec:
        if isinstance(data, dict) and data.get("agent_table") is not None \
                and not isinstance(data["agent_table"], dict):
            raise ValidationError([FieldError(prefix + "agent_table", data["agent_table"],
                                              "an object of columns (or null)")])
        return super().from_dict(data, prefix)

    # --- derived --------------------------------------------------------------------------
    @property
    def num_steps(self) -> int:
        return self.base_scenario.params.num_steps

    def snapshot_interval(self) -> int:
        """Steps between agent snapshots (the explicit value, else the automatic one)."""
        steps = self.num_steps
        if self.snapshot_every is not None:
            return self.snapshot_every
        most = max(2, MAX_TASK_BYTES // (8 * self.agents))  # snapshots that fit
        return max(1, math.ceil(steps / AUTO_SNAPSHOTS), math.ceil(steps / (most - 1)))

    def snapshot_steps(self) -> np.ndarray:
        """The steps whose holdings are kept: 0, k, 2k, ... and always the last."""
        steps = np.arange(0, self.num_steps + 1, self.snapshot_interval())
        return steps if steps[-1] == self.num_steps else np.append(steps, self.num_steps)

    # --- validation -----------------------------------------------------------------------
    def _cross_errors(self) -> list[FieldError]:
        out = self.graph.checks_for(self.agents)
        seen: set[str] = set()
        for i, dist in enumerate(self.heterogeneity):
            if dist.parameter in seen:
                out.append(FieldError(f"heterogeneity[{i}].parameter", dist.parameter,
                                      "an attribute not already in the list"))
            seen.add(dist.parameter)
            out += [FieldError(f"heterogeneity[{i}].{e.field}", e.value, e.allowed)
                    for e in dist.check(1.0)]
        out += self._table_errors(seen)
        out += self._edge_errors()
        return out + self._cost_errors()

    def _edge_errors(self) -> list[FieldError]:
        if self.graph.kind != "edge_list" or self.agents == 1:
            return []
        from nexus_panel.analysis.network_graph import edge_arrays

        try:
            edge_arrays(self.graph.edges, self.agents, self.graph.duplicates,
                        "graph.edges")
        except ValidationError as exc:
            return exc.errors
        return []

    def _table_errors(self, drawn: set[str]) -> list[FieldError]:
        if self.agent_table is None:
            return []
        from nexus_panel.analysis.network_graph import table_columns

        try:
            columns = table_columns(self.agent_table, self.agents)
        except ValidationError as exc:
            return exc.errors
        return [FieldError(f"agent_table.{name}", "a column",
                           "an attribute not also drawn in heterogeneity")
                for name in columns if name in drawn]

    def _cost_errors(self) -> list[FieldError]:
        out: list[FieldError] = []
        if self.detect_communities and self.agents > LOUVAIN_MAX_AGENTS:
            out.append(FieldError("detect_communities", True,
                                  f"false for more than {LOUVAIN_MAX_AGENTS:,} agents"))
        steps = self.num_steps
        if self.agents * steps * self.runs > MAX_AGENT_STEPS:
            out.append(FieldError("agents", self.agents,
                                  f"agents x num_steps x runs at most {MAX_AGENT_STEPS:.0e} "
                                  f"(here {self.agents:,} x {steps:,} x {self.runs:,})"))
        snaps = len(self.snapshot_steps())
        if snaps * self.agents * 8 > MAX_TASK_BYTES:
            least = math.ceil(steps / max(1, MAX_TASK_BYTES // (8 * self.agents) - 1))
            out.append(FieldError("snapshot_every", self.snapshot_every,
                                  f"at least {least:,} for {self.agents:,} agents (snapshots "
                                  f"may hold {MAX_TASK_BYTES // 2**20} MiB)"))
        if self.runs * (steps + 1) * 8 > MAX_TASK_BYTES:
            out.append(FieldError("runs", self.runs,
                                  f"at most {MAX_TASK_BYTES // (8 * (steps + 1)):,} for "
                                  f"{steps:,} steps (each run keeps its N(t))"))
        return out
