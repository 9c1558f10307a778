"""Single sign-on configuration: the claim-to-role mapping, the claim checks, discovery
against the real provider (npm oidc-provider on loopback)."""

from __future__ import annotations

import dataclasses

import pytest

from nexus_panel.models.errors import ValidationError
from nexus_panel.web.oidc import (
    OidcConfig,
    SignInRefused,
    check_claims,
    discover,
    panel_options,
    parse_roles,
    role_for,
)

CONFIG = OidcConfig(issuer="http://idp.test", client_id="nexus", client_secret="x" * 32,
                    roles=parse_roles("nexus-admins=admin, nexus-editors=editor"))


def claims(**extra: object) -> dict[str, object]:
    return {"iss": "http://idp.test", "aud": "nexus", "exp": 2_000_000_000,
            "preferred_username": "olga", **extra}


def test_roles_mapping_highest_match_wins_and_no_match_is_refused() -> None:
    assert role_for({"groups": ["nexus-editors", "nexus-admins"]}, CONFIG) == "admin"
    assert role_for({"groups": "nexus-editors"}, CONFIG) == "editor"
    with pytest.raises(SignInRefused, match="no role in this app"):
        role_for({"groups": ["marketing"]}, CONFIG)
    with pytest.raises(SignInRefused):
        role_for({}, CONFIG)
    everyone = dataclasses.replace(CONFIG, roles=parse_roles("*=viewer,nexus-editors=editor"))
    assert role_for({"groups": ["marketing"]}, everyone) == "viewer"
    assert role_for({"groups": ["nexus-editors"]}, everyone) == "editor"


@pytest.mark.parametrize("text", ["admins=root", "=admin", "noequals", "", " , "])
def test_bad_role_mappings_name_the_setting(text: str) -> None:
    with pytest.raises(ValidationError, match="NEXUS_OIDC_ROLES"):
        parse_roles(text)


def test_claims_from_elsewhere_or_expired_are_refused() -> None:
    assert check_claims(claims(), CONFIG, now=1_000_000_000) == "olga"
    assert check_claims(claims(aud=["other", "nexus"]), CONFIG, now=0) == "olga"
    for bad, words in [(claims(iss="http://evil.test"), "another provider"),
                       (claims(aud="other-app"), "another application"),
                       (claims(exp=100), "expired"),
                       (claims(exp="soon"), "expired"),
                       (claims(preferred_username=""), "no 'preferred_username'")]:
        with pytest.raises(SignInRefused, match=words):
            check_claims(bad, CONFIG, now=1_000_000_000)


def test_discovery_reads_the_real_providers_endpoints(start_idp) -> None:
    idp = start_idp(["http://127.0.0.1:1/login"], {})
    config = discover(dataclasses.replace(CONFIG, issuer=idp.issuer, client_id=idp.client_id))
    assert config.endpoints["token_endpoint"] == f"{idp.issuer}/token"
    options = panel_options(config, "http://127.0.0.1:1/login")
    assert options["oauth_provider"] == "generic"
    assert options["oauth_extra_params"]["AUTHORIZE_URL"] == f"{idp.issuer}/auth"
    with pytest.raises(ConnectionError, match="names issuer"):
        discover(dataclasses.replace(CONFIG, issuer=idp.issuer + "/"))


def test_discovery_of_an_unreachable_provider_names_the_address() -> None:
    import socket

    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    with pytest.raises(ConnectionError, match=f"127.0.0.1:{port}"):
        discover(dataclasses.replace(CONFIG, issuer=f"http://127.0.0.1:{port}"), timeout=2)
