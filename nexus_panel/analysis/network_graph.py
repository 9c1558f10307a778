"""The agents' graph as a CSR adjacency, from a networkx generator or an edge list.

Why CSR (scipy.sparse's layout: ``indptr``, ``indices``, ``weights``): the kernel walks
each agent's row to gather what its neighbours pay it, so every agent writes only its own
holding and the passes parallelise without locks. The graph is undirected: each edge is
stored in both rows, self-loops never (an agent does not pay itself).

Declared rules for edge lists (``GraphSpec.duplicates``):

- ``merge`` (default): an edge listed again, in either direction, adds its weight to the
  first; a self-loop is dropped. Both are counted in the run's notes.
- ``refuse``: either one is an error naming the row.

Sources and targets must be agent numbers 0 .. agents - 1 and weights finite and > 0;
an error names the row (``graph.edges[17]`` inline, ``edges.csv line 19`` in a file).
Disconnected graphs are allowed; the number of components is reported.

Communities (for the per-community aggregates) come from the agent table's ``community``
column, else the stochastic block model's blocks, else (when asked, ``detect_communities``)
networkx's Louvain method, seeded; else there are none.
"""

from __future__ import annotations

import io
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from nexus_panel.analysis.network_spec import (
    MAX_AGENTS,
    MAX_COMMUNITIES,
    MAX_EDGES,
    TABLE_COLUMNS,
    WEIGHT_MAX,
    GraphSpec,
)
from nexus_panel.models import FieldError, ValidationError

MAX_ERRORS = 10
"""At most this many bad rows are named in one error (the first ones)."""

RowName = Callable[[int], str]


@dataclass
class Network:
    """An undirected weighted graph of ``n`` agents as a symmetric CSR adjacency."""

    n: int
    indptr: np.ndarray  # (n + 1,) int64
    indices: np.ndarray  # (2 x edges,) int32
    weights: np.ndarray  # (2 x edges,) float64
    communities: np.ndarray | None = None  # (n,) int labels 0 .. c - 1
    notes: list[str] = field(default_factory=list)

    @property
    def edges(self) -> int:
        return len(self.indices) // 2

    @property
    def degree(self) -> np.ndarray:
        return np.diff(self.indptr)

    @property
    def strength(self) -> np.ndarray:
        """Weighted degree: the sum of an agent's edge weights."""
        rows = np.repeat(np.arange(self.n), self.degree)
        return np.bincount(rows, weights=self.weights, minlength=self.n)

    def components(self) -> int:
        """Number of connected components (isolated agents count one each)."""
        from scipy.sparse.csgraph import connected_components

        return int(connected_components(self.matrix(), directed=False)[0])

    def matrix(self) -> Any:
        from scipy.sparse import csr_array

        return csr_array((self.weights, self.indices, self.indptr), shape=(self.n, self.n))

    def edge_pairs(self) -> tuple[np.ndarray, np.ndarray]:
        """Each undirected edge once: (sources, targets) with source < target."""
        rows = np.repeat(np.arange(self.n), self.degree)
        keep = rows < self.indices
        return rows[keep], self.indices[keep].astype(np.int64)


def csr_from_edges(n: int, src: np.ndarray, dst: np.ndarray,
                   weights: np.ndarray | None = None) -> Network:
    """The symmetric CSR of undirected edges (no duplicates or self-loops left)."""
    from scipy.sparse import coo_array

    w = np.ones(len(src)) if weights is None else np.asarray(weights, dtype=np.float64)
    rows = np.concatenate([src, dst]).astype(np.int64)
    cols = np.concatenate([dst, src]).astype(np.int64)
    matrix = coo_array((np.concatenate([w, w]), (rows, cols)), shape=(n, n)).tocsr()
    matrix.sort_indices()
    return Network(n=n, indptr=matrix.indptr.astype(np.int64),
                   indices=matrix.indices.astype(np.int32),
                   weights=matrix.data.astype(np.float64))


# --- edge lists --------------------------------------------------------------------------
def _inline_name(field_name: str) -> RowName:
    return lambda i: f"{field_name}[{i}]"


def edge_arrays(rows: Any, agents: int, duplicates: str, field_name: str = "graph.edges",
                row_name: RowName | None = None
                ) -> tuple[np.ndarray, np.ndarray, np.ndarray, list[str]]:
    """Check edge rows [source, target(, weight)]; return sources, targets, weights and
    notes, with duplicates and self-loops merged or refused (see the module doc)."""
    name = row_name or _inline_name(field_name)
    if isinstance(rows, np.ndarray):
        table = rows.astype(np.float64, copy=False)
    else:
        if not isinstance(rows, list):
            raise ValidationError([FieldError(field_name, rows, "a list of rows")])
        if len(rows) > MAX_EDGES:
            raise ValidationError([FieldError(field_name, f"{len(rows):,} rows",
                                              f"at most {MAX_EDGES:,} edges")])
        table = _numeric_rows(rows, name)
    if table.ndim != 2 or table.shape[1] not in (2, 3):
        raise ValidationError([FieldError(field_name, f"{table.shape[1:]} columns",
                                          "rows of 2 or 3 numbers")])
    src, dst = table[:, 0], table[:, 1]
    weights = table[:, 2] if table.shape[1] == 3 else np.ones(len(table))
    errors: list[FieldError] = []
    for column, what in ((src, "source"), (dst, "target")):
        bad = ~(np.isfinite(column) & (column == np.round(column)) & (column >= 0)
                & (column < agents))
        errors += [FieldError(name(int(i)), _row(table, int(i)),
                              f"a {what} that names an agent: a whole number in "
                              f"[0, {agents - 1}]") for i in np.flatnonzero(bad)[:MAX_ERRORS]]
    bad = ~(np.isfinite(weights) & (weights > 0) & (weights <= WEIGHT_MAX))
    errors += [FieldError(name(int(i)), _row(table, int(i)),
                          f"a weight in (0, {WEIGHT_MAX:g}]")
               for i in np.flatnonzero(bad)[:MAX_ERRORS]]
    if errors:
        raise ValidationError(errors[:MAX_ERRORS])
    a = np.minimum(src, dst).astype(np.int64)
    b = np.maximum(src, dst).astype(np.int64)
    notes = []
    loops = np.flatnonzero(a == b)
    if len(loops):
        if duplicates == "refuse":
            raise ValidationError([FieldError(name(int(i)), _row(table, int(i)),
                                              "an edge between two different agents "
                                              "(duplicates: refuse)")
                                   for i in loops[:MAX_ERRORS]])
        notes.append(f"{len(loops):,} self-loop(s) dropped (first: {name(int(loops[0]))}).")
    keep = a != b
    a, b, weights = a[keep], b[keep], weights[keep]
    kept_rows = np.flatnonzero(keep)
    key = a * agents + b
    unique, first, inverse = np.unique(key, return_index=True, return_inverse=True)
    if len(unique) < len(key):
        repeated = np.setdiff1d(np.arange(len(key)), first)
        if duplicates == "refuse":
            raise ValidationError([FieldError(name(int(kept_rows[i])),
                                              _row(table, int(kept_rows[i])),
                                              "an edge not listed before, in either "
                                              "direction (duplicates: refuse)")
                                   for i in repeated[:MAX_ERRORS]])
        merged = np.zeros(len(unique))
        np.add.at(merged, inverse, weights)
        notes.append(f"{len(repeated):,} duplicate edge(s) merged, weights added (first: "
                     f"{name(int(kept_rows[repeated[0]]))}).")
        a, b, weights = unique // agents, unique % agents, merged
    return a, b, weights, notes


def _row(table: np.ndarray, i: int) -> list[float | int]:
    return [int(v) if np.isfinite(v) and v == int(v) else float(v) for v in table[i]]


def _numeric_rows(rows: list[Any], name: RowName) -> np.ndarray:
    """Rows of numbers as a (rows, 3) float array (weight 1 where a row has two numbers);
    a malformed row is an error naming it."""
    if not rows:
        return np.empty((0, 3))
    try:
        table = np.array(rows, dtype=np.float64)
        if table.ndim == 2 and table.shape[1] in (2, 3):
            return table
    except (TypeError, ValueError, OverflowError):
        pass
    out = np.ones((len(rows), 3))
    errors = []
    for i, row in enumerate(rows):
        try:
            if not isinstance(row, list) or len(row) not in (2, 3) or any(
                    isinstance(v, bool) or not isinstance(v, int | float) for v in row):
                raise ValueError
            out[i, :len(row)] = row
        except (ValueError, OverflowError):
            errors.append(FieldError(name(i), row, "[source, target] or [source, target, "
                                                   "weight], numbers"))
            if len(errors) >= MAX_ERRORS:
                break
    if errors:
        raise ValidationError(errors)
    return out


def read_edge_csv(data: bytes, source: str = "edges.csv") -> np.ndarray:
    """An edge-list CSV (header ``source,target[,weight]``) as a (rows, 2|3) float array;
    errors name the file and the line."""
    frame = _read_csv(data, source, MAX_EDGES)
    columns = list(frame.columns)
    if columns not in (["source", "target"], ["source", "target", "weight"]):
        raise ValidationError([FieldError(source, ",".join(map(str, columns)),
                                          "a header source,target or source,target,weight")])
    return _numeric_frame(frame, source).to_numpy(dtype=np.float64)


def csv_line(source: str) -> RowName:
    """Names data row i of a CSV file with a header as its line number."""
    return lambda i: f"{source} line {i + 2}"


def _read_csv(data: bytes, source: str, max_rows: int) -> Any:
    import pandas as pd

    try:
        frame = pd.read_csv(io.BytesIO(data), nrows=max_rows + 1, dtype=str,
                            skipinitialspace=True)
    except (ValueError, UnicodeDecodeError, pd.errors.ParserError) as exc:
        raise ValidationError([FieldError(source, "(file)", f"a CSV file ({exc})")]) from None
    if len(frame) > max_rows:
        raise ValidationError([FieldError(source, f"more than {max_rows:,} rows",
                                          f"at most {max_rows:,} rows")])
    frame.columns = [str(c).strip() for c in frame.columns]
    return frame


def _numeric_frame(frame: Any, source: str) -> Any:
    import pandas as pd

    out = pd.DataFrame(index=frame.index)
    errors = []
    for column in frame.columns:
        values = pd.to_numeric(frame[column], errors="coerce")
        bad = np.flatnonzero(values.isna().to_numpy())
        errors += [FieldError(f"{source} line {int(i) + 2}", frame[column].iloc[i],
                              f"a number in column {column}") for i in bad[:MAX_ERRORS]]
        out[column] = values
    if errors:
        raise ValidationError(errors[:MAX_ERRORS])
    return out


# --- agent tables ------------------------------------------------------------------------
def read_agent_table(data: bytes, source: str = "agents.csv") -> dict[str, list[float]]:
    """An agent table file (CSV with a header, or Parquet) as inline columns."""
    if source.lower().endswith(".parquet") or data[:4] == b"PAR1":
        import pyarrow as pa
        import pyarrow.parquet as pq

        try:
            table = pq.read_table(io.BytesIO(data))
        except (pa.ArrowException, OSError, ValueError) as exc:
            raise ValidationError([FieldError(source, "(file)",
                                              f"a Parquet file ({exc})")]) from None
        if table.num_rows > MAX_AGENTS:
            raise ValidationError([FieldError(source, f"{table.num_rows:,} rows",
                                              f"at most {MAX_AGENTS:,} rows")])
        frame = table.to_pandas()
        frame.columns = [str(c) for c in frame.columns]
        frame = _numeric_frame(frame.astype(str), source)
    else:
        frame = _numeric_frame(_read_csv(data, source, MAX_AGENTS), source)
    unknown = [c for c in frame.columns if c not in TABLE_COLUMNS]
    if unknown:
        raise ValidationError([FieldError(f"{source} column", c, "one of "
                                          + ", ".join(TABLE_COLUMNS)) for c in unknown])
    return {c: frame[c].tolist() for c in frame.columns}


def table_columns(table: dict[str, Any], agents: int) -> dict[str, np.ndarray]:
    """Check an agent table (inline columns) and return its columns in agent order."""
    errors: list[FieldError] = []
    columns: dict[str, np.ndarray] = {}
    for name, values in table.items():
        where = f"agent_table.{name}"
        if name not in TABLE_COLUMNS:
            errors.append(FieldError(where, "a column", "one of " + ", ".join(TABLE_COLUMNS)))
            continue
        if not isinstance(values, list) or len(values) != agents:
            shown = f"{len(values):,} values" if isinstance(values, list) else values
            errors.append(FieldError(where, shown, f"a list of {agents:,} numbers (one per "
                                                   "agent)"))
            continue
        try:
            array = np.array(values, dtype=np.float64)
            if array.ndim != 1:
                raise ValueError
        except (TypeError, ValueError, OverflowError):
            errors.append(FieldError(where, "a list", "numbers only"))
            continue
        whole = name in ("agent", "community")
        top = agents - 1 if name == "agent" else (MAX_COMMUNITIES - 1 if whole else WEIGHT_MAX)
        ok = np.isfinite(array) & (array >= 0) & (array <= top)
        if whole:
            ok &= array == np.round(array)
        kind = "whole numbers" if whole else "numbers"
        errors += [FieldError(f"{where}[{int(i)}]", float(array[i]),
                              f"{kind} in [0, {top:g}]") for i in np.flatnonzero(~ok)[:3]]
        columns[name] = array
    if errors:
        raise ValidationError(errors)
    if "agent" in columns:
        ids = columns.pop("agent").astype(np.int64)
        if len(np.unique(ids)) != agents:
            raise ValidationError([FieldError("agent_table.agent", "repeated numbers",
                                              f"each of 0 .. {agents - 1} exactly once")])
        order = np.argsort(ids)
        columns = {k: v[order] for k, v in columns.items()}
    return columns


# --- building ----------------------------------------------------------------------------
def build_network(graph: GraphSpec, agents: int, seed: int,
                  table: dict[str, np.ndarray] | None = None, *,
                  detect_communities: bool = False) -> Network:
    """The graph of one run (``seed`` seeds the generator), with its communities."""
    import networkx as nx

    blocks = None
    g = None
    notes: list[str] = []
    if agents == 1:
        net = csr_from_edges(1, np.empty(0, np.int64), np.empty(0, np.int64))
        notes.append("One agent: the graph has no edges.")
    elif graph.kind == "edge_list":
        src, dst, weights, notes = edge_arrays(graph.edges, agents, graph.duplicates)
        net = csr_from_edges(agents, src, dst, weights)
    else:
        if graph.kind == "barabasi_albert":
            g = nx.barabasi_albert_graph(agents, graph.m, seed=seed)
        elif graph.kind == "watts_strogatz":
            g = nx.watts_strogatz_graph(agents, graph.k, graph.rewire, seed=seed)
        elif graph.kind == "erdos_renyi":
            g = nx.fast_gnp_random_graph(agents, graph.p, seed=seed)
        elif graph.kind == "stochastic_block":
            sizes = [len(b) for b in np.array_split(np.arange(agents), graph.blocks)]
            probs = [[graph.p_in if i == j else graph.p_out for j in range(graph.blocks)]
                     for i in range(graph.blocks)]
            g = nx.stochastic_block_model(sizes, probs, seed=seed, sparse=True)
            blocks = np.repeat(np.arange(graph.blocks), sizes)
        elif graph.kind == "ring":
            g = nx.cycle_graph(agents)
        else:
            g = nx.complete_graph(agents)
        pairs = np.array(g.edges(), dtype=np.int64).reshape(-1, 2)
        net = csr_from_edges(agents, pairs[:, 0], pairs[:, 1])
    net.notes = notes
    if table is not None and "community" in table:
        net.communities = _relabel(table["community"])
    elif blocks is not None:
        net.communities = blocks
    elif detect_communities and net.edges:
        if g is None:
            g = nx.Graph()
            g.add_nodes_from(range(agents))
            src, dst = net.edge_pairs()
            g.add_edges_from(zip(src.tolist(), dst.tolist(), strict=True))
        found = nx.community.louvain_communities(g, seed=seed)
        labels = np.empty(agents, dtype=np.int64)
        for label, members in enumerate(sorted(found, key=min)):
            labels[list(members)] = label
        net.communities = labels
    return net


def _relabel(values: np.ndarray) -> np.ndarray:
    """Community numbers as 0 .. c - 1 in increasing order of the given numbers."""
    return np.unique(values.astype(np.int64), return_inverse=True)[1]
