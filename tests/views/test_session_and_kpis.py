"""The session runs each change once, keeps the last good run on bad values, and the KPI
cards show the spec's worked example (docs/model.md) to the digit."""

from __future__ import annotations

import re

import pytest
from rendering import text

from nexus_panel.engine.memo import memo_stats
from nexus_panel.models import EngineParams, Scenario, Signal
from nexus_panel.session import ScenarioSession
from nexus_panel.views.kpis import KpiCards, cards_html, kpis
from nexus_panel.views.notices import notify_errors


def one_step() -> Scenario:
    return Scenario(params=EngineParams(num_steps=1))


def test_worked_example_cards() -> None:
    session = ScenarioSession(one_step())
    cards = {c.key: c for c in kpis(session.result)}
    assert cards["final-N"].value == "1,001.56"
    assert cards["final-N"].detail.startswith("+1.56 (+0.2%)")
    assert cards["mean-issuance"].value == "66.672"
    assert cards["mean-burn"].value == "42.040"
    assert cards["conservation"].value == "holds"
    assert cards["conservation"].status == "ok"
    # final N 1,001.56 against N* = 1,000 (issue 10.8: the distance is a KPI)
    assert cards["target-gap"].value == "+1.56"
    assert cards["target-gap"].detail == "final N − N* (+0.2%); N* = 1,000"
    assert cards["final-N"].title == "Final N (tokens)"
    assert cards["mean-burn"].title == "Mean burn B (tokens/time)"
    html = cards_html(list(cards.values()))
    assert re.search(r'data-testid="kpi-final-N">1,001.56<', html)


def test_clamp_events_are_counted_on_the_conservation_card() -> None:
    # No issuance, heavy burn: N falls to zero and the clamp has to act.
    scenario = Scenario(params=EngineParams(alpha=0, beta=5, num_steps=400, K_p=0, K_i=0,
                                            K_d=0, N_initial=100))
    session = ScenarioSession(scenario)
    card = {c.key: c for c in kpis(session.result)}["conservation"]
    events = int(session.result.summary["clamp_events"])
    assert events > 0
    assert f"{events} clamp events" in card.detail
    assert card.status == "warn"  # value was injected: not a green "holds"
    assert card.value == f"top-ups +{session.result.summary['clamp_total']:,.2f} tokens"


def test_a_clamp_top_up_turns_the_conservation_card_amber() -> None:
    """Issue 10.8, by hand: from N = 0 with no issuance, decay, floor or controller, one
    step burns B*dt = 42.04 * 0.1 = 4.204 tokens below zero; the clamp tops N back up to
    0 with 4.204 tokens that no flow booked."""
    scenario = Scenario(params=EngineParams(num_steps=1, N_initial=0, alpha=0, eta=0,
                                            K_p=0, K_i=0, K_d=0))
    cards = {c.key: c for c in kpis(ScenarioSession(scenario).result)}
    card = cards["conservation"]
    assert (card.value, card.status) == ("top-ups +4.20 tokens", "warn")
    assert "1 clamp event;" in card.detail
    assert cards["target-gap"].value == "-1,000.00"  # N = 0 against N* = 1,000
    html = cards_html(list(cards.values()))
    assert 'class="nx-kpi nx-kpi-conservation nx-kpi-warn"' in html


def test_each_change_runs_once_through_the_memo() -> None:
    session = ScenarioSession(one_step())
    before = memo_stats()
    hits, computed = before["hits"], before["computed"]
    session.scenario.params.alpha = 2.0
    after = memo_stats()
    assert after["computed"] - computed == 1
    assert session.result.scenario.params.alpha == 2.0
    session.scenario.params.alpha = 1.0  # back to a scenario computed before: a memo hit
    assert memo_stats()["hits"] - hits == 1
    assert session.result.final_N == pytest.approx(1001.5632, abs=1e-9)


def test_apply_copies_values_in_place_with_one_run() -> None:
    session = ScenarioSession()
    params_obj, h_obj = session.scenario.params, session.scenario.inputs.H
    versions = []
    session.param.watch(lambda e: versions.append(e.new), "version")
    other = Scenario(name="other", params=EngineParams(alpha=3.0, num_steps=200))
    other.inputs.H = Signal(kind="ramp", start=10, end=20)
    session.apply(other)
    assert len(versions) == 1
    assert session.scenario.params is params_obj and session.scenario.inputs.H is h_obj
    assert session.scenario.to_dict() == other.to_dict()
    assert session.result.frame["H"].iloc[0] == 10.0
    assert len(session.result.frame) == 201


def test_reset_group_and_all() -> None:
    session = ScenarioSession(Scenario(params=EngineParams(alpha=2, K_p=0.5, num_steps=100)))
    session.reset_params(["K_d", "K_i", "K_p", "N_target", "phi_limit"])
    assert session.scenario.params.K_p == 0.1
    assert session.scenario.params.alpha == 2
    session.scenario.inputs.E.kind = "sinusoidal"
    session.reset_all()
    assert session.scenario.to_dict() == Scenario().to_dict()


def test_bad_values_keep_last_good_run_and_say_why() -> None:
    session = ScenarioSession(one_step())
    good = session.result
    cards = KpiCards(session=session)
    signal = session.scenario.inputs.H
    signal.param.update(kind="pulse", pulse_period=5)
    signal.pulse_width = 8  # wider than its period: rejected by validation
    assert session.result is good
    assert "inputs.H.pulse_width = 8" in session.error
    assert cards._error.visible and "inputs.H.pulse_width" in text(cards._error.object)
    signal.pulse_width = 2
    assert session.error == ""
    assert not cards._error.visible
    assert session.result is not good


def test_weight_warnings_shown_beside_the_cards() -> None:
    session = ScenarioSession(one_step())
    cards = KpiCards(session=session)
    assert not cards._warnings.visible
    session.scenario.params.w_H = 0.9
    assert cards._warnings.visible
    assert "Issuance weights: w_D + w_E + w_H + w_M sum to 1.5" in text(cards._warnings.object)
    assert cards._cards.object.count('class="nx-kpi-value"') == 5


def test_bad_values_raise_an_error_notification_in_a_served_page() -> None:
    import panel as pn
    from bokeh.document import Document
    from panel.io.state import set_curdoc

    with pn.config.set(notifications=True), set_curdoc(Document()):
        area = pn.state.notifications
        seen = len(area.notifications)
        session = ScenarioSession(one_step())
        notify_errors(session)  # what every page and dashboard wires
        session.scenario.inputs.D.param.update(kind="pulse", pulse_width=3, pulse_period=4)
        session.scenario.inputs.D.pulse_width = 9
        shown = [(n.notification_type, n.message) for n in area.notifications[seen:]]
    assert shown == [("error", "Not run: 1 invalid value: inputs.D.pulse_width = 9 "
                               "(allowed: at most pulse_period (4); a wider pulse never ends)")]
    assert session.result.scenario.inputs.D.pulse_width == 3  # the last good run stays


def test_kpi_details_never_use_e_notation_for_ordinary_amounts() -> None:
    """Issue 10.13: N* = 1,000,000 showed as 1e+06, a range of N as 1.235e+04."""
    scenario = Scenario(params=EngineParams(num_steps=1, N_target=1_000_000,
                                            N_initial=12_345.5))
    cards = {c.key: c for c in kpis(ScenarioSession(scenario).result)}
    assert cards["target-gap"].detail.endswith("N* = 1,000,000")
    assert "vs N₀(t=0) = 12,345.50" in cards["final-N"].detail
    assert "e+" not in cards["mean-burn"].detail and "12,345.50" in cards["mean-burn"].detail


def test_warnings_spell_phi_one_way() -> None:
    """Issue 10.13: the plots and labels say Φ; the saturation warning said "Phi"."""
    scenario = Scenario(params=EngineParams(num_steps=200, alpha=4.5))
    [warning] = [w for w in ScenarioSession(scenario).result.warnings if "limit" in w]
    assert warning.startswith("The controller output Φ was at its ±100 limit")
