"""Text hygiene on both databases: hostile text in any field is stored and read back
exactly, or refused with a ValidationError naming the field; huge integers in filters are
refused; a lookup with text no name can hold finds nothing. Never a driver error."""

from __future__ import annotations

import itertools
import re
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from storage_helpers import count_rows, make_scenario
from text_strategies import hostile_text, plainly_long_text, plainly_one_line

from nexus_panel.models import ValidationError
from nexus_panel.storage import NotFoundError, ScenarioStore

_COUNTER = itertools.count()
_REVISION_SUFFIX = re.compile(r"@\d+$")


def _bad_fields(name: str, description: str, message: str, author: str) -> set[str]:
    """The fields the rule must refuse, by the plain restatement of the rule (names and
    authors are stored without surrounding spaces; a name must not end in @<digits>)."""
    bad = set()
    if not (plainly_one_line(name, 200) and name.strip()) \
            or _REVISION_SUFFIX.search(name.strip()):
        bad.add("name")
    if not plainly_long_text(description, 20_000):
        bad.add("description")
    if not plainly_long_text(message, 2_000):
        bad.add("message")
    if not (plainly_one_line(author.strip(), 200) and author.strip()):
        bad.add("author")
    return bad


TEXTS = st.fixed_dictionaries({k: hostile_text() for k in (
    "name", "description", "message", "author", "search")})


@settings(max_examples=40, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
@given(texts=TEXTS)
def test_hostile_text_is_stored_exactly_or_refused_by_field(
        store: ScenarioStore, texts: dict[str, str]) -> None:
    name, description, message, author, search = texts.values()
    bad = _bad_fields(name, description, message, author)
    alpha = 0.5 + next(_COUNTER) % 4000 / 1000  # new content: each save is a revision
    try:
        scenario = make_scenario(alpha=alpha).copy(name=name, description=description)
        record = store.save(scenario, message=message, author=author)
    except ValidationError as exc:
        assert exc.fields and set(exc.fields) <= bad, (exc.fields, bad)
    else:
        assert not bad, bad
        assert (record.scenario_name, record.description, record.message, record.author) \
            == (name.strip(), description, message, author.strip())
        loaded = store.load(name.strip(), revision=record.number)
        assert (loaded.name, loaded.description) == (name.strip(), description)
        assert store.revisions(name.strip())[-1].message == message
    try:
        found = store.list(search)
    except ValidationError as exc:
        assert exc.fields == ["search"] and not plainly_one_line(search, 200)
    else:
        assert plainly_one_line(search, 200)
        if search.isascii():  # (case folding beyond ASCII differs between the databases)
            assert all(search.lower() in (s.name + " " + s.description).lower()
                       for s in found)


@pytest.mark.parametrize(("field", "value"), [
    ("description", "notes \ud800"), ("description", "a\x00b"), ("message", "\udcff"),
    ("message", "nul \x00"), ("message", "m" * 2_001), ("author", "\ud800"),
    ("author", "bob\x00"), ("author", "a" * 201), ("name", "a\x00b"), ("name", "\u202egnp.exe"),
    ("description", "d" * 20_001),
])
def test_each_bad_text_field_is_refused_and_nothing_is_written(
        store: ScenarioStore, db_url: str, field: str, value: str) -> None:
    """Lone surrogates crashed saving with a raw UnicodeEncodeError on both databases; NUL
    was stored by SQLite and refused by PostgreSQL (so exports could not move)."""
    store.save(make_scenario("kept"))
    before = {t: count_rows(db_url, t) for t in ("scenarios", "scenario_revisions",
                                                 "audit_events")}
    scenario, options = make_scenario("kept", alpha=2.0), {"message": "", "author": None}
    if field in ("name", "description"):
        kwargs: dict[str, Any] = {field: value}
        with pytest.raises(ValidationError) as err:
            store.save(scenario.copy(**kwargs))
    else:
        options[field] = value
        with pytest.raises(ValidationError) as err:
            store.save(scenario, **options)
    assert err.value.fields == [field]
    assert "characters" in str(err.value)  # the limit is named
    assert {t: count_rows(db_url, t) for t in before} == before
    with pytest.raises(ValidationError) as err:
        store.save_many([make_scenario("other"), make_scenario("kept", alpha=3.0)],
                        message="\x00")
    assert err.value.fields == ["message"]
    assert {t: count_rows(db_url, t) for t in before} == before


def test_a_search_for_nul_or_a_surrogate_is_refused_not_everything(
        store: ScenarioStore) -> None:
    """A search for "\\x00" matched every scenario on SQLite and failed on PostgreSQL."""
    store.save_many([make_scenario("alpha"), make_scenario("beta")])
    for search in ("\x00", "\ud800", "x" * 201, "line\nbreak"):
        with pytest.raises(ValidationError) as err:
            store.list(search)
        assert err.value.fields == ["search"]
    assert [s.name for s in store.list("ALP")] == ["alpha"]
    assert [s.name for s in store.list("%")] == []  # LIKE wildcards are literal


def test_huge_integers_in_filters_are_validation_errors(store: ScenarioStore) -> None:
    """They were OverflowError on SQLite and a driver error on PostgreSQL."""
    store.save(make_scenario(num_steps=5000))
    calls = {
        "limit": lambda v: store.list(limit=v),
        "num_steps": lambda v: store.list(num_steps=v),
        "alpha": lambda v: store.list(alpha=(v, None)),
        "revision": lambda v: store.runs("baseline", v),
    }
    for field, call in calls.items():
        for value in (10**30, -(10**30), 2**63):
            with pytest.raises(ValidationError) as err:
                call(value)
            assert err.value.fields == [field], (field, value)
    with pytest.raises(ValidationError) as err:
        store.audit_events(limit=10**30)
    assert err.value.fields == ["limit"]
    with pytest.raises(ValidationError) as err:
        store.list(limit=-1)
    assert err.value.fields == ["limit"]
    # within 64 bits, beyond PostgreSQL's 32-bit INTEGER column: compares, finds nothing
    assert store.list(num_steps=2**40) == []
    assert [s.name for s in store.list(num_steps=(5000, 2**62))] == ["baseline"]
    assert len(store.list(limit=2**63 - 1)) == 1
    assert store.runs("baseline", 2**31 - 1) == []


def test_lookups_with_text_no_name_can_hold_find_nothing(store: ScenarioStore) -> None:
    store.save(make_scenario())
    for name in ("\x00", "\ud800", "a" * 300):
        assert store.exists(name) is False
        with pytest.raises(NotFoundError):
            store.load(name)
        with pytest.raises(NotFoundError):
            store.revision(f"{name}@1")
        assert store.analyses(name) == []
    with pytest.raises(ValidationError) as err:
        store.audit_events(obj="scenario:\x00")
    assert err.value.fields == ["obj"]


def test_the_store_user_follows_the_author_rule(db_url: str) -> None:
    with pytest.raises(ValidationError) as err:
        ScenarioStore(db_url, user="\ud800")
    assert err.value.fields == ["user"]
    with ScenarioStore(db_url) as local:
        local.add_user("ana", "editor", "a long enough secret")
    with ScenarioStore(db_url, user="  ana  ") as store:
        record = store.save(make_scenario())
        assert (record.author, store.get("baseline").owner) == ("ana", "ana")
