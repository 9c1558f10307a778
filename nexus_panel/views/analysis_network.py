"""Network page content: the spec's editors (graph, heterogeneity, uploads), and the
aggregates, inequality, Lorenz curves, holdings, communities and the drawn network.

Uploads are hostile input: an edge-list CSV or an agent table (CSV/Parquet) of at most
``MAX_UPLOAD_BYTES`` is parsed into the spec (every bad row named in a notification,
nothing kept from a bad file); file names and contents are shown escaped.
"""

from __future__ import annotations

import html
from typing import Any

import numpy as np
import panel as pn
import param

from nexus_panel.analysis.network import NetworkResult
from nexus_panel.analysis.network_graph import (
    csv_line,
    edge_arrays,
    read_agent_table,
    read_edge_csv,
)
from nexus_panel.analysis.network_spec import AGENT_ATTRIBUTES, AgentDistribution, GraphSpec
from nexus_panel.models import ValidationError
from nexus_panel.views import labels
from nexus_panel.views.analysis_common import AnalysisView, ItemsEditor, param_form, result_table
from nexus_panel.views.network_plots import (
    aggregate_plots,
    community_plot,
    holdings_histogram,
    inequality_plot,
    lorenz_plot,
    network_plot,
)

MAX_UPLOAD_BYTES = 50 * 2**20


class NetworkView(AnalysisView):
    """A network economy of the session's scenario."""

    analysis = "network"

    lorenz_steps = param.ListSelector(default=[], objects=[], label="Lorenz curves at steps",
                                      doc="Snapshot steps whose Lorenz curves are drawn.")
    holdings_step = param.Selector(default=None, objects=[], label="Holdings at step",
                                   doc="Snapshot step of the histogram and the drawn network.")
    upload_note = param.String(default="", precedence=-1,
                               doc="What the last upload put into the spec.")
    graph_version = param.Integer(default=0, precedence=-1,
                                  doc="Bumped when the graph's kind or the graph changes.")

    def __init__(self, **params: Any) -> None:
        super().__init__(**params)
        self.use_editor(ItemsEditor(self.spec, "heterogeneity", "parameter",
                                   list(AGENT_ATTRIBUTES), AgentDistribution.for_parameter))
        self._watch_graph()

    # --- editors -------------------------------------------------------------------------
    def _watch_graph(self) -> None:
        """Redraw the graph form when its kind changes (it shows that kind's fields)."""
        def bump(_event: Any) -> None:
            self.graph_version += 1

        self.spec.graph.param.watch(bump, "kind")

    @param.depends("graph_version")
    def _graph_form(self) -> pn.viewable.Viewable:
        graph: GraphSpec = self.spec.graph
        return param_form(graph, parameters=graph.form_fields(), show_name=False)

    def _upload(self, kind: str) -> pn.widgets.FileInput:
        accept = ".csv" if kind == "edges" else ".csv,.parquet"
        widget = pn.widgets.FileInput(accept=accept, multiple=False,
                                      css_classes=[f"nx-upload-{kind}"],
                                      sizing_mode="stretch_width")
        widget.param.watch(lambda event: self._on_upload(kind, widget.filename, event.new),
                           "value")
        return widget

    def _on_upload(self, kind: str, filename: Any, data: Any) -> None:
        if not data:
            return
        name = str(filename or "upload")
        shown = html.escape(name)
        if len(data) > MAX_UPLOAD_BYTES:
            self._fail(f"{shown} is larger than {MAX_UPLOAD_BYTES // 2**20} MB.")
            return
        try:
            if kind == "edges":
                rows = read_edge_csv(bytes(data), name)
                graph = self.spec.graph
                if self.spec.agents > 1:  # errors name the file's line, not a list index
                    edge_arrays(rows, self.spec.agents, graph.duplicates, name,
                                csv_line(name))
                graph.param.update(kind="edge_list", edges=[
                    [int(r[0]), int(r[1]), *([float(r[2])] if len(r) > 2 else [])]
                    for r in rows.tolist()])
                note = f"Edge list {shown}: {len(rows):,} rows."
            else:
                table = read_agent_table(bytes(data), name)
                self.spec.agent_table = table
                count = len(next(iter(table.values()), []))
                note = (f"Agent table {shown}: {count:,} agents, columns "
                        f"{html.escape(', '.join(table))}.")
        except (ValidationError, ValueError, OverflowError) as exc:
            self._fail(html.escape(f"Not loaded: {exc}"))
            return
        self.upload_note = note

    def extra_controls(self) -> list[Any]:
        clear = pn.widgets.Button(name="Clear agent table", button_type="light")
        clear.on_click(lambda _e: self._clear_table())
        return [pn.pane.Markdown("**Graph**"), self._graph_form,
                pn.pane.Markdown("Edge list (CSV: source,target[,weight]; agents 0 .. n-1)"),
                self._upload("edges"),
                pn.pane.Markdown("**Agents differ by** (weights; 1 when not listed)"),
                self._editor,
                pn.pane.Markdown("Agent table (CSV/Parquet: agent, H, M, D, C_cons, C_disp, "
                                 "holdings, community)"),
                self._upload("agents"), clear,
                pn.pane.Markdown(self.param.upload_note, css_classes=["nx-upload-note"])]

    def _clear_table(self) -> None:
        self.spec.agent_table = None
        self.upload_note = "Agent table cleared."

    def spec_replaced(self) -> None:
        super().spec_replaced()
        self._watch_graph()
        self.graph_version += 1

    # --- charts --------------------------------------------------------------------------
    @param.depends("result", watch=True, on_init=True)
    def _on_result(self) -> None:
        steps = [] if self.result is None else [int(k) for k in self.result.snapshot_steps]
        self.param.lorenz_steps.objects = steps
        self.param.holdings_step.objects = steps
        if steps:
            chosen = sorted({steps[0], steps[len(steps) // 2], steps[-1]})
            self.param.update(lorenz_steps=chosen, holdings_step=steps[-1])

    @param.depends("lorenz_steps")
    def _lorenz(self) -> pn.viewable.Viewable:
        return pn.pane.HoloViews(lorenz_plot(self.result, list(self.lorenz_steps)),
                                 sizing_mode="stretch_width")

    def _holdings(self) -> np.ndarray:
        index = list(self.result.snapshot_steps).index(self.holdings_step)
        return self.result.snapshots[index]

    @param.depends("holdings_step")
    def _histogram(self) -> pn.viewable.Viewable:
        return pn.pane.HoloViews(holdings_histogram(self._holdings(), self.holdings_step),
                                 sizing_mode="stretch_width")

    @param.depends("holdings_step")
    def _network(self) -> pn.viewable.Viewable:
        return pn.pane.HoloViews(network_plot(self.result, self._holdings()),
                                 sizing_mode="stretch_width")

    def charts(self) -> pn.viewable.Viewable:
        result: NetworkResult = self.result
        s = result.summary
        head = (f"**{s['agents']:,} agents**, {s['edges']:,} edges, {s['components']:,} "
                f"component(s), {s['steps']:,} steps, {result.n_runs} run(s). Final N "
                f"**{labels.amount(s['final_total'])} tokens**; holdings = ledger within "
                f"{s['ledger_residual']:.2g} (relative); Gini **{s['gini_final']:.3f}**; top "
                f"10 % hold **{s['top10_final']:.1%}**; clamp events "
                f"{labels.metric_value('clamp_events', s['clamp_events'])}.")
        notes = "\n\n".join(html.escape(n) for n in result.notes)
        communities = community_plot(result)
        table = result.community_table()
        parts: list[Any] = [
            pn.pane.Markdown(head, css_classes=["nx-network-summary"]),
            *[pn.pane.HoloViews(plot, sizing_mode="stretch_width")
              for plot in aggregate_plots(result)],
            pn.Row(pn.pane.HoloViews(inequality_plot(result), sizing_mode="stretch_width"),
                   pn.Column(pn.Param(self, parameters=["lorenz_steps"], show_name=False,
                                      widgets={"lorenz_steps": pn.widgets.MultiChoice}),
                             self._lorenz, sizing_mode="stretch_width"),
                   sizing_mode="stretch_width"),
            pn.Param(self, parameters=["holdings_step"], show_name=False),
            pn.Row(self._histogram, self._network, sizing_mode="stretch_width"),
        ]
        if communities is not None and table is not None:
            parts += [pn.pane.HoloViews(communities, sizing_mode="stretch_width"),
                      result_table(table, height=240, metrics=labels.NETWORK_METRICS)]
        if result.n_runs > 1:
            parts.append(result_table(result.runs, height=240, metrics=labels.NETWORK_METRICS))
        if notes:
            parts.append(pn.pane.Markdown(notes))
        return pn.Column(*parts, sizing_mode="stretch_width")

