"""The Model page: the diagram draws the current run's flows on the right sides, and a
preset loads into the page's session and its address."""

from __future__ import annotations

import re
from urllib.parse import parse_qs

import pytest
from bokeh.document import Document

from nexus_panel.models import Scenario
from nexus_panel.models.presets import PRESETS
from nexus_panel.pages import site
from nexus_panel.pages.links import decode_scenario
from nexus_panel.session import ScenarioSession
from nexus_panel.views.model_diagram import diagram_svg
from nexus_panel.views.presets import PresetPicker


def flows(svg: str) -> dict[str, tuple[str, float]]:
    """data-flow -> (side, value) of every drawn flow."""
    return {m[1]: (m[2], float(m[3])) for m in re.finditer(
        r'data-flow="(\w+)" data-side="(in|out)" data-value="([^"]+)"', svg)}


def test_diagram_draws_the_five_flows_as_means_of_the_run() -> None:
    # eta*F_floor = 0.1*10 = 1 at the defaults; the rest are the run's means.
    scenario = Scenario()
    scenario.params.num_steps = 100
    session = ScenarioSession(scenario)
    drawn = flows(diagram_svg(session.scenario, session.result))
    assert set(drawn) == {"I", "Phi", "floor", "B", "decay"}
    assert drawn["floor"] == ("in", pytest.approx(1.0))
    assert drawn["I"][0] == "in" and drawn["B"][0] == "out" and drawn["decay"][0] == "out"
    frame = session.result.frame
    assert drawn["I"][1] == pytest.approx(frame["I"].mean(), rel=1e-5)
    assert drawn["decay"][1] == pytest.approx(0.01 * frame["N"].mean(), rel=1e-5)
    assert 'class="nx-model-diagram"' in diagram_svg(session.scenario, None)


def test_control_flow_is_drawn_on_the_side_the_controller_pushes() -> None:
    below = PRESETS["steady"].scenario()  # balanced at N*, started at 500: Phi adds
    below.params.N_initial, below.params.num_steps = 500.0, 200
    above = Scenario()  # defaults overshoot above N*: Phi removes tokens
    drawn_below = flows(diagram_svg(below, ScenarioSession(below).result))
    drawn_above = flows(diagram_svg(above, ScenarioSession(above).result))
    assert drawn_below["Phi"][0] == "in" and drawn_below["Phi"][1] > 0
    assert drawn_above["Phi"][0] == "out" and drawn_above["Phi"][1] > 0


def test_hostile_name_cannot_break_the_svg() -> None:
    scenario = Scenario(name="<script>x</script>")
    assert "<script" not in diagram_svg(scenario, None)


def test_preset_button_loads_it_into_the_page_and_its_address() -> None:
    page = site.Site("model", query={}, loader=None)
    page.template().server_doc(Document())
    picker = PresetPicker(session=page.session)
    picker.buttons["collapse"].clicks += 1
    assert page.session.scenario.params.beta == 3.0
    assert page.session.result.frame["N"].iloc[-1] < 1.0
    token = parse_qs(page.url_sink.value.lstrip("?"))["s"][0]
    assert decode_scenario(token).to_dict() == PRESETS["collapse"].scenario().to_dict()
    assert "Collapse" in picker.status.object
