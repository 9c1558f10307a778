"""KPI cards: final N and its change, distance from the target N*, mean issuance, mean
burn, conservation, warnings.

Conservation is the engine's real ledger (docs/model.md): N[end] - N[0] must
equal the booked flows plus the clamp top-ups; the card is green when the residual is
within floating-point rounding of the run and the clamp at zero never acted, amber
(showing the value injected) when the clamp topped N up, red when the ledger fails.
Issued minus burned is shown under its own name, never as a "conservation error".

All cards are one HTML pane (one model to update per run, not one per card). Test hooks:
each card has ``data-testid="kpi-<key>"`` on its value and CSS class ``nx-kpi-<key>``,
with keys ``final-N``, ``target-gap``, ``mean-issuance``, ``mean-burn``, ``conservation``.
"""

from __future__ import annotations

import html
import sys
from dataclasses import dataclass
from typing import Any

import panel as pn
import param
from panel.viewable import Viewer

from nexus_panel.engine import SimulationResult
from nexus_panel.session import ScenarioSession
from nexus_panel.views import labels, safe

ROUNDING_ULPS = 4.0
"""Allowed ledger residual per step, in units of the largest |N| times machine epsilon."""


@dataclass(frozen=True)
class Kpi:
    key: str
    title: str
    value: str
    detail: str
    status: str = "neutral"  # "ok", "warn", "bad" or "neutral": the card's colour


def ledger_tolerance(result: SimulationResult) -> float:
    """Largest residual that is only rounding: a few ulps of max |N| per step."""
    steps = max(1, len(result.frame) - 1)
    scale = max(1.0, abs(result.summary["max_N"]), abs(result.summary["min_N"]))
    return ROUNDING_ULPS * sys.float_info.epsilon * scale * steps


def conservation_holds(result: SimulationResult) -> bool:
    return abs(result.summary["ledger_residual"]) <= ledger_tolerance(result)


def _signed(x: float) -> str:
    return f"{x:+,.2f}"


def kpis(result: SimulationResult) -> list[Kpi]:
    """The five cards of a run, formatted for display (amounts in tokens, rates in
    tokens per unit of model time)."""
    s = result.summary
    params = result.scenario.params
    start = params.N_initial
    change = s["final_N"] - start
    pct = f" ({change / start:+.1%})" if start else ""
    gap = s["final_N"] - params.N_target
    gap_pct = f" ({gap / params.N_target:+.1%})" if params.N_target else ""
    return [
        Kpi("final-N", f"Final N ({labels.TOKENS})", f"{s['final_N']:,.2f}",
            f"{_signed(change)}{pct} vs N₀(t=0) = {labels.amount(start)}"),
        Kpi("target-gap", f"Distance from N* ({labels.TOKENS})", _signed(gap),
            f"final N − N*{gap_pct}; N* = {labels.amount(params.N_target)}"),
        Kpi("mean-issuance", f"Mean issuance I ({labels.RATE})", f"{s['mean_issuance']:,.3f}",
            f"issued − burned = {_signed(s['issued_minus_burned'])} {labels.TOKENS}"),
        Kpi("mean-burn", f"Mean burn B ({labels.RATE})", f"{s['mean_burn']:,.3f}",
            f"range of N: {labels.amount(s['min_N'])} … {labels.amount(s['max_N'])} "
            f"{labels.TOKENS}"),
        conservation_card(result),
    ]


def conservation_card(result: SimulationResult) -> Kpi:
    """Green only when the ledger balances with nothing injected. The clamp at zero
    tops N up with value no flow booked: the ledger still balances (the top-ups are
    counted), but saying "holds" in green would hide that value was created, so the
    card turns amber and shows how much."""
    s = result.summary
    residual = f"ledger residual {s['ledger_residual']:.1e} {labels.TOKENS}"
    if not conservation_holds(result):
        return Kpi("conservation", "Conservation", "VIOLATED", residual, "bad")
    clamps = round(s["clamp_events"])
    if clamps == 0:
        return Kpi("conservation", "Conservation", "holds",
                   f"{residual}; no clamp top-ups", "ok")
    events = f"{clamps:,d} clamp event{'s' * (clamps != 1)}"
    return Kpi("conservation", "Conservation",
               f"top-ups +{s['clamp_total']:,.2f} {labels.TOKENS}",
               f"the clamp at N = 0 injected value in {events}; balances only with "
               f"them counted ({residual})", "warn")


def cards_html(cards: list[Kpi]) -> str:
    parts = []
    for c in cards:
        parts.append(
            f'<div class="nx-kpi nx-kpi-{c.key} nx-kpi-{c.status}">'
            f'<div class="nx-kpi-title">{html.escape(c.title)}</div>'
            f'<div class="nx-kpi-value" data-testid="kpi-{c.key}">{html.escape(c.value)}</div>'
            f'<div class="nx-kpi-detail">{html.escape(c.detail)}</div></div>')
    return f'<style>{KPI_CSS}</style><div class="nx-kpis">' + "".join(parts) + "</div>"


KPI_CSS = """
.nx-kpis { display: grid; grid-template-columns: repeat(auto-fit, minmax(190px, 1fr));
           gap: 10px; width: 100%; }
.nx-kpi { border: 1px solid #dfe3e8; border-left: 5px solid #0072B5; border-radius: 6px;
          padding: 8px 12px; background: #fff; font-family: inherit; }
.nx-kpi-ok { border-left-color: #2e9e44; background: #f3fbf4; }
.nx-kpi-warn { border-left-color: #c77c02; background: #fff8e6; }
.nx-kpi-bad { border-left-color: #d0342c; background: #fdf2f1; }
.nx-kpi-title { font-size: 12px; color: #5b6470; text-transform: uppercase;
                letter-spacing: .04em; }
.nx-kpi-value { font-size: 24px; font-weight: 600; color: #1b1f24; margin: 2px 0; }
.nx-kpi-ok .nx-kpi-value { color: #1f7a32; }
.nx-kpi-warn .nx-kpi-value { color: #8a5300; }
.nx-kpi-bad .nx-kpi-value { color: #b3261e; }
.nx-kpi-detail { font-size: 12px; color: #5b6470; }
"""


class KpiCards(Viewer):
    """The KPI cards of the session's latest run, plus its warnings and current error."""

    session = param.ClassSelector(class_=ScenarioSession, doc="The session to summarise.")

    def __init__(self, **params: Any) -> None:
        super().__init__(**params)
        # The CSS travels inside the HTML: a ``stylesheets=`` list would be re-sent (and
        # re-applied by the browser) on every update of the cards.
        self._cards = pn.pane.HTML(self._cards_html(), sizing_mode="stretch_width",
                                   css_classes=["nx-kpi-cards"], margin=(5, 5))
        self._warnings = pn.pane.Alert("", alert_type="warning", visible=False,
                                       css_classes=["nx-warnings"],
                                       sizing_mode="stretch_width", margin=(0, 5))
        self._error = pn.pane.Alert("", alert_type="danger", visible=False,
                                    css_classes=["nx-run-error"],
                                    sizing_mode="stretch_width", margin=(0, 5))
        self._busy = pn.pane.Markdown(
            "⏳ Computing a long run off the page; the values shown are the previous run's.",
            visible=self.session.param.busy, css_classes=["nx-busy"],
            sizing_mode="stretch_width", margin=(0, 5))
        self._update_notes()
        self.session.param.watch(self._on_result, "result")
        self.session.param.watch(self._on_error, "error")
        self._on_error()

    def _cards_html(self) -> str:
        result = self.session.result
        return "" if result is None else cards_html(kpis(result))

    def _update_notes(self) -> None:
        result = self.session.result
        notes = [] if result is None else result.warnings
        text = "\n".join("- " + safe.text(n) for n in notes)
        if text != self._warnings.object or bool(notes) != self._warnings.visible:
            self._warnings.param.update(object=text, visible=bool(notes))

    def _on_result(self, _event: Any = None) -> None:
        self._cards.object = self._cards_html()
        self._update_notes()

    def _on_error(self, _event: Any = None) -> None:
        error = self.session.error
        text = safe.md("**The current values cannot run; showing the last good run.** "
                       "{error}", error=error)
        self._error.param.update(object=text if error else "", visible=bool(error))

    def __panel__(self) -> pn.Column:
        return pn.Column(self._busy, self._cards, self._error, self._warnings,
                         sizing_mode="stretch_width",
                         margin=0)
