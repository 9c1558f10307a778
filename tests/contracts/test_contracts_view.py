"""The Contracts view without a browser: saved revisions as choices (and in the header),
values that cannot be generated, one verification at a time, Cancel."""

from __future__ import annotations

import time
from collections.abc import Callable

from nexus_panel import EngineParams, Scenario
from nexus_panel.session import ScenarioSession
from nexus_panel.storage import ScenarioStore
from nexus_panel.views import safe
from nexus_panel.views.contracts import CURRENT, VERIFY_SLOTS, ContractsView


def wait_until(condition: Callable[[], bool], seconds: float) -> None:
    deadline = time.monotonic() + seconds
    while not condition():
        assert time.monotonic() < deadline, "timed out"
        time.sleep(0.05)


def test_saved_revisions_are_choices_named_in_the_header(sqlite_url: str) -> None:
    store = ScenarioStore(sqlite_url)
    store.save(Scenario(name="saved one", params=EngineParams(alpha=1.2)))
    store.save(Scenario(name="saved one", params=EngineParams(alpha=1.4)))
    view = ContractsView(store=store, session=ScenarioSession())
    assert view.param.choice.objects == [CURRENT, "saved one", "saved one @ r1"]
    for label, revision in (("saved one", 2), ("saved one @ r1", 1)):
        view.select(label)
        assert f"Revision: {revision}\n" in view.code.files["NexusSavedOne.sol"]
        assert f"revision {revision}," in view._header().object
    view.language = "rust"
    assert view.param.file.objects == ["Cargo.toml", "src/lib.rs", "src/main.rs"]
    assert "alpha: 1400000000000000000," not in view.code.files["src/lib.rs"]
    assert "alpha: 1200000000000000000, // 1.200000000000000000" in view.code.files[
        "src/lib.rs"]
    store.close()


def test_values_that_cannot_be_generated_are_explained_escaped() -> None:
    session = ScenarioSession(Scenario(name="<b>bold</b>", params=EngineParams(K_p=1e-12)))
    view = ContractsView(session=session)
    assert view.code is None and view._download.disabled
    alert = view._header()
    assert safe.text("params.K_p = 1e-12") in alert.object and "<b>" not in alert.object
    session.scenario.params.K_p = 0.5
    assert view.code is not None and not view._download.disabled


def test_one_verification_at_a_time_and_cancel(solidity_tools: None) -> None:
    session = ScenarioSession(Scenario(name="cancel me", params=EngineParams(num_steps=2000)))
    view = ContractsView(session=session)
    view.param.trigger("verify")
    assert view.running
    other = ContractsView(session=session)
    other.param.trigger("verify")
    assert not other.running and "Another verification is running" in other.status
    wait_until(lambda: view.progress > 0, 180)  # compiled and executing steps
    view.param.trigger("cancel")
    wait_until(lambda: not view.running, 60)
    assert view.status == "Cancelled." and view.result is None
    assert VERIFY_SLOTS.acquire(blocking=False)  # the slot is free again
    VERIFY_SLOTS.release()
