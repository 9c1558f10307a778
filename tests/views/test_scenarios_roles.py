"""The Scenarios view offers what the role allows and, whatever a crafted websocket
message triggers (the view's events, set directly here), the store refuses the rest."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from nexus_panel.models import Scenario
from nexus_panel.storage import ScenarioStore
from nexus_panel.views.scenarios import ScenariosView
from nexus_panel.web.identity import Identity

PASSWORD = "a-long-enough-password"


@pytest.fixture
def base(sqlite_url: str) -> Iterator[ScenarioStore]:
    store = ScenarioStore(sqlite_url)
    for name, role in (("ed", "editor"), ("eve", "editor"), ("vi", "viewer")):
        store.add_user(name, role, PASSWORD)
    store.acting_as("ed").save(Scenario(name="eds"))
    yield store
    store.close()


def view_as(base: ScenarioStore, name: str, role: str) -> ScenariosView:
    view = ScenariosView(store=base.acting_as(name), identity=Identity(name, role, "password"))
    view.selected = "eds"
    return view


def test_owner_may_manage_and_make_private(base: ScenarioStore) -> None:
    view = view_as(base, "ed", "editor")
    assert view.may_save and view.manageable
    assert (view.selected_owner, view.selected_visibility) == ("ed", "team")
    view.make_private = True
    assert view.message_kind == "success" and base.get("eds").visibility == "private"
    view.make_team = True
    assert base.get("eds").visibility == "team"


@pytest.mark.parametrize(("name", "role"), [("vi", "viewer"), ("eve", "editor")])
def test_crafted_writes_are_refused(base: ScenarioStore, name: str, role: str) -> None:
    view = view_as(base, name, role)
    assert not view.manageable
    assert view.may_save == (role == "editor")
    view.confirm_delete = True
    assert view.message_kind == "danger" and "may not delete" in view.message
    view.make_private = True
    assert "may not change the visibility of scenario" in view.message
    info = base.get("eds")
    assert not info.deleted and info.visibility == "team"
    if role == "viewer":
        view.save_name = "viewers-own"
        view.save = True
        assert view.message_kind == "danger" and "viewer" in view.message
        assert not base.exists("viewers-own")
