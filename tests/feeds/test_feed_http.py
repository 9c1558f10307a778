"""HTTP feeds against a real server on 127.0.0.1: good data, ETag reuse, retries on 500,
timeouts, size caps, bad JSON, content types, API keys, and the SSRF rules (allowlist,
private and metadata addresses, every redirect re-checked)."""

from __future__ import annotations

import pytest
from feed_server import FeedServer

from nexus_panel.feeds.errors import FetchError
from nexus_panel.feeds.store import FeedStore
from nexus_panel.models import ValidationError
from nexus_panel.storage import PermissionDenied, ScenarioStore


def _http(feeds: FeedStore, url: str, name: str = "prices", **extra: object) -> None:
    feeds.add(name, {"source": "http", "url": url, **extra})


def test_a_good_csv_is_stored_and_an_unchanged_one_reuses_the_snapshot(
        feeds: FeedStore, server: FeedServer) -> None:
    feeds.allow(f"127.0.0.1:{server.port}")
    _http(feeds, f"{server.base}/good.csv")
    first = feeds.fetch("prices")
    assert (first.rows, first.http_status, first.columns) == (100, 200, ["value"])
    assert first.etag == server.etag() and not first.reused
    again = feeds.fetch("prices")  # If-None-Match -> 304: the same snapshot
    assert again.reused and again.id == first.id
    assert server.requests[-1]["headers"]["If-None-Match"] == server.etag()
    assert server.requests[-1]["headers"]["Host"] == f"127.0.0.1:{server.port}"
    server.rows[0] = (0.0, 7.0)
    changed = feeds.fetch("prices")
    assert changed.id != first.id and changed.sha256 != first.sha256
    assert [s.id for s in feeds.snapshots("prices")] == [changed.id, first.id]
    series = feeds.series(changed.sha256)
    assert series.columns["value"][0] == 7.0 and series.rows == 100


def test_json_records_under_a_key(feeds: FeedStore, server: FeedServer) -> None:
    feeds.allow(f"127.0.0.1:{server.port}")
    _http(feeds, f"{server.base}/good.json", format="json", records_key="data.items",
          time_column="t", value_columns=["price"])
    snap = feeds.fetch("prices")
    assert snap.rows == 100 and snap.columns == ["price"]


def test_500_then_200_is_retried(feeds: FeedStore, server: FeedServer) -> None:
    feeds.allow(f"127.0.0.1:{server.port}")
    _http(feeds, f"{server.base}/flaky")
    assert feeds.fetch("prices").rows == 100
    assert sum(r["path"] == "/flaky" for r in server.requests) == 3


def test_a_source_failing_every_attempt_is_one_error_kept_as_the_status(
        feeds: FeedStore, server: FeedServer) -> None:
    server.fail_first = 99
    feeds.allow(f"127.0.0.1:{server.port}")
    _http(feeds, f"{server.base}/flaky")
    with pytest.raises(FetchError, match=r"url: .*/flaky answered HTTP 500 \(after 3 "):
        feeds.fetch("prices")
    assert "HTTP 500" in feeds.get("prices").last_error
    assert feeds.snapshots("prices") == []


def test_a_slow_source_times_out(feeds: FeedStore, server: FeedServer) -> None:
    server.slow_s = 2.0
    feeds.allow(f"127.0.0.1:{server.port}")
    _http(feeds, f"{server.base}/slow", timeout_s=0.3)
    with pytest.raises(FetchError, match=r"timed out after 0.3 s \(after 3 attempts\)"):
        feeds.fetch("prices")


def test_a_huge_body_is_cut_off_at_the_cap(feeds: FeedStore, server: FeedServer) -> None:
    feeds.allow(f"127.0.0.1:{server.port}")
    _http(feeds, f"{server.base}/huge", max_bytes=100_000)
    with pytest.raises(FetchError, match="max_bytes: .* more than the cap 100,000 bytes "
                                         r"\(stopped reading\)"):
        feeds.fetch("prices")


def test_bad_json_and_wrong_content_type_are_refused(feeds: FeedStore,
                                                     server: FeedServer) -> None:
    feeds.allow(f"127.0.0.1:{server.port}")
    _http(feeds, f"{server.base}/bad.json", format="json")
    with pytest.raises(ValidationError, match="valid JSON"):
        feeds.fetch("prices")
    _http(feeds, f"{server.base}/html", name="page")
    with pytest.raises(FetchError, match="format: .* content type 'text/html'"):
        feeds.fetch("page")


def test_the_api_key_comes_from_the_environment_and_is_never_stored(
        feeds: FeedStore, server: FeedServer, monkeypatch: pytest.MonkeyPatch,
        store: ScenarioStore) -> None:
    feeds.allow(f"127.0.0.1:{server.port}")
    _http(feeds, f"{server.base}/auth", api_key_env="PRICES_KEY")
    with pytest.raises(ValidationError, match="api_key_env = 'PRICES_KEY'"):
        feeds.fetch("prices")
    monkeypatch.setenv("PRICES_KEY", server.key)
    assert feeds.fetch("prices").rows == 100
    stored = repr(feeds.get("prices")) + repr(feeds.snapshots("prices")) + repr(
        store.audit_events(limit=None))
    assert server.key not in stored


def test_the_test_server_itself_must_be_allowlisted(feeds: FeedStore,
                                                    server: FeedServer) -> None:
    _http(feeds, f"{server.base}/good.csv")
    with pytest.raises(ValidationError, match=r"^1 invalid value: url = .*allowlist, which "
                                              rf"does not hold 127.0.0.1:{server.port}"):
        feeds.fetch("prices")
    assert server.requests == []  # refused before any connection
    assert "allowlist" in feeds.get("prices").last_error


@pytest.mark.parametrize(("target", "why"), [
    ("http://169.254.169.254/latest/meta-data/", "allowlist"),
    ("http://10.0.0.1/data.csv", "allowlist"),
    ("http://127.0.0.1:{other}/good.csv", "allowlist"),
    ("file:///etc/passwd", "an http:// or https:// URL"),
])
def test_every_redirect_is_checked_again(feeds: FeedStore, server: FeedServer,
                                         target: str, why: str) -> None:
    feeds.allow(f"127.0.0.1:{server.port}")
    to = target.format(other=server.port + 1 if server.port < 65535 else 1)
    _http(feeds, f"{server.base}/redirect?to={to}")
    with pytest.raises(ValidationError, match=why) as caught:
        feeds.fetch("prices")
    assert caught.value.fields == ["url"]


def test_allowlisted_special_addresses_only_by_their_exact_address(
        feeds: FeedStore, server: FeedServer) -> None:
    """A redirect to 169.254.169.254 or 10.0.0.1 passes the checks only when the
    allowlist names that very address (then the connection itself is attempted)."""
    feeds.allow(f"127.0.0.1:{server.port}")
    feeds.allow("10.0.0.1:9")
    _http(feeds, f"{server.base}/redirect?to=http://10.0.0.1:9/x.csv", timeout_s=0.2)
    with pytest.raises(FetchError, match=r"http://10.0.0.1:9/x.csv"):
        feeds.fetch("prices")  # vetted, then unreachable: a transport error, not SSRF


def test_only_admins_allowlist_and_only_editors_fetch(db_url: str, server: FeedServer
                                                      ) -> None:
    with ScenarioStore(db_url) as local:
        local.add_user("ed", "editor", "a long enough secret")
        local.add_user("vic", "viewer", "a long enough secret")
    with ScenarioStore(db_url, user="ed") as ed:
        with pytest.raises(PermissionDenied, match="'ed' may not allowlist"):
            FeedStore(ed).allow(f"127.0.0.1:{server.port}")
        FeedStore(ed).add("prices", {"source": "http", "url": f"{server.base}/good.csv"})
    with ScenarioStore(db_url, user="vic") as vic:
        with pytest.raises(PermissionDenied, match="'vic' may not define the feed"):
            FeedStore(vic).add("other", {"source": "http", "url": f"{server.base}/x.csv"})
        with pytest.raises(PermissionDenied, match="'vic' may not fetch"):
            FeedStore(vic).fetch("prices")
        assert [f.name for f in FeedStore(vic).list()] == ["prices"]
