"""Issue 10.9/10.14: number widgets show their step's precision, store clean decimals,
and refuse a typed number outside the bounds with the ValidationError's message.

Browser messages are fed through ``_process_events``: the path a value from the page
takes (property conversion included), without a browser."""

from __future__ import annotations

import pytest

import nexus_panel as nx
from nexus_panel.pages.links import encode_scenario
from nexus_panel.views.number_widgets import clean, number_format, step_decimals
from nexus_panel.views.widgets import param_widget


@pytest.mark.parametrize(("step", "decimals", "fmt"), [
    (0.001, 3, "0,0.000"), (0.01, 2, "0,0.00"), (0.1, 1, "0,0.0"), (1, 0, "0,0"),
    (10, 0, "0,0"), (100, 0, "0,0")])
def test_format_follows_the_step(step: float, decimals: int, fmt: str) -> None:
    assert (step_decimals(step), number_format(step)) == (decimals, fmt)


def test_k_i_slider_shows_three_decimals() -> None:
    params = nx.Scenario().params
    slider = param_widget(params.param.K_i, help_icon=False)
    assert slider.format == "0,0.000"  # 0.011 shows as 0.011, not 0.01
    editable = param_widget(params.param.K_i, editable=True, help_icon=False)
    assert editable.format == editable._value_edit.format == "0,0.000"
    assert param_widget(params.param.N_target, help_icon=False).format == "0,0"


def test_slider_values_from_the_browser_are_clean_decimals() -> None:
    scenario = nx.Scenario()
    slider = param_widget(scenario.params.param.K_i, help_icon=False)
    noisy = 0.011000000000000001  # what the issue saw in a link (start + k*step in binary)
    assert noisy != 0.011
    slider._process_events({"value": noisy, "value_throttled": noisy})
    assert repr(scenario.params.K_i) == "0.011"
    assert '"K_i":0.011,' in nx.models.canonical_json(scenario.to_dict())
    assert encode_scenario(scenario) == encode_scenario(
        nx.Scenario(params=nx.EngineParams(K_i=0.011)))
    assert clean(1000.0) == 1000.0 and clean(0.1234567) == 0.1234567  # typed digits kept


def test_a_typed_number_outside_the_bounds_says_why() -> None:
    scenario = nx.Scenario()
    widget = param_widget(scenario.params.param.alpha, editable=True, help_icon=False)
    assert (widget._value_edit.start, widget._value_edit.end) == (None, None)  # no clamp
    widget._value_edit._process_events({"value": 99.0, "value_throttled": 99.0})
    assert scenario.params.alpha == 1.0 and widget.value == 1.0
    assert widget._value_edit.value == 1.0  # the box shows the kept value again
    assert widget._refusal.visible
    assert widget._refusal.object == ("1 invalid value: alpha = 99.0 (allowed: a finite "
                                      "number in [0, 5])")
    with pytest.raises(nx.ValidationError) as caught:
        scenario.params.alpha = 99.0
    assert widget._refusal.object == str(caught.value)  # the same message

    widget._value_edit._process_events({"value": 4.5, "value_throttled": 4.5})
    assert scenario.params.alpha == 4.5 and not widget._refusal.visible


def test_a_number_beyond_the_slider_but_inside_the_bounds_is_taken() -> None:
    scenario = nx.Scenario()
    widget = param_widget(scenario.params.param.N_target, editable=True, help_icon=False)
    widget._value_edit._process_events({"value": 5000.0, "value_throttled": 5000.0})
    assert scenario.params.N_target == 5000.0 and not widget._refusal.visible
