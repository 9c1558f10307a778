"""The alert log across live runs (the Alerts page's data), against a real database: the
events two produced runs raised, newest first, filtered by run, severity and event, and
which rules are firing now -- all checked against the alert machine's replay of the batch
run."""

from __future__ import annotations

from collections.abc import Iterator

import numpy as np
import pytest
from test_producer import batch_rows, scenario, start

from nexus_panel.live.alerts import AlertRule, replay
from nexus_panel.live.producer import Producer
from nexus_panel.models import ValidationError
from nexus_panel.storage import ScenarioStore
from nexus_panel.storage.live_runs import LiveStore

RULES = {
    # N rises from 1,000 to about 1,259 and falls to about 880 (see test_producer).
    "north": [{"metric": "N", "above": 1000.0, "clear": 990.0, "min_steps": 3,
               "severity": "warning", "title": "N high"}],  # fires, then resolves
    "south": [{"metric": "N", "above": 1200.0, "clear": 1150.0, "min_steps": 2,
               "severity": "critical", "title": "N over plan"},  # fires, then resolves
              {"metric": "N", "below": 900.0, "clear": 910.0, "min_steps": 5,
               "severity": "info", "title": "N low"}],  # fires at the end, stays firing
}


def expected_events(run: str) -> list[tuple[str, str, str, int]]:
    """(run, rule title, state, step) of every event the run's rules raise, in order."""
    n = list(batch_rows(scenario())[:, 1])
    return [(run, parsed.label, e.state, e.step) for rule in RULES[run]
            for parsed in [AlertRule.from_dict(rule)] for e in replay(parsed, n)]


@pytest.fixture
def live(db_url: str) -> Iterator[LiveStore]:
    with ScenarioStore(db_url) as store:
        live = LiveStore(store)
        for run in ("north", "south"):
            start(live, run, scenario(), rules=RULES[run])
            assert Producer(live, run).run() == "finished"
        yield live


def _key(e: dict) -> tuple[str, str, str, int]:
    return (e["run"], e["rule"], e["state"], e["step"])


def test_the_log_holds_every_runs_events_newest_first(live: LiveStore) -> None:
    log = live.alert_log()
    expected = expected_events("north") + expected_events("south")
    assert [e[2] for e in expected].count("firing") == 3  # the thresholds are crossed
    assert sorted(map(_key, log)) == sorted(expected)
    ids = [e["id"] for e in log]
    assert ids == sorted(ids, reverse=True)
    assert live.newest_alert_id() == ids[0]
    # within a run, newest first means the steps never increase down the log
    for run in ("north", "south"):
        steps = [e["step"] for e in log if e["run"] == run]
        assert steps == sorted(steps, reverse=True)


def test_filters_and_rules_firing_now(live: LiveStore) -> None:
    north = live.alert_log(run="north")
    assert {e["run"] for e in north} == {"north"}
    assert sorted(map(_key, north)) == sorted(expected_events("north"))
    critical = live.alert_log(severities=("critical",))
    assert critical and {e["severity"] for e in critical} == {"critical"}
    firing = live.alert_log(states=("firing",))
    assert sorted(map(_key, firing)) == sorted(
        e for e in expected_events("north") + expected_events("south") if e[2] == "firing")
    assert [e["id"] for e in live.alert_log(limit=2)] == [e["id"] for e in
                                                          live.alert_log()[:2]]
    # firing now: exactly the rules whose newest event is "firing"
    newest: dict[tuple[str, str], str] = {}
    for run, rule, state, _step in expected_events("north") + expected_events("south"):
        newest[(run, rule)] = state  # replay order: the last one wins
    now = {(e["run"], e["rule"]) for e in live.alert_log() if e["firing"]}
    assert now == {k for k, state in newest.items() if state == "firing"} \
        == {("south", "N low")}
    assert all(not e["firing"] for e in live.alert_log() if e["state"] != "firing")


def test_a_bad_limit_names_the_field_and_range(live: LiveStore) -> None:
    with pytest.raises(ValidationError) as err:
        live.alert_log(limit=0)
    assert "limit" in str(err.value) and "1 to 10000" in str(err.value)
    assert np.isfinite(live.newest_alert_id())
