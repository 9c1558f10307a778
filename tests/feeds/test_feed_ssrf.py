"""The URL rules on their own: schemes, credentials, the allowlist, every kind of
internal address, names resolving to internal addresses, and the vetted address being
the one connected to."""

from __future__ import annotations

from typing import Any

import pytest

from nexus_panel.feeds.http import address_url
from nexus_panel.feeds.ssrf import split_host, vet
from nexus_panel.models import ValidationError

PUBLIC = "93.184.216.34"


def _resolver(*answers: str) -> Any:
    calls: list[str] = []

    def resolve(host: str, _port: int) -> list[str]:
        calls.append(host)
        return list(answers)
    resolve.calls = calls  # type: ignore[attr-defined]
    return resolve


@pytest.mark.parametrize("url", ["ftp://data.example/x.csv", "gopher://x", "//x",
                                 "http://user:pw@data.example/x.csv", "http:///x",
                                 "http://data.example:99999/x"])
def test_bad_urls_are_refused_naming_url(url: str) -> None:
    with pytest.raises(ValidationError) as caught:
        vet(url, {("data.example", 0)}, _resolver(PUBLIC))
    assert caught.value.fields == ["url"]


@pytest.mark.parametrize("address", ["127.0.0.1", "10.1.2.3", "172.16.0.1", "192.168.1.1",
                                     "169.254.169.254", "169.254.1.1", "224.0.0.1", "0.0.0.0",
                                     "100.64.0.1", "::1", "fd00:ec2::254", "fe80::1",
                                     "::ffff:127.0.0.1", "::"])
def test_a_name_resolving_to_an_internal_address_is_refused(address: str) -> None:
    with pytest.raises(ValidationError, match="a public address"):
        vet("http://data.example/x.csv", {("data.example", 0)}, _resolver(PUBLIC, address))


def test_an_internal_address_is_allowed_when_the_allowlist_names_it() -> None:
    target = vet("http://169.254.169.254/latest", {("169.254.169.254", 0)}, _resolver())
    assert target.address == "169.254.169.254"
    target = vet("http://[::1]:8080/x", {("::1", 8080)}, _resolver())
    assert (target.address, target.host_header) == ("::1", "[::1]:8080")


def test_the_port_must_match_the_allowlist() -> None:
    allow = {("data.example", 0), ("api.example", 8443)}
    vet("https://data.example/x", allow, _resolver(PUBLIC))
    vet("https://api.example:8443/x", allow, _resolver(PUBLIC))
    for url in ("https://data.example:8443/x", "https://api.example/x",
                "http://other.example/x"):
        with pytest.raises(ValidationError, match="allowlist"):
            vet(url, allow, _resolver(PUBLIC))


def test_resolved_once_and_connected_to_that_address_with_the_name_kept() -> None:
    resolve = _resolver(PUBLIC)
    target = vet("https://Data.Example.:8443/p?q=1", {("data.example", 8443)}, resolve)
    assert resolve.calls == ["data.example"]  # type: ignore[attr-defined]
    assert (target.address, target.host_header) == (PUBLIC, "data.example:8443")
    url = address_url(target)
    assert (url.host, url.port, url.raw_path) == (PUBLIC, 8443, b"/p?q=1")


@pytest.mark.parametrize(("entry", "parsed"), [("Data.Example", ("data.example", 0)),
                                               ("127.0.0.1:8080", ("127.0.0.1", 8080)),
                                               ("[::1]:9", ("::1", 9))])
def test_allowlist_entries(entry: str, parsed: tuple[str, int]) -> None:
    assert split_host(entry) == parsed


@pytest.mark.parametrize("entry", ["", "http://x/", "x:y", "x/path", "ünï.example"])
def test_bad_allowlist_entries(entry: str) -> None:
    with pytest.raises(ValidationError, match="HOST or HOST:PORT"):
        split_host(entry)


def test_the_real_resolver_sees_localhost_as_loopback() -> None:
    """No fake DNS here: the system's answer for ``localhost`` is refused even when the
    name is allowlisted; only the address itself opens loopback."""
    with pytest.raises(ValidationError, match=r"localhost resolves to .*a loopback address"):
        vet("http://localhost:8080/x", {("localhost", 8080)})
    assert vet("http://127.0.0.1:8080/x", {("127.0.0.1", 8080)}).address == "127.0.0.1"
