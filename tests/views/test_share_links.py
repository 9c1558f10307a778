"""Share links: the ``s=`` token carries the whole scenario; bad links are named, not dropped."""

from __future__ import annotations

import base64
import json
import zlib

import pytest

from nexus_panel.models import EngineParams, Scenario, Signal, ValidationError
from nexus_panel.pages.links import (
    decode_scenario,
    encode_scenario,
    read_link,
    scenario_query,
)
from nexus_panel.pages.site import store_loader
from nexus_panel.storage import ScenarioStore


def _custom() -> Scenario:
    scenario = Scenario(name="shock", description="pulse on H",
                        params=EngineParams(alpha=2.5, num_steps=300, N_target=1200))
    scenario.inputs.H = Signal(kind="pulse", baseline=90, pulse_height=30, pulse_width=5,
                               pulse_period=50)
    return scenario


def test_token_round_trips_every_value() -> None:
    scenario = _custom()
    back = decode_scenario(encode_scenario(scenario))
    assert back.to_dict() == scenario.to_dict()


def test_token_holds_defaults_too_not_only_changes() -> None:
    token = encode_scenario(Scenario())
    raw = base64.urlsafe_b64decode(token + "=" * (-len(token) % 4))
    data = json.loads(zlib.decompress(raw))
    assert set(data["params"]) == set(EngineParams.names())
    assert data["params"]["alpha"] == 1.0
    assert set(data["inputs"]) == {"H", "M", "D", "E", "C_cons", "C_disp"}


def test_token_is_url_safe_and_compact() -> None:
    query = scenario_query(_custom())
    assert query.startswith("?s=")
    assert all(c.isalnum() or c in "-_" for c in query[3:])
    assert len(query) < 1000


@pytest.mark.parametrize("token", ["not-a-token", "AAAA", "eJzLSM3JyQcABiwCFQ"])
def test_garbage_token_names_the_link_key(token: str) -> None:
    with pytest.raises(ValidationError) as info:
        decode_scenario(token)
    assert info.value.fields == ["s"]


def test_out_of_range_value_inside_token_is_reported_with_its_name() -> None:
    data = Scenario().to_dict()
    data["params"]["alpha"] = 7.0
    token = base64.urlsafe_b64encode(zlib.compress(json.dumps(data).encode())).decode()
    reading = read_link({"s": [token.encode()]})
    assert reading.scenario.params.alpha == 1.0
    assert len(reading.problems) == 1
    assert "params.alpha = 7.0" in reading.problems[0]
    assert "[0, 5]" in reading.problems[0]


def test_link_with_s_opens_that_scenario_without_problems() -> None:
    reading = read_link({"s": [encode_scenario(_custom()).encode()]})
    assert reading.problems == []
    assert reading.scenario.to_dict() == _custom().to_dict()


def test_plain_overrides_apply_good_values_and_name_bad_ones() -> None:
    reading = read_link({"alpha": [b"2.5"], "beta": [b"9"], "N_0": [b"0"], "utm": [b"x"]})
    assert reading.scenario.params.alpha == 2.5
    assert reading.scenario.params.beta == 1.0
    text = "\n".join(reading.problems)
    assert "beta = 9 is not allowed" in text
    assert "N_0 = 0 is not allowed" in text
    assert "unknown link parameter 'utm'" in text
    assert len(reading.problems) == 3


def test_non_numeric_override_is_named() -> None:
    reading = read_link({"num_steps": ["lots"]})
    assert reading.scenario.params.num_steps == 1000
    assert reading.problems == [
        "num_steps = 'lots' is not allowed (allowed: a whole number in [1, 1e+06])"]


def test_stored_revision_opens_from_real_store(sqlite_url: str) -> None:
    store = ScenarioStore(sqlite_url)
    first = _custom()
    store.save(first, message="r1")
    second = first.copy()
    second.params.alpha = 3.0
    store.save(second, message="r2")

    loader = store_loader(store)
    old = read_link({"scenario": [b"shock"], "rev": [b"1"]}, loader)
    assert old.problems == []
    assert old.stored == ("shock", 1) and old.base_revision == 1
    assert old.scenario.params.alpha == 2.5
    latest = read_link({"scenario": [b"shock"]}, loader)
    assert latest.scenario.params.alpha == 3.0
    assert latest.stored == ("shock", 2) and latest.base_revision == 2
    # pages carry the revision the values started from as base=N
    carried = read_link({"s": [encode_scenario(latest.scenario)], "base": ["2"]})
    assert carried.base_revision == 2 and carried.problems == []
    bad_base = read_link({"s": [encode_scenario(latest.scenario)], "base": ["-1"]})
    assert bad_base.base_revision is None
    assert "base = '-1' is not allowed" in bad_base.problems[0]

    missing = read_link({"scenario": [b"shock"], "rev": [b"9"]}, loader)
    assert missing.scenario.to_dict() == Scenario().to_dict()
    assert "revision 9" in missing.problems[0] and "'shock'" in missing.problems[0]

    bad_rev = read_link({"scenario": [b"shock"], "rev": [b"zero"]}, loader)
    assert "rev = 'zero' is not allowed" in bad_rev.problems[0]


def test_stored_link_without_storage_says_so() -> None:
    reading = read_link({"scenario": [b"x"]}, loader=None)
    assert "storage is not available" in reading.problems[0]


def test_rev_without_scenario_is_reported() -> None:
    assert "without scenario=NAME" in read_link({"rev": ["2"]}).problems[0]


def _token(data: dict) -> str:
    raw = zlib.compress(json.dumps(data).encode(), 9)
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def test_link_that_inflates_to_megabytes_is_refused() -> None:
    # 6,000 characters that used to open a scenario with a 5 MB description (zlib packs
    # ~1,000:1): the page, its copy link and the Scenarios form all carried it.
    data = Scenario().to_dict()
    data["description"] = "x" * 5_000_000
    token = _token(data)
    assert len(token) < 20_000
    reading = read_link({"s": [token.encode()]})
    assert reading.scenario.description == ""
    assert len(reading.problems) == 1
    assert "inflates to at most 100,000 bytes" in reading.problems[0]


def test_problem_shows_a_huge_bad_value_shortened() -> None:
    data = Scenario().to_dict()
    data["params"]["alpha"] = [0] * 20_000  # 60 KB of JSON, under the cap
    reading = read_link({"s": [_token(data).encode()]})
    assert len(reading.problems) == 1
    problem = reading.problems[0]
    assert problem.startswith("link value params.alpha = [0, 0, 0, 0, 0, 0, ...] is not "
                              "allowed")
    assert len(problem) < 300
