"""Every colour the plots use, in one place, so a quantity looks the same on every page.

Three kinds of palette:

* ``SERIES``: one colour per quantity of a run (N, I, B, S, Phi, the six inputs), from the
  Okabe-Ito colour-blind-safe set; the Simulate plots, the signal previews and the
  network aggregates use them.
* ``CATEGORICAL``: distinct colours for things that are only told apart (overlaid
  scenarios on Compare, controller responses, communities), colorcet's Glasbey set whose
  first ten are the familiar Category10; :func:`categorical` gives as many as needed.
* ``TONES``: the muted named tones of the analysis pages (bands, regimes, markers).
"""

from __future__ import annotations

import colorcet

SERIES: dict[str, str] = {
    "N": "#0072B2", "I": "#009E73", "B": "#D55E00", "S": "#6A3D9A", "Phi": "#CC79A7",
    "H": "#0072B2", "M": "#E69F00", "D": "#009E73", "E": "#56B4E9",
    "C_cons": "#D55E00", "C_disp": "#999999",
    "limit": "#888888", "target": "#E69F00", "preview": "#0072B5",
}
"""Quantity (a frame column, or a reference line) -> colour."""

CATEGORICAL: tuple[str, ...] = tuple(colorcet.palette["glasbey_category10"])
"""Distinct colours in a fixed order (Category10 first, then Glasbey's)."""

TONES: dict[str, str] = {
    "ink": "#264653", "coral": "#e76f51", "teal": "#2a9d8f", "sand": "#e9c46a",
    "slate": "#8d99ae", "orange": "#f4a261", "violet": "#6a4c93", "blue": "#457b9d",
    "red": "#e63946", "highlight": "#d62728", "muted": "#bbbbbb", "grey": "#7f7f7f",
    "edge_light": "#d9d9d9", "edge_dark": "#6c757d",
}
"""Named muted tones; pick by meaning (``TONES["highlight"]``), never by position."""

REGIMES: dict[str, str] = {
    "settles": TONES["teal"], "oscillates": TONES["sand"], "saturates": TONES["orange"],
    "collapses": TONES["red"], "drifts": TONES["slate"]}
"""Behaviour regime of a run (stability map, controller table) -> colour: calm to alarming."""

BANDS: dict[str, str] = {"outer": TONES["orange"], "inner": TONES["coral"],
                         "median": TONES["ink"], "selected": TONES["highlight"],
                         "histogram": TONES["teal"]}
"""Monte Carlo fan chart: the 5-95 % and 25-75 % bands, the median, picked runs, histogram."""

SENSITIVITY: dict[str, str] = {"first": TONES["blue"], "total": TONES["red"],
                               "down": TONES["blue"], "up": TONES["red"],
                               "points": TONES["teal"]}
"""Sensitivity charts: Sobol S1/ST, one-at-a-time down/up, Morris points."""

NETWORK: tuple[str, ...] = tuple(TONES[n] for n in (
    "ink", "coral", "teal", "sand", "slate", "orange", "violet"))
"""The network page's curves in order: N, burn, issuance, health, control, band, ..."""


def categorical(count: int) -> list[str]:
    """``count`` distinct colours (cycling only past the Glasbey set's 256)."""
    return [CATEGORICAL[i % len(CATEGORICAL)] for i in range(count)]
