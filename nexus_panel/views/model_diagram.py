"""The model on the page: the state equation and a stock-and-flow diagram of N.

Why drawn here (inline SVG built in Python) and not an image file: the diagram shows the
CURRENT scenario's flows. Each arrow's thickness is the flow's mean over the run, its
label the number, and the control flow Φ is drawn on the side its mean is on (an inflow
when the controller adds tokens, an outflow when it removes them), so the picture answers
"where do the tokens come from and go to in this run". SVG also stays sharp at any width
and needs no script (the page's CSP allows none from outside). Text outside the N box is
drawn in ``currentColor``, so it stays readable in the dark theme.

Test hooks: the ``<svg class="nx-model-diagram">``; each flow a ``<g class="nx-flow"
data-flow="I|Phi|floor|B|decay" data-side="in|out" data-value="...">``; the stock
``<g class="nx-stock" data-value="...">``.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import panel as pn
import param
from panel.viewable import Viewer

from nexus_panel.engine import SimulationResult
from nexus_panel.models import Scenario
from nexus_panel.session import ScenarioSession
from nexus_panel.views import labels, safe
from nexus_panel.views.palettes import SERIES, TONES

WIDTH, HEIGHT = 760, 260
STOCK = (300, 95, 160, 110)
"""x, y, width, height of the N box in the SVG's coordinates."""
MIN_STROKE, MAX_STROKE = 2.0, 16.0

EQUATION_HTML = (
    '<div class="nx-model-equation" role="math" '
    'aria-label="dN/dt = I minus B minus kappa N plus Phi plus eta F floor">'
    "<span>dN/dt</span> = <span style=\"color:{I}\">I</span> − "
    "<span style=\"color:{B}\">B</span> − <span>κ·N</span> + "
    "<span style=\"color:{Phi}\">Φ</span> + <span>η·F<sub>floor</sub></span></div>")

TERMS_MARKDOWN = """
| term | what it is |
|---|---|
| **N** | the stock of tokens (the state) |
| **I** | issuance: α · S · (w_H·H + w_M·M + w_D·D + w_E·E), S the health index in [0, 1] |
| **B** | burn: β · (γ_C·C_cons + γ_D·C_disp + γ_E·(1 − E)) |
| **κ·N** | decay: a fixed fraction κ of the stock per unit of time |
| **Φ** | control: a PID controller pushing N towards its target N*, limited to ±Φ_limit |
| **η·F_floor** | floor: a guaranteed inflow |
"""


@dataclass(frozen=True)
class Flow:
    key: str
    """Test hook ``data-flow``: I, Phi, floor, B or decay."""
    label: str
    value: float
    """Mean over the run, tokens per unit of time, >= 0 (its direction is ``inflow``)."""
    inflow: bool
    colour: str


def mean_flows(scenario: Scenario, result: SimulationResult | None) -> list[Flow]:
    """The five flows of ``result`` as means over the run (the floor and, without a
    result, everything come from the scenario's parameters alone)."""
    params = scenario.params
    floor = params.eta * params.F_floor
    if result is None:
        issuance = burn = phi = 0.0
        decay = params.kappa * params.N_initial
    else:
        frame = result.frame
        issuance, burn = float(frame["I"].mean()), float(frame["B"].mean())
        phi = float(frame["Phi"].mean())
        decay = params.kappa * float(frame["N"].mean())
    return [
        Flow("I", "Issuance I", issuance, True, SERIES["I"]),
        Flow("Phi", "Control Φ", abs(phi), phi >= 0, SERIES["Phi"]),
        Flow("floor", "Floor η·F", floor, True, TONES["teal"]),
        Flow("B", "Burn B", burn, False, SERIES["B"]),
        Flow("decay", "Decay κ·N", decay, False, TONES["slate"]),
    ]


def _stroke(value: float, largest: float) -> float:
    return MIN_STROKE + (MAX_STROKE - MIN_STROKE) * (value / largest if largest > 0 else 0)


def _arrow(flow: Flow, y: float, largest: float) -> str:
    """One flow: a cloud (source or sink), a pipe of thickness ~ value, an arrowhead
    pointing in the direction the tokens move, and its label."""
    x0, _, width, _ = STOCK
    stroke = _stroke(flow.value, largest)
    if flow.inflow:
        cloud_x, start, end, text_x = 60, 88, x0 - 4, 92
    else:
        cloud_x, start, end, text_x = WIDTH - 60, x0 + width, WIDTH - 92, x0 + width + 10
    head = stroke + 8
    direction = 1 if end > start else -1
    tip, base = end, end - direction * head
    return safe.html(
        '<g class="nx-flow" data-flow="{key}" data-side="{side}" data-value="{value}">'
        '<ellipse cx="{cx}" cy="{y}" rx="26" ry="15" fill="none" stroke="#8d99ae" '
        'stroke-dasharray="4 3"/>'
        '<line x1="{start}" y1="{y}" x2="{base}" y2="{y}" stroke="{colour}" '
        'stroke-width="{stroke}"/>'
        '<polygon points="{tip},{y} {base},{up} {base},{down}" fill="{colour}"/>'
        '<text x="{text_x}" y="{text_y}" font-size="13" fill="currentColor">{label} = {amount}'
        "</text></g>",
        key=flow.key, side="in" if flow.inflow else "out", value=f"{flow.value:.6g}",
        cx=cloud_x, y=f"{y:.1f}", start=start, base=f"{base:.1f}", colour=flow.colour,
        stroke=f"{stroke:.1f}", tip=tip, up=f"{y - head / 2:.1f}", down=f"{y + head / 2:.1f}",
        text_x=text_x, text_y=f"{y - stroke / 2 - 5:.1f}", label=flow.label,
        amount=labels.amount(flow.value))


def _rows(count: int) -> list[float]:
    """Vertical positions of ``count`` pipes, spread over the stock's height."""
    _, top, _, height = STOCK
    if count == 1:
        return [top + height / 2]
    return [top - 25 + (height + 50) * i / (count - 1) for i in range(count)]


def diagram_svg(scenario: Scenario, result: SimulationResult | None) -> str:
    """The stock-and-flow diagram of ``scenario``'s run ``result`` as one SVG element."""
    flows = mean_flows(scenario, result)
    largest = max(f.value for f in flows)
    inflows = [f for f in flows if f.inflow]
    outflows = [f for f in flows if not f.inflow]
    parts = [_arrow(f, y, largest) for group in (inflows, outflows)
             for f, y in zip(group, _rows(len(group)), strict=True)]
    final_n = None if result is None else float(result.frame["N"].iloc[-1])
    x, y, width, height = STOCK
    stock = safe.html(
        '<g class="nx-stock" data-value="{value}"><rect x="{x}" y="{y}" width="{w}" '
        'height="{h}" rx="6" fill="#eaf2fa" stroke="{colour}" stroke-width="3"/>'
        '<text x="{cx}" y="{ty}" text-anchor="middle" font-size="20" font-weight="600" '
        'fill="{colour}">N</text><text x="{cx}" y="{vy}" text-anchor="middle" '
        'font-size="13" fill="#222">{amount}</text><text x="{cx}" y="{ny}" '
        'text-anchor="middle" font-size="11" fill="#555">target N* = {target}</text></g>',
        value="" if final_n is None else f"{final_n:.6g}", x=x, y=y, w=width, h=height,
        colour=SERIES["N"], cx=x + width / 2, ty=y + 35, vy=y + 62, ny=y + 85,
        amount="not run yet" if final_n is None else "at the end: " + labels.amount(final_n),
        target=labels.amount(scenario.params.N_target))
    title = safe.html(
        "<title>Stock and flow diagram of N: inflows {ins}; outflows {outs} "
        "(means over the run, tokens per unit of time)</title>",
        ins=", ".join(f"{f.label} {labels.amount(f.value)}" for f in inflows),
        outs=", ".join(f"{f.label} {labels.amount(f.value)}" for f in outflows))
    head = ('<text x="{x}" y="24" text-anchor="middle" font-size="12" fill="currentColor" '
            'opacity=".7">{word}</text>')
    heads = (safe.html(head, x=60, word="inflows")
             + safe.html(head, x=WIDTH - 60, word="outflows"))
    open_tag = safe.html(
        '<svg class="nx-model-diagram" role="img" viewBox="0 0 {w} {h}" '
        'xmlns="http://www.w3.org/2000/svg" style="width:100%;max-width:{w}px;height:auto">',
        w=WIDTH, h=HEIGHT)
    return open_tag + title + heads + "".join(parts) + stock + "</svg>"


class ModelDiagram(Viewer):
    """The equation, the diagram of the session's current run and what each term means."""

    session = param.ClassSelector(class_=ScenarioSession)

    def __init__(self, **params: Any) -> None:
        super().__init__(**params)
        self.equation = pn.pane.HTML(
            safe.html(EQUATION_HTML, **SERIES), styles={"font-size": "22px"},
            css_classes=["nx-model-equation-pane"], margin=(5, 10))
        self.diagram = pn.pane.HTML("", sizing_mode="stretch_width",
                                    css_classes=["nx-model-diagram-pane"])
        self.caption = pn.pane.Markdown(
            "Arrow thickness: each flow's mean over the current run. Φ is drawn on the "
            "side its mean is on (added when N is below its target, removed above).",
            styles={"opacity": "0.75"}, margin=(0, 10))
        self.terms = pn.pane.Markdown(TERMS_MARKDOWN, css_classes=["nx-model-terms"])
        self._redraw()
        self.session.param.watch(self._redraw, ["result"])

    def _redraw(self, _event: Any = None) -> None:
        self.diagram.object = diagram_svg(self.session.scenario, self.session.result)

    def __panel__(self) -> pn.viewable.Viewable:
        return pn.Column(self.equation, self.diagram, self.caption, self.terms,
                         sizing_mode="stretch_width")
