"""``serve`` with single sign-on refuses, in one line and before listening, settings that
cannot work: no or a bad role mapping, missing client credentials, a provider whose
discovery document cannot be read, or sign-in off. (Signing in through it: the browser
test tests/ui/test_oidc_sign_in.py.)"""

from __future__ import annotations

import socket
from pathlib import Path

import pytest
from test_cli_serve_auth import NO_ACCOUNTS, serve

from nexus_panel.benchmarks.auth_server import COOKIE_SECRET

CLIENT = {"NEXUS_OIDC_CLIENT_ID": "nexus", "NEXUS_OIDC_CLIENT_SECRET": "c" * 32}


def unused_address() -> str:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return f"http://127.0.0.1:{probe.getsockname()[1]}"


@pytest.mark.parametrize(("settings", "named"), [
    ({**CLIENT}, "NEXUS_OIDC_ROLES"),
    ({**CLIENT, "NEXUS_OIDC_ROLES": "admins=root"}, "NEXUS_OIDC_ROLES = 'admins=root'"),
    ({"NEXUS_OIDC_ROLES": "*=viewer"}, "NEXUS_OIDC_CLIENT_ID"),
    ({**CLIENT, "NEXUS_OIDC_ROLES": "*=viewer", "NEXUS_OIDC_SCOPES": "email"},
     "NEXUS_OIDC_SCOPES"),
])
def test_bad_settings_are_named(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                settings: dict[str, str], named: str) -> None:
    for key, value in settings.items():
        monkeypatch.setenv(key, value)
    done = serve(tmp_path, "--auth", "--oidc-issuer", unused_address(), secret=COOKIE_SECRET)
    assert done.returncode == 2, done.stderr
    assert done.stderr.count("\n") == 1
    assert "single sign-on is misconfigured" in done.stderr and named in done.stderr
    assert "c" * 32 not in done.stderr  # the client secret is never shown


def test_an_unreachable_provider_stops_the_start(tmp_path: Path,
                                                 monkeypatch: pytest.MonkeyPatch) -> None:
    for key, value in {**CLIENT, "NEXUS_OIDC_ROLES": "*=viewer"}.items():
        monkeypatch.setenv(key, value)
    issuer = unused_address()
    done = serve(tmp_path, "--auth", "--oidc-issuer", issuer, secret=COOKIE_SECRET)
    assert done.returncode == 2 and done.stderr.count("\n") == 1
    assert f"cannot read the OpenID Connect discovery document at {issuer}" in done.stderr
    assert NO_ACCOUNTS not in done.stderr  # single sign-on brings its own accounts


def test_single_sign_on_needs_sign_in_and_a_secret(tmp_path: Path,
                                                  monkeypatch: pytest.MonkeyPatch) -> None:
    for key, value in {**CLIENT, "NEXUS_OIDC_ROLES": "*=viewer"}.items():
        monkeypatch.setenv(key, value)
    done = serve(tmp_path, "--oidc-issuer", unused_address(), secret=COOKIE_SECRET)
    assert done.returncode == 2 and "needs sign-in: add --auth" in done.stderr
    done = serve(tmp_path, "--auth", "--oidc-issuer", unused_address(), secret="short")
    assert done.returncode == 2 and "a cookie secret of at least 32 bytes" in done.stderr
    assert NO_ACCOUNTS not in done.stderr
