"""Network specs and files: bad input is one clear error naming the field or the row;
duplicates and self-loops follow the declared rule; disconnected graphs are reported."""

from __future__ import annotations

import contextlib
import io
from typing import Any

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from nexus_panel.analysis.network import run_network
from nexus_panel.analysis.network_graph import (
    csv_line,
    edge_arrays,
    read_agent_table,
    read_edge_csv,
)
from nexus_panel.analysis.network_spec import MAX_EDGES, NetworkSpec
from nexus_panel.models import ValidationError

RING = {"kind": "ring"}


def errors_of(data: Any) -> list[str]:
    with pytest.raises(ValidationError) as caught:
        NetworkSpec.from_dict(data)
    return [str(e) for e in caught.value.errors]


@pytest.mark.parametrize(("data", "words"), [
    ({"agents": 1_000_001}, "agents = 1000001 (allowed: a whole number in [1, 1e+06])"),
    ({"agents": 0}, "agents = 0"),
    ({"agents": 10, "graph": {"kind": "barabasi_albert", "m": 10}},
     "graph.m = 10 (allowed: less than agents (10))"),
    ({"agents": 10, "graph": {"kind": "barabasi_albert", "m": 0}}, "graph.m = 0"),
    ({"agents": 10, "graph": {"kind": "watts_strogatz", "k": 5}}, "graph.k = 5 (allowed: an "
                                                                  "even number)"),
    ({"agents": 10, "graph": {"kind": "erdos_renyi", "p": 1.5}}, "graph.p = 1.5"),
    ({"agents": 10, "graph": {"kind": "stochastic_block", "blocks": 11}}, "graph.blocks = 11"),
    ({"agents": 30_000, "graph": {"kind": "stochastic_block"}}, "at most 20,000 for a "
                                                                "stochastic block model"),
    ({"agents": 5000, "graph": {"kind": "complete"}}, "graph.kind = 'complete' (allowed: a "
                                                      "graph of at most 10,000,000 edges"),
    ({"agents": 10, "graph": {"kind": "hypercube"}}, "graph.kind = 'hypercube'"),
    ({"agents": 10, "graph": {"kind": "edge_list", "edges": [[0, 1], [1, 10]]}},
     "graph.edges[1] = [1, 10] (allowed: a target that names an agent: a whole number in "
     "[0, 9])"),
    ({"agents": 10, "graph": {"kind": "edge_list", "edges": [[0, 1, -2.0]]}},
     "graph.edges[0] = [0, 1, -2] (allowed: a weight in (0, 1e+09])"),
    ({"agents": 10, "graph": {"kind": "edge_list", "edges": [[0.5, 1]]}}, "graph.edges[0]"),
    ({"agents": 10, "graph": {"kind": "edge_list", "edges": [[0, "x"]]}}, "graph.edges[0]"),
    ({"agents": 10, "graph": {"kind": "edge_list", "edges": "0,1"}}, "graph.edges = '0,1'"),
    ({"agents": 10, "graph": {"kind": "edge_list", "duplicates": "refuse",
                              "edges": [[0, 1], [2, 2]]}}, "graph.edges[1] = [2, 2]"),
    ({"agents": 10, "graph": {"kind": "edge_list", "duplicates": "refuse",
                              "edges": [[0, 1], [1, 0]]}}, "graph.edges[1] = [1, 0] (allowed: "
                                                           "an edge not listed before"),
    ({"agents": 3, "agent_table": {"H": [1, 2]}}, "agent_table.H = '2 values'"),
    ({"agents": 3, "agent_table": {"H": [1, -2, 3]}}, "agent_table.H[1] = -2.0"),
    ({"agents": 3, "agent_table": {"wealth": [1, 2, 3]}}, "agent_table.wealth"),
    ({"agents": 3, "agent_table": {"agent": [0, 0, 1]}}, "agent_table.agent"),
    ({"agents": 3, "agent_table": [1, 2]}, "agent_table = [1, 2]"),
    ({"agents": 3, "agent_table": {"H": [1, 2, 3]},
      "heterogeneity": [{"parameter": "H", "distribution": "uniform"}]},
     "agent_table.H = 'a column' (allowed: an attribute not also drawn"),
    ({"agents": 3, "heterogeneity": [{"parameter": "wealth"}]}, "heterogeneity[0].parameter"),
    ({"agents": 3, "heterogeneity": [{"parameter": "H", "distribution": "uniform",
                                      "low": -1}]}, "heterogeneity[0].low = -1.0"),
    ({"agents": 3, "transfer_rate": 2}, "transfer_rate = 2"),
    ({"agents": 3, "network_effect": -1}, "network_effect = -1"),
    ({"agents": 3, "colour": "red"}, "colour = 'red'"),
    ({"agents": 1_000_000, "scenario": {"params": {"num_steps": 20_000}}},
     "agents x num_steps x runs at most 1e+10"),
    ({"agents": 1_000_000, "snapshot_every": 1},
     "snapshot_every = 1 (allowed: at least 32 for 1,000,000 agents"),
    ({"agents": 50_000, "detect_communities": True}, "detect_communities = True"),
])
def test_bad_specs_name_the_field(data: dict[str, Any], words: str) -> None:
    assert any(words in e for e in errors_of(data)), errors_of(data)


def test_one_agent_accepts_any_graph() -> None:
    spec = NetworkSpec.from_dict({"agents": 1, "graph": {"kind": "complete"}})
    result = run_network(spec)
    assert result.summary["edges"] == 0 and "One agent" in result.notes[0]


def test_merge_rule_and_disconnected_graph_are_reported() -> None:
    edges = [[0, 1, 2.0], [1, 0, 0.5], [2, 2], [3, 4]]
    src, dst, weights, notes = edge_arrays(edges, 6, "merge")
    assert list(zip(src, dst, weights, strict=True)) == [(0, 1, 2.5), (3, 4, 1.0)]
    assert notes == ["1 self-loop(s) dropped (first: graph.edges[2]).",
                     "1 duplicate edge(s) merged, weights added (first: graph.edges[1])."]
    result = run_network(NetworkSpec.from_dict({
        "agents": 6, "graph": {"kind": "edge_list", "edges": edges},
        "scenario": {"params": {"num_steps": 20}}}))
    assert result.summary["components"] == 4  # {0,1}, {2}, {3,4}, {5}
    assert any("disconnected: 4 components" in n for n in result.notes)
    assert result.network.weights.tolist() == [2.5, 2.5, 1.0, 1.0]


def test_edge_csv_errors_name_the_line() -> None:
    good = read_edge_csv(b"source,target,weight\n0,1,1.5\n1,2,1\n")
    assert good.tolist() == [[0, 1, 1.5], [1, 2, 1]]
    with pytest.raises(ValidationError) as caught:
        edge_arrays(read_edge_csv(b"source,target\n0,1\n1,7\n"), 5, "merge", "e.csv",
                    csv_line("e.csv"))
    assert caught.value.fields == ["e.csv line 3"]
    for data, words in ((b"from,to\n0,1\n", "a header source,target"),
                        (b"source,target\n0,one\n", "e.csv line 2"),
                        (b"\xff\xfe\x00", "e.csv")):
        with pytest.raises(ValidationError, match=words):
            read_edge_csv(data, "e.csv")


def test_agent_table_files_csv_and_parquet() -> None:
    frame = pd.DataFrame({"agent": [2, 0, 1], "H": [3.0, 1.0, 2.0], "community": [1, 0, 0]})
    buffer = io.BytesIO()
    frame.to_parquet(buffer)
    for data, name in ((frame.to_csv(index=False).encode(), "a.csv"),
                       (buffer.getvalue(), "a.parquet")):
        table = read_agent_table(data, name)
        spec = NetworkSpec.from_dict({"agents": 3, "agent_table": table, "graph": RING,
                                      "scenario": {"params": {"num_steps": 10}}})
        result = run_network(spec)
        # rows are put in agent order: agent 0 has weight 1 of 6 for H, community 0
        assert result.network.communities is not None
        assert result.network.communities.tolist() == [0, 0, 1]
    with pytest.raises(ValidationError, match=r"a\.csv column"):
        read_agent_table(b"agent,wealth\n0,1\n", "a.csv")
    with pytest.raises(ValidationError, match="a Parquet file"):
        read_agent_table(b"PAR1 not really", "a.parquet")


def test_all_zero_weights_are_refused_at_run_time() -> None:
    spec = NetworkSpec.from_dict({"agents": 3, "agent_table": {"H": [0, 0, 0]}, "graph": RING})
    with pytest.raises(ValidationError, match=r"agent_table\.H"):
        run_network(spec)


def test_edge_limit_is_checked_before_parsing() -> None:
    with pytest.raises(ValidationError, match=f"at most {MAX_EDGES:,} edges"):
        edge_arrays([[0, 1]] * (MAX_EDGES + 1), 2, "merge")


json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats() | st.text(max_size=6),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=8), inner,
                                                                max_size=4), max_leaves=12)
keys = st.sampled_from(["agents", "graph", "heterogeneity", "agent_table", "transfer_rate",
                        "network_effect", "seed", "runs", "snapshot_every", "scenario"])
graph_keys = st.sampled_from(["kind", "m", "k", "rewire", "p", "blocks", "p_in", "p_out",
                              "edges", "duplicates"])


@settings(max_examples=150, deadline=None)
@given(data=st.dictionaries(keys, json_values, max_size=5),
       graph=st.dictionaries(graph_keys, json_values | st.lists(st.lists(
           st.integers(-3, 12) | st.floats(), min_size=1, max_size=4), max_size=5),
           max_size=4))
def test_hostile_specs_give_validation_errors_only(data: dict[str, Any],
                                                  graph: dict[str, Any]) -> None:
    data = {**data, "graph": graph} if graph else data
    data.setdefault("agents", 12)
    with contextlib.suppress(ValidationError):
        NetworkSpec.from_dict(data)


def test_inline_edges_round_trip_through_json() -> None:
    spec = NetworkSpec.from_dict({"agents": 4, "graph": {
        "kind": "edge_list", "edges": [[0, 1], [2, 3, 0.5]], "duplicates": "refuse"}})
    again = NetworkSpec.from_json(spec.to_json())
    assert again.to_dict() == spec.to_dict()
    assert again.graph.to_dict() == {"kind": "edge_list", "edges": [[0, 1], [2, 3, 0.5]],
                                     "duplicates": "refuse"}
    assert np.isclose(run_network(again).network.weights, [1, 1, 0.5, 0.5]).all()
