"""The Scenarios view against a real SQLite store: what a user sees after each action."""

from __future__ import annotations

import pytest
from rendering import text

from nexus_panel import EngineParams, Scenario
from nexus_panel.session import ScenarioSession
from nexus_panel.storage import ScenarioStore
from nexus_panel.views.scenarios import ANY_PARAMETER, ScenariosView


@pytest.fixture
def store(sqlite_url: str) -> ScenarioStore:
    return ScenarioStore(sqlite_url)


def listed(view: ScenariosView) -> list[str]:
    return list(view._list.value["name"])


def test_save_lists_it_and_a_second_save_adds_a_revision(store: ScenarioStore) -> None:
    session = ScenarioSession()
    view = ScenariosView(session=session, store=store)
    view.param.update(save_name="growth", save_description="more issuance",
                      save_message="first")
    view.save = True
    assert text(view.message) == "Saved 'growth' as revision 1."
    assert listed(view) == ["growth"]

    view.save = True  # nothing changed: no new revision
    assert "nothing new to save" in view.message and view.message_kind == "info"

    session.scenario.params.alpha = 2.5
    view.save_message = "alpha up"
    view.save = True
    assert text(view.message) == "Saved 'growth' as revision 2."
    assert [r.message for r in store.revisions("growth")] == ["first", "alpha up"]
    assert view.selected == "growth" and view.revision == 2
    diff = text(view._diff().object)
    assert "alpha: 1 → 2.5" in diff


def test_save_without_a_name_says_so_and_writes_nothing(store: ScenarioStore) -> None:
    view = ScenariosView(store=store)
    view.save = True
    assert view.message_kind == "danger" and "name" in view.message
    assert store.list() == []


def test_load_an_older_revision_into_the_session(store: ScenarioStore) -> None:
    store.save(Scenario(name="s", params=EngineParams(alpha=1.5)), message="one")
    store.save(Scenario(name="s", params=EngineParams(alpha=3.0)), message="two")
    session = ScenarioSession()
    view = ScenariosView(session=session, store=store)
    view.selected = "s"
    assert view.revisions == [2, 1]
    view.revision = 1
    view.load = True
    assert session.scenario.params.alpha == 1.5
    assert session.scenario.name == "s"
    assert session.result.scenario.params.alpha == 1.5  # the session re-ran
    assert view.save_name == "s"


def test_text_search_and_parameter_range(store: ScenarioStore) -> None:
    store.save(Scenario(name="calm", description="low decay",
                        params=EngineParams(kappa=0.002)))
    store.save(Scenario(name="stormy", params=EngineParams(kappa=0.09)))
    view = ScenariosView(store=store)
    assert listed(view) == ["calm", "stormy"]
    view.search = "DECAY"
    assert listed(view) == ["calm"]
    view.search = ""
    view.filter_param = "kappa"
    assert (view.filter_min, view.filter_max) == (0.0, 0.1)
    view.filter_min = 0.05
    assert listed(view) == ["stormy"]
    view.filter_param = ANY_PARAMETER
    assert listed(view) == ["calm", "stormy"]


def test_delete_needs_confirmation_and_restore_undoes_it(store: ScenarioStore) -> None:
    store.save(Scenario(name="doomed"))
    view = ScenariosView(store=store)
    view.selected = "doomed"
    view.delete = True
    assert view.confirming and listed(view) == ["doomed"]
    view.cancel_delete = True
    assert not view.confirming and not store.get("doomed").deleted
    view.delete = True
    view.confirm_delete = True
    assert listed(view) == [] and store.get("doomed").deleted
    view.show_deleted = True
    assert listed(view) == ["doomed"]
    view.selected = "doomed"
    view.restore = True
    assert text(view.message) == "Restored 'doomed'."
    view.show_deleted = False
    assert listed(view) == ["doomed"]


def test_duplicate_and_name_clash(store: ScenarioStore) -> None:
    store.save(Scenario(name="a", params=EngineParams(beta=0.5)))
    store.save(Scenario(name="b"))
    view = ScenariosView(store=store)
    view.selected = "a"
    assert view.duplicate_name == "a (copy)"
    view.duplicate = True
    assert store.load("a (copy)").params.beta == 0.5
    assert view.selected == "a (copy)"
    view.selected = "a"
    view.duplicate_name = "b"
    view.duplicate = True
    assert view.message_kind == "danger" and "b" in view.message
    assert store.load("b").params.beta == 1.0


def test_pages_needing_storage_explain_when_it_cannot_open() -> None:
    from nexus_panel.pages import compare, scenarios, site
    from nexus_panel.storage import StorageError

    class Unreachable(site.PageContext):
        def store(self) -> None:
            raise StorageError("cannot connect to the database at postgresql://db/x: refused")

    for page in (scenarios, compare):
        shown = page.build(Unreachable(session=ScenarioSession(), slug="scenarios"))
        assert "cannot connect to the database" in shown.object
        assert shown.alert_type == "danger"


def test_loading_an_older_revision_keeps_it_in_the_picker(store: ScenarioStore) -> None:
    """Issue 10.5: after loading revision 1 the picker said 2 (the view refreshed as after
    a write and jumped to the latest)."""
    store.save(Scenario(name="s", params=EngineParams(alpha=1.5)), message="one")
    store.save(Scenario(name="s", params=EngineParams(alpha=3.0)), message="two")
    view = ScenariosView(store=store)
    view.selected = "s"
    view.revision = 1
    view.load = True
    assert view.session.scenario.params.alpha == 1.5
    assert view.revision == 1
    assert view._revisions.selection == [1]  # newest first: revision 1 is the second row


def test_clicking_a_history_row_shows_that_revisions_diff(store: ScenarioStore) -> None:
    store.save(Scenario(name="s", params=EngineParams(alpha=1.5)), message="one")
    store.save(Scenario(name="s", params=EngineParams(alpha=3.0)), message="two")
    store.save(Scenario(name="s", params=EngineParams(alpha=3.0, kappa=0.02)),
               message="three")
    view = ScenariosView(store=store)
    view.selected = "s"
    assert "kappa: 0.01 → 0.02" in text(view._diff().object)
    view._revisions.selection = [1]  # the row of revision 2
    assert view.revision == 2
    diff = text(view._diff().object)
    assert "Changes in revision 2 (from 1)" in diff and "alpha: 1.5 → 3" in diff


def test_saving_after_navigating_keeps_the_stored_description(store: ScenarioStore) -> None:
    """Issue 10.3: a page opened on a scenario without its description (or a name typed
    into an empty form) saved "" over the stored description."""
    store.save(Scenario(name="kept", description="why this scenario matters"))
    view = ScenariosView(session=ScenarioSession(Scenario(name="kept")), store=store)
    assert view.save_description == "why this scenario matters"

    fresh = ScenariosView(store=store)  # an Untitled page: the user types the name
    fresh.session.scenario.params.alpha = 2.0
    fresh.save_name = "kept"
    assert fresh.save_description == "why this scenario matters"
    fresh.save = True  # exists and the page did not start from it: a conflict first
    fresh.conflict_overwrite = True
    assert [r.description for r in store.revisions("kept")] == [
        "why this scenario matters", "why this scenario matters"]

    fresh.save_description = "changed on purpose"
    fresh.session.scenario.params.alpha = 2.5
    fresh.save = True
    assert store.revision("kept").description == "changed on purpose"


def test_saving_stores_the_run_and_lists_it(store: ScenarioStore) -> None:
    """Issue 10.6: the web app stored no runs; now a save stores the page's run and the
    history lists it with its figures."""
    session = ScenarioSession(Scenario(params=EngineParams(num_steps=1)))  # worked example
    view = ScenariosView(session=session, store=store)
    view.param.update(save_name="with-run", save_message="first")
    view.save = True
    [run] = store.runs("with-run")
    assert run.summary == session.result.summary
    shown = view._runs.value.iloc[0]
    assert shown["revision"] == 1
    assert shown["final N (tokens)"] == "1,001.56"  # the spec's worked example
    assert shown["mean issuance I (tokens/time)"] == "66.67"
    assert shown["mean burn B (tokens/time)"] == "42.04"
    assert shown["clamp events"] == "0"
    view.save = True  # nothing changed: no new revision, no second run
    assert len(store.runs("with-run")) == 1 and len(view._runs.value) == 1
