"""The text rule (models/text.py): what each kind of text field accepts, checked against
a plain restatement of the rule, and a scenario's name and description refused by it
with the field and the limit named."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from text_strategies import HOSTILE, hostile_text, plainly_long_text, plainly_one_line

from nexus_panel import Scenario, ValidationError
from nexus_panel.models import text as text_rules


@settings(max_examples=300, deadline=None)
@given(hostile_text())
def test_every_rule_agrees_with_its_plain_statement(value: str) -> None:
    for rule in (text_rules.NAME, text_rules.SEARCH, text_rules.AUTHOR, text_rules.VERSION,
                 text_rules.AUDIT_OBJECT):
        expected = plainly_one_line(value, rule.max_length) and (
            not rule.required or bool(value.strip()))
        assert rule.accepts(value) == expected, (rule, value)
    for rule in (text_rules.DESCRIPTION, text_rules.MESSAGE):
        assert rule.accepts(value) == plainly_long_text(value, rule.max_length), (rule, value)
    if text_rules.DESCRIPTION.accepts(value):
        value.encode("utf-8")  # whatever is accepted has a UTF-8 form (drivers need one)
        assert "\x00" not in value


def test_what_each_kind_of_field_accepts() -> None:
    name, description = text_rules.NAME, text_rules.DESCRIPTION
    assert [v for v in HOSTILE if name.accepts(v)] == [
        "caf\u00e9", "\U0001f600 emoji", "\u05e9\u05dc\u05d5\u05dd", " ", ""]
    assert [v for v in HOSTILE if not description.accepts(v)] == [
        "\ud800", "a\udfffb", "\x00", "a\x00b", "\x1b[31mred", "\r", "\x85"]
    assert name.accepts("n" * 200) and not name.accepts("n" * 201)
    assert description.accepts("d" * 20_000) and not description.accepts("d" * 20_001)
    assert text_rules.MESSAGE.accepts("m" * 2_000) and not text_rules.MESSAGE.accepts("m" * 2_001)
    assert not text_rules.AUTHOR.accepts("   ") and text_rules.AUTHOR.accepts("bob")
    assert not name.accepts(None) and not description.accepts(b"bytes")


def test_a_refusal_names_the_field_and_the_limit() -> None:
    with pytest.raises(ValidationError) as err:
        text_rules.MESSAGE.check("x\x00", "message")
    assert err.value.fields == ["message"]
    assert str(err.value) == (
        "1 invalid value: message = 'x\\x00' (allowed: 0 to 2,000 characters; no control "
        "characters except line breaks and tabs, no unpaired surrogates)")
    assert text_rules.AUTHOR.allowed == (
        "1 to 200 characters on one line, not blank; no control, format or unpaired "
        "surrogate characters")


@pytest.mark.parametrize(("changes", "fields"), [
    ({"name": "a\x00b"}, ["name"]),
    ({"name": "n" * 201}, ["name"]),
    ({"description": "notes \ud800"}, ["description"]),
    ({"description": "d" * 20_001, "name": "\u202eevil"}, ["name", "description"]),
])
def test_a_scenario_with_bad_text_is_refused_naming_each_field(changes: dict[str, str],
                                                               fields: list[str]) -> None:
    with pytest.raises(ValidationError) as err:
        Scenario().copy(**changes)
    assert err.value.fields == fields


def test_long_text_keeps_line_breaks_tabs_and_any_script() -> None:
    notes = "Line one\n\tindented \u05e9\u05dc\u05d5\u05dd \u200f \U0001f600\nzero\u200bwidth"
    assert Scenario().copy(description=notes).description == notes
