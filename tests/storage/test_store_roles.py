"""Every role x every write operation, on SQLite and PostgreSQL: an allowed write happens,
a refused one raises PermissionDenied, writes nothing and leaves one ``refuse`` event by
the acting user in the audit trail."""

from __future__ import annotations

import tempfile
from collections.abc import Callable
from functools import cache
from pathlib import Path
from typing import Any

import pytest
from storage_helpers import count_rows, make_scenario

from nexus_panel.analysis import MonteCarloSpec, run_monte_carlo
from nexus_panel.engine import simulate
from nexus_panel.storage import PermissionDenied, ScenarioStore

PASSWORD = "a long enough secret"
Write = Callable[[ScenarioStore], Any]


@cache
def _monte_carlo() -> object:
    """A small Monte Carlo of ``theirs`` (computed once for every test)."""
    return run_monte_carlo(MonteCarloSpec.from_dict({
        "scenario": make_scenario("theirs").to_dict(), "n_runs": 4, "master_seed": 3,
        "parameters": [{"parameter": "alpha", "distribution": "uniform", "low": 0.8,
                        "high": 1.6}]}))


def _export_run(store: ScenarioStore) -> Path:
    with tempfile.TemporaryDirectory() as folder:
        return store.export_run(store.runs("theirs")[0].id, Path(folder) / "run.csv")

WRITES: dict[str, Write] = {
    "save a new scenario": lambda s: s.save(make_scenario("fresh")),
    "revise a team scenario": lambda s: s.save(make_scenario("theirs", alpha=1.7)),
    "save several scenarios": lambda s: s.save_many([make_scenario("n1"),
                                                     make_scenario("n2")]),
    "duplicate a scenario": lambda s: s.duplicate("theirs", "copy"),
    "import a scenario": lambda s: s.import_data(make_scenario("imported").to_dict()),
    "record a run": lambda s: s.record_run("theirs", simulate(make_scenario("theirs"))),
    "export a scenario": lambda s: s.export_bundle("theirs"),
    "export a run": _export_run,
    "save an analysis": lambda s: s.save_analysis(make_scenario("theirs"), "montecarlo",
                                                  _monte_carlo()),
    "delete own scenario": lambda s: s.delete("mine"),
    "restore own scenario": lambda s: s.restore("mine-deleted"),
    "make own scenario private": lambda s: s.set_visibility("mine", "private"),
    "delete another's scenario": lambda s: s.delete("theirs"),
    "restore another's scenario": lambda s: s.restore("theirs-deleted"),
    "make another's scenario private": lambda s: s.set_visibility("theirs", "private"),
    "add an account": lambda s: s.add_user("newbie", "viewer", PASSWORD),
    "change a role": lambda s: s.set_role("owner", "admin"),
    "disable an account": lambda s: s.set_disabled("owner"),
    "reset a password": lambda s: s.reset_password("owner", "another long secret"),
}
ALLOWED: dict[str, set[str]] = {
    "viewer": {"record a run", "export a scenario", "export a run"},
    "editor": {"save a new scenario", "revise a team scenario", "save several scenarios",
               "duplicate a scenario", "import a scenario", "record a run",
               "export a scenario", "export a run", "save an analysis",
               "delete own scenario", "restore own scenario", "make own scenario private"},
    "admin": set(WRITES),
    "disabled": set(),
    "unknown": set(),
}


def _prepare(url: str, actor: str) -> None:
    """Accounts ``owner`` (editor) and ``actor``; ``theirs`` (+ a deleted one) owned by
    owner; ``mine`` (+ a deleted one) owned by actor, made while actor was an editor."""
    with ScenarioStore(url) as local:
        local.add_user("owner", "editor", PASSWORD)
        if actor != "unknown":
            local.add_user(actor, "editor", PASSWORD)
    with ScenarioStore(url, user="owner") as owner:
        owner.save(make_scenario("theirs"), run=simulate(make_scenario("theirs")))
        owner.save(make_scenario("theirs-deleted"))
        owner.delete("theirs-deleted")
    if actor != "unknown":
        with ScenarioStore(url, user=actor) as mine:
            mine.save(make_scenario("mine"))
            mine.save(make_scenario("mine-deleted"))
            mine.delete("mine-deleted")
    with ScenarioStore(url) as local:
        if actor == "disabled":
            local.set_disabled(actor)
        elif actor != "unknown":
            local.set_role(actor, actor)


def _state(url: str) -> dict[str, int]:
    return {t: count_rows(url, t) for t in ("scenarios", "scenario_revisions", "runs",
                                             "analyses", "users", "audit_events")}


@pytest.mark.parametrize("operation", list(WRITES))
@pytest.mark.parametrize("role", list(ALLOWED))
def test_each_role_may_make_exactly_its_writes(db_url: str, role: str,
                                               operation: str) -> None:
    _prepare(db_url, role)
    before = _state(db_url)
    with ScenarioStore(db_url, user=role) as store:
        if operation in ALLOWED[role]:
            WRITES[operation](store)
            assert _state(db_url)["audit_events"] > before["audit_events"]
            return
        with pytest.raises(PermissionDenied, match=f"^'{role}' may not "):
            WRITES[operation](store)
        assert _state(db_url) == {**before, "audit_events": before["audit_events"] + 1}
        refusal = store.audit_events(limit=1)[0]
    assert (refusal.actor, refusal.action, refusal.object) == (role, "refuse", f"user:{role}")
    assert refusal.details["reason"].startswith(f"'{role}' may not")
    with ScenarioStore(db_url) as local:
        assert local.verify_audit().ok
