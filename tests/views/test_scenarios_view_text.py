"""The Scenarios view with text the rule refuses: a message naming the field, never a
silent no-op (a lone surrogate made Save raise a raw UnicodeEncodeError) or a traceback
from the search box."""

from __future__ import annotations

from rendering import text

from nexus_panel.storage import ScenarioStore
from nexus_panel.views.scenarios import ScenariosView


def test_bad_text_in_save_and_search_is_explained(sqlite_url: str) -> None:
    store = ScenarioStore(sqlite_url)
    view = ScenariosView(store=store)
    view.param.update(save_name="notes", save_description="lone \ud800 surrogate")
    view.save = True
    assert view.message_kind == "danger"
    assert text(view.message).startswith("1 invalid value: description = ")
    assert store.list() == []
    view.param.update(save_description="fine", save_message="nul \x00")
    view.save = True
    assert view.message_kind == "danger" and "message = 'nul \\x00'" in text(view.message)
    view.save_message = "ok"
    view.save = True
    assert text(view.message) == "Saved 'notes' as revision 1."
    view.search = "x" * 201
    assert view.message_kind == "danger"
    assert text(view.message).startswith("1 invalid value: search")
    assert list(view._list.value["name"]) == ["notes"]  # the list is left as it was
    view.search = "NOT"
    assert list(view._list.value["name"]) == ["notes"]
