"""What Compare shows, without panel: the outputs of several runs side by side and the
parameters in which their scenarios differ.

Kept apart from the widgets so a notebook (or a test) can build the same overlay and
table from any list of scenarios, saved or not.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import pandas as pd

from nexus_panel.models import Scenario

_OUTPUTS: tuple[tuple[str, str, str], ...] = (
    ("N", "N", "State N(t)"),
    ("I", "I", "Issuance I(t)"),
    ("B", "B", "Burn B(t)"),
    ("S", "S", "Health S(t)"),
    ("Phi", "Φ", "Control Φ(t)"),
    ("cumulative_I", "∫I dt", "Cumulative issuance"),
    ("cumulative_B", "∫B dt", "Cumulative burn"),
)
"""Result columns a user can overlay: (column, short button label, plot title), in
display order. The two lookups below are read from it."""

COMPARE_OUTPUTS: dict[str, str] = {column: title for column, _, title in _OUTPUTS}
"""Result column -> plot title."""

OUTPUT_BUTTONS: dict[str, str] = {button: column for column, button, _ in _OUTPUTS}
"""Short button label -> result column, for the output picker."""

MIN_COMPARED, MAX_COMPARED = 2, 5


def flatten(scenario: Scenario) -> dict[str, Any]:
    """The run-defining values as ``{"alpha": 1.0, "H.kind": "constant", "H.value": 100}``.

    Engine parameters keep their bare names; input signals are prefixed by the input, so
    every key is one row of the comparison table.
    """
    out: dict[str, Any] = dict(scenario.params.to_dict())
    for name, spec in scenario.inputs.to_dict().items():
        for key, value in spec.items():
            out[f"{name}.{key}"] = value
    return out


def differing_parameters(scenarios: Mapping[str, Scenario]) -> pd.DataFrame:
    """One row per value that is not the same in every scenario; one column per scenario.

    A value a scenario does not have (its signal is of another kind) shows as ``—``.
    """
    flat = {label: flatten(s) for label, s in scenarios.items()}
    keys: list[str] = []
    for values in flat.values():
        keys += [k for k in values if k not in keys]
    rows = {k: [flat[label].get(k, "—") for label in flat] for k in keys}
    differing = {k: v for k, v in rows.items() if any(x != v[0] for x in v[1:])}
    frame = pd.DataFrame.from_dict(differing, orient="index", columns=list(flat), dtype=object)
    frame.index.name = "parameter"
    return frame
