"""The plots of a network economy: aggregates, inequality, Lorenz curves, holdings, the graph.

The graph drawing needs node positions. networkx's spring layout is quadratic in the
number of agents (docs/benchmarks.md), so it is used up to ``SPRING_MAX_NODES``; larger graphs get a
cheap deterministic layout instead: each community (or the whole graph) is a disc on a
circle, and inside a disc the agents lie on a sunflower spiral by decreasing degree, hubs
in the centre. Up to ``DATASHADE_MIN_NODES`` the graph is an ``hv.Graph`` (nodes coloured
by holdings, sized by degree, hover); above, datashader rasterizes the edges and the
nodes (each pixel coloured by the mean holding of its agents), so a million edges cost one
image.
"""

from __future__ import annotations

import math

import holoviews as hv
import holoviews.plotting.bokeh  # registers the backend that .opts targets
import numpy as np

from nexus_panel.analysis.network import NetworkResult, lorenz
from nexus_panel.analysis.network_graph import Network
from nexus_panel.views import labels
from nexus_panel.views.palettes import NETWORK, TONES
from nexus_panel.views.png_export import savable

SPRING_MAX_NODES = 400
DATASHADE_MIN_NODES = 3_000
HEIGHT = 300
PALETTE = NETWORK
TIME = hv.Dimension("t", label=labels.AXES["t"])


def axis(name: str) -> hv.Dimension:
    """A value dimension labelled in words with its unit (views/labels.py)."""
    return hv.Dimension(name, label=labels.AXES.get(name, name))


def layout(net: Network, seed: int = 1) -> np.ndarray:
    """(n, 2) node positions (see the module doc)."""
    n = net.n
    if n == 0:
        return np.empty((0, 2))
    if n <= SPRING_MAX_NODES and net.edges:
        import networkx as nx

        g = nx.Graph()
        g.add_nodes_from(range(n))
        src, dst = net.edge_pairs()
        g.add_edges_from(zip(src.tolist(), dst.tolist(), strict=True))
        pos = nx.spring_layout(g, seed=seed, iterations=60)
        return np.array([pos[i] for i in range(n)])
    labels = net.communities if net.communities is not None else np.zeros(n, dtype=np.int64)
    groups = int(labels.max()) + 1
    out = np.empty((n, 2))
    degree = net.degree
    golden = math.pi * (3 - math.sqrt(5))
    ring = 0.0 if groups == 1 else 1.0
    for c in range(groups):
        members = np.flatnonzero(labels == c)
        members = members[np.argsort(-degree[members], kind="stable")]
        k = np.arange(len(members))
        radius = np.sqrt((k + 0.5) / max(len(members), 1)) * (
            1.0 if groups == 1 else 0.9 * math.sin(math.pi / groups))
        centre = ring * np.array([math.cos(2 * math.pi * c / groups),
                                  math.sin(2 * math.pi * c / groups)])
        out[members, 0] = centre[0] + radius * np.cos(k * golden)
        out[members, 1] = centre[1] + radius * np.sin(k * golden)
    return out


def network_plot(result: NetworkResult, holdings: np.ndarray) -> hv.Element | hv.Overlay:
    """The graph, nodes coloured by ``holdings`` and sized by degree."""
    net = result.network
    pos = layout(net, result.spec.seed)
    degree = net.degree
    src, dst = net.edge_pairs()
    title = (f"The network: {net.n:,} agents, {net.edges:,} edges (colour: holdings, "
             f"size: degree)")
    if net.n >= DATASHADE_MIN_NODES:
        import datashader as ds
        from holoviews.operation.datashader import datashade, dynspread, rasterize

        segments = hv.Segments((pos[src, 0], pos[src, 1], pos[dst, 0], pos[dst, 1]),
                               ["x", "y", "x1", "y1"])
        points = hv.Points((pos[:, 0], pos[:, 1], holdings), ["x", "y"], ["holdings"])
        edges = datashade(segments, cmap=[TONES["edge_light"], TONES["edge_dark"]]).opts(
            responsive=True, height=460)
        nodes = dynspread(rasterize(points, aggregator=ds.mean("holdings")),
                          threshold=0.6).opts(cmap="viridis", colorbar=True,
                                              clabel="mean holdings", responsive=True,
                                              height=460)
        return savable((edges * nodes).opts(title=title + " — rasterized"), "network", "graph")
    nodes = hv.Nodes((pos[:, 0], pos[:, 1], np.arange(net.n), holdings, degree),
                     vdims=["holdings", "degree"])
    size = 4 + 14 * np.sqrt(degree / max(1, degree.max()))
    nodes = nodes.add_dimension("size", len(nodes.vdims), size, vdim=True)
    graph = hv.Graph(((src, dst), nodes))
    return savable(graph.opts(node_color="holdings", node_size="size", cmap="viridis",
                              edge_line_alpha=0.25, edge_line_width=0.5, colorbar=True,
                              tools=["hover"], responsive=True, height=460, xaxis=None,
                              yaxis=None, title=title), "network", "graph")


def _curves(t: np.ndarray, series: list[tuple[np.ndarray, str, str]], y: str | hv.Dimension,
            title: str, name: str) -> hv.Overlay:
    """Curves over time, saved as ``nexus-network-<name>.png``."""
    curves = [hv.Curve((t, values), TIME, y, label=label).opts(color=color)
              for values, label, color in series]
    return savable(hv.Overlay(curves).opts(title=title, responsive=True, height=HEIGHT - 60,
                                           show_grid=True, legend_position="top_left"),
                   "network", name)


def aggregate_plots(result: NetworkResult) -> list[hv.Overlay]:
    """N(t) (with the range over seeds), issuance and burn, health and Phi (one plot each:
    Panel links their t axes when they are shown in one layout)."""
    agg = result.aggregates
    t = agg["t"].to_numpy()
    n_plot = _curves(t, [(agg["N"].to_numpy(), "N (run 1)", PALETTE[0])], axis("N"),
                     "Aggregate N(t) = sum of holdings", "aggregate N")
    if result.n_runs > 1:
        lo, hi = result.totals.min(axis=0), result.totals.max(axis=0)
        band = hv.Area((t, lo, hi), TIME, [axis("N"), "N_max"],
                       label=f"range over {result.n_runs} runs").opts(
            color=PALETTE[5], alpha=0.35, line_alpha=0)
        n_plot = savable((band * n_plot).opts(title="Aggregate N(t) = sum of holdings"),
                         "network", "aggregate N")
    flows = _curves(t, [(agg["I"].to_numpy(), "I issuance", PALETTE[2]),
                        (agg["B"].to_numpy(), "B burn", PALETTE[1])], axis("flow"),
                    "Issuance and burn", "issuance and burn")
    control = _curves(t, [(agg["S"].to_numpy(), "S health", PALETTE[3]),
                          (agg["Phi"].to_numpy(), "Φ control", PALETTE[4])],
                      hv.Dimension("value", label="S (0–1), Φ (tokens/time)"),
                      "Health S and controller Φ", "health and control")
    return [n_plot, flows, control]


def inequality_plot(result: NetworkResult) -> hv.Overlay:
    table = result.inequality()
    share = axis("share")
    gini = hv.Curve((table["t"], table["gini"]), TIME, share, label="Gini").opts(
        color=PALETTE[1])
    top = hv.Curve((table["t"], table["top10_share"]), TIME, share,
                   label="top 10 % share").opts(color=PALETTE[0])
    return savable((gini * top * hv.Scatter((table["t"], table["gini"]), TIME, share).opts(
        color=PALETTE[1], size=4)).opts(
        title="Inequality over time (at the snapshots)", responsive=True, height=HEIGHT,
        legend_position="top_left", show_grid=True, ylim=(0, 1)), "network", "inequality")


def lorenz_plot(result: NetworkResult, steps: list[int]) -> hv.Overlay:
    equality = hv.Curve(([0, 1], [0, 1]), "agents (share, poorest first)",
                        "holdings (share)", label="equality").opts(
        color="grey", line_dash="dashed")
    curves = [equality]
    index = {int(k): i for i, k in enumerate(result.snapshot_steps)}
    for j, step in enumerate(steps):
        x, y = lorenz(result.snapshots[index[step]])
        curves.append(hv.Curve((x, y), "agents (share, poorest first)", "holdings (share)",
                               label=f"step {step}").opts(color=PALETTE[j % len(PALETTE)]))
    return savable(hv.Overlay(curves).opts(title="Lorenz curves", responsive=True,
                                           height=HEIGHT, legend_position="top_left",
                                           show_grid=True), "network", "lorenz curves")


def holdings_histogram(holdings: np.ndarray, step: int) -> hv.Histogram:
    bins = min(60, max(5, int(math.sqrt(len(holdings)))))
    counts, edges = np.histogram(holdings, bins=bins)
    return savable(hv.Histogram((edges, counts), kdims=[axis("holdings")],
                                vdims=[axis("agents")]).opts(
        title=f"Holdings at step {step}", responsive=True, height=HEIGHT, color=PALETTE[2],
        tools=["hover"]), "network", "holdings", f"step {step}")


def community_plot(result: NetworkResult) -> hv.Overlay | None:
    totals = result.community_totals()
    if totals is None:
        return None
    t = totals.index.to_numpy() * result.spec.base_scenario.params.delta_t
    shown = list(totals.columns)[:len(PALETTE)]
    curves = [hv.Curve((t, totals[c]), TIME, axis("holdings"), label=c).opts(
        color=PALETTE[i]) for i, c in enumerate(shown)]
    more = len(totals.columns) - len(shown)
    title = "Holdings per community" + (f" (first {len(shown)}; {more} more in the table)"
                                        if more else "")
    return savable(hv.Overlay(curves).opts(title=title, responsive=True, height=HEIGHT,
                                           legend_position="right", show_grid=True),
                   "network", "communities")
