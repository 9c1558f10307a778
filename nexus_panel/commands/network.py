"""``nexus-panel network SPEC.json [--json] [--save]``: a network economy without a browser.

SPEC.json is a :class:`~nexus_panel.analysis.network_spec.NetworkSpec` (every key optional
except ``agents``). Two keys read files, here only (a spec that arrives through the web
app never names a file on the server): ``"graph": {"kind": "edge_list", "file":
"edges.csv"}`` and ``"agent_table": "agents.csv"`` (or ``.parquet``), both relative to
the spec's directory; their contents are put into the spec, so ``--save`` keeps them.

``--json`` prints one JSON object: ``agents``, ``steps``, ``final_total``,
``ledger_residual`` (relative), ``gini_final``, ``seconds`` and the other per-run
figures, ``seeds`` (one object per run) and ``notes``; otherwise a short report.
"""

from __future__ import annotations

import argparse
import json
import math
import sys
from pathlib import Path
from typing import Any

from nexus_panel.commands.analysis import (
    add_save_options,
    read_spec_data,
    save_result,
    write_out,
)
from nexus_panel.commands.errors import CommandError, read_file

HELP = "a network of heterogeneous agents: aggregates, inequality, communities"


def register(subparsers: argparse._SubParsersAction) -> None:
    sub = subparsers.add_parser("network", help=HELP, description=HELP[0].upper() + HELP[1:]
                                + ". See docs/network.md.")
    sub.add_argument("spec", metavar="SPEC.json", help="the network spec (JSON)")
    sub.add_argument("--scenario", metavar="FILE",
                     help="base scenario file (replaces the spec's 'scenario')")
    sub.add_argument("--json", action="store_true", help="print the figures as one JSON "
                                                         "object")
    sub.add_argument("--out", metavar="FILE", help="write the full result as JSON")
    add_save_options(sub)
    sub.set_defaults(func=run_command)


def _tidy(value: float) -> float | int:
    return int(value) if math.isfinite(value) and value.is_integer() else value


def inline_files(data: dict[str, Any], base: Path) -> dict[str, Any]:
    """Replace the file keys (see the module doc) by the files' contents."""
    from nexus_panel.analysis.network_graph import (
        csv_line,
        edge_arrays,
        read_agent_table,
        read_edge_csv,
    )

    graph = data.get("graph")
    if isinstance(graph, dict) and "file" in graph:
        graph = dict(graph)
        name = str(graph.pop("file"))
        path = base / name
        table = read_edge_csv(read_file(path, "edge list"), name)
        agents = data.get("agents")
        if isinstance(agents, int) and not isinstance(agents, bool) and agents > 1:
            # errors name the file's line instead of a row index of the inlined list
            edge_arrays(table, agents, str(graph.get("duplicates", "merge")), name,
                        csv_line(name))
        graph["edges"] = [[_tidy(v) for v in row] for row in table.tolist()]
        data = {**data, "graph": graph}
    table_file = data.get("agent_table")
    if isinstance(table_file, str):
        path = base / table_file
        data = {**data, "agent_table": read_agent_table(read_file(path, "agent table"),
                                                        table_file)}
    return data


def run_command(args: argparse.Namespace) -> int:
    from nexus_panel.analysis.network import run_network
    from nexus_panel.analysis.network_spec import NetworkSpec

    data = inline_files(read_spec_data(args), Path(args.spec).resolve().parent)
    if "agents" not in data:
        raise CommandError(f"{args.spec}: 'agents' is required (the number of agents)")
    result = run_network(NetworkSpec.from_dict(data))
    write_out(result, args.out)
    record = save_result(args, result) if args.save else None
    if record is not None:
        print(f"saved analysis {record.id} ({record.label}); open it at "
              f"/{record.kind}?analysis={record.id}", file=sys.stderr if args.json else None)
    if args.json:
        figures: dict[str, Any] = dict(result.summary)
        figures["seeds"] = [dict(row) for row in result.to_dict()["seeds"].values()]
        figures["notes"] = result.notes
        if record is not None:
            figures["analysis_id"] = record.id
        print(json.dumps(figures, allow_nan=False))
    else:
        print(result.report())
    return 0
