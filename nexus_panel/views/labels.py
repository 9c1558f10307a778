"""Names, units and number formats that readers see, written once.

Why one module: the same figure (``final_N``, ``overshoot_pct``) appears in KPI cards,
the Scenarios page's run table, plot axes and the analysis tables. Spelling it in
words with its unit in one place keeps every page consistent (Φ, never "Phi"; tokens
and model time as units) and keeps identifiers out of what users read; JSON keys,
column names of exports and URL keys stay the identifiers.
"""

from __future__ import annotations

from typing import Any

TOKENS = "tokens"
RATE = "tokens/time"
TIME = "time"

METRICS: dict[str, tuple[str, str]] = {
    "final_N": ("final N", TOKENS),
    "min_N": ("lowest N", TOKENS),
    "max_N": ("highest N", TOKENS),
    "mean_issuance": ("mean issuance I", RATE),
    "mean_burn": ("mean burn B", RATE),
    "issued_minus_burned": ("issued − burned", TOKENS),
    "ledger_residual": ("ledger residual", TOKENS),
    "clamp_events": ("clamp events", ""),
    "clamp_total": ("clamp top-ups", TOKENS),
    "phi_saturated_fraction": ("share of time Φ at its limit", ""),
    "settling_time": ("settling time", TIME),
    "overshoot_pct": ("overshoot", "%"),
    "steady_state_error": ("steady-state error", TOKENS),
    "oscillations": ("oscillations", ""),
    "collapsed": ("collapsed", ""),
    "rise_time": ("rise time", TIME),
    "peak_deviation": ("peak deviation from N*", TOKENS),
    "distance_to_target": ("distance from N*", TOKENS),
}
"""Metric identifier -> (words, unit; "" for counts and fractions)."""

NETWORK_METRICS: dict[str, tuple[str, str]] = {
    **METRICS,
    "final_total": ("final N of all agents", TOKENS),
    "ledger_residual": ("ledger residual (relative)", ""),
    "gini_final": ("final Gini", ""),
    "top10_final": ("share held by the top 10 %", ""),
    "edges": ("edges", ""),
    "components": ("components", ""),
    "agents": ("agents", ""),
    "holdings": ("holdings", TOKENS),
    "share": ("share of all holdings", ""),
    "mean": ("mean holding", TOKENS),
    "gini": ("Gini", ""),
    "seconds": ("run time", "s"),
}
"""The Network page's figures (its ledger residual is relative to the total, not tokens)."""

AXES: dict[str, str] = {
    "t": "time t (model time units)",
    "N": "N (tokens)",
    "I": "issuance I (tokens/time)",
    "B": "burn B (tokens/time)",
    "S": "health index S",
    "Phi": "Φ (tokens/time)",
    "cumulative_I": "issued (tokens)",
    "cumulative_B": "burned (tokens)",
    "flow": "rate (tokens/time)",
    "holdings": "holdings (tokens)",
    "agents": "agents",
    "share": "share (0–1)",
}
"""Result column -> axis label with its unit (plots of one run, Compare)."""

COUNTS = frozenset({"clamp_events", "oscillations", "collapsed"})
"""Metrics that count things: shown without decimals."""


def metric_label(name: str, metrics: dict[str, tuple[str, str]] = METRICS) -> str:
    """``final_N`` -> ``final N (tokens)``; an unknown name is returned unchanged."""
    words, unit = metrics.get(name, (name, ""))
    return f"{words} ({unit})" if unit else words


def metric_choices(names: Any) -> dict[str, str]:
    """``{words with unit: identifier}`` for a metric picker: the reader sees the words,
    the spec, the saved analysis and the link keep the identifier."""
    return {metric_label(n): n for n in names}


def labelled(frame: Any, metrics: dict[str, tuple[str, str]] = METRICS) -> Any:
    """A copy of a table whose metric identifiers, as column names or row labels, are
    replaced by their words with units (other names are kept)."""
    def word(name: Any) -> Any:
        return (metric_label(name, metrics) if isinstance(name, str) and name in metrics
                else name)

    return frame.rename(columns=word, index=word)


def metric_value(name: str, value: Any) -> str:
    """A metric's value as text: counts whole, tiny residuals in e-notation, the rest
    with thousands separators and up to four significant decimals."""
    number = float(value)
    if name in COUNTS:
        return f"{round(number):,d}"
    if name == "ledger_residual":
        return f"{number:.1e}"
    return f"{number:,.4g}" if abs(number) < 1000 else f"{number:,.2f}"


def amount(value: float) -> str:
    """An amount of tokens or a level as text, never in e-notation: ``1,000`` for a whole
    number, ``1,001.56`` otherwise, small fractions to four significant digits."""
    number = float(value)
    if number.is_integer() and abs(number) < 1e15:
        return f"{number:,.0f}"
    if abs(number) >= 1:
        return f"{number:,.2f}"
    return f"{number:.4g}"
