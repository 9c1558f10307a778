"""The example notebook runs top to bottom (so it cannot rot) and its dashboard renders."""

from __future__ import annotations

import re
from pathlib import Path

import nbformat
import pytest
from nbclient import NotebookClient

import nexus_panel as nx

ROOT = Path(__file__).resolve().parents[2]
NOTEBOOK = ROOT / "examples" / "dashboard.ipynb"


@pytest.mark.slow
def test_example_notebook_executes_and_matches_simulate() -> None:
    nb = nbformat.read(NOTEBOOK, as_version=4)
    NotebookClient(nb, timeout=180, kernel_name="python3",
                   resources={"metadata": {"path": str(ROOT)}}).execute()
    outputs = [o for cell in nb.cells if cell.cell_type == "code" for o in cell.outputs]
    assert not [o for o in outputs if o.output_type == "error"]
    # The dashboard cell displays a Panel/Bokeh model, not a plain repr.
    dashboard_cell = next(c for c in nb.cells if c.source.startswith("dashboard = "))
    mimes = {m for o in dashboard_cell.outputs for m in o.get("data", {})}
    assert "application/vnd.holoviews_exec.v0+json" in mimes
    text = "".join(o.get("text", "") for o in outputs if o.output_type == "stream")
    shown = re.search(r"final N at alpha=1.5: ([0-9.]+)", text).group(1)
    same = re.search(r"same as nx.simulate:  ([0-9.]+)", text).group(1)
    scenario = nx.Scenario(params=nx.EngineParams(alpha=1.5, num_steps=2000))
    scenario.inputs.H = nx.Signal(kind="step", initial=100, final=140)
    assert shown == same == f"{nx.simulate(scenario).final_N:.6f}"
    assert "/simulate?s=" in text
