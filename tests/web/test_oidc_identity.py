"""The identity seam under single sign-on: the signed ``id_token`` cookie must vouch for
the signed ``user`` cookie, and its claims must still pass the checks (issuer, audience,
expiry, a mapped role) on every request; forged, altered, oversized or garbage cookies
resolve to nobody."""

from __future__ import annotations

import base64
import json
import time
from collections.abc import Iterator

import pytest
from tornado.web import create_signed_value

from nexus_panel.web import identity
from nexus_panel.web.oidc import OidcConfig, parse_roles
from nexus_panel.web.oidc_sign_in import MAX_TOKEN_BYTES, claims_of, vouched_name

SECRET = "s" * 40
CONFIG = OidcConfig(issuer="http://idp.test", client_id="nexus", client_secret="x" * 32,
                    roles=parse_roles("nexus-editors=editor"))


def jwt(**claims: object) -> str:
    """An ID token's shape (header.payload.signature); the provider's signature is not
    what this app trusts: the token came on the back channel, and the cookie is signed."""
    def part(data: object) -> str:
        return base64.urlsafe_b64encode(json.dumps(data).encode()).rstrip(b"=").decode()
    body = {"iss": "http://idp.test", "aud": "nexus", "exp": time.time() + 600,
            "preferred_username": "olga", "groups": ["nexus-editors"], **claims}
    return f"{part({'alg': 'RS256'})}.{part(body)}.c2lnbmF0dXJl"


def cookie(token: str, secret: str = SECRET) -> bytes:
    return create_signed_value(secret, identity.ID_TOKEN_COOKIE, token)


@pytest.fixture
def sso() -> Iterator[None]:
    identity.require_sign_in(SECRET, oidc=CONFIG)
    yield
    identity.local_mode()


def test_valid_claims_vouch_for_their_user(sso: None) -> None:
    assert identity.single_sign_on() is CONFIG
    assert vouched_name(cookie(jwt()), CONFIG) == "olga"
    assert claims_of(jwt())["groups"] == ["nexus-editors"]


@pytest.mark.parametrize("claims", [
    {"exp": time.time() - 3600}, {"aud": "another-app"}, {"iss": "http://evil.test"},
    {"groups": ["marketing"]}, {"preferred_username": ""}])
def test_claims_that_no_longer_pass_end_the_session(sso: None, claims: dict) -> None:
    assert vouched_name(cookie(jwt(**claims)), CONFIG) is None


def test_forged_altered_oversized_or_garbage_cookies_vouch_for_nobody(sso: None) -> None:
    assert vouched_name(cookie(jwt(), secret="t" * 40), CONFIG) is None
    good = cookie(jwt())
    assert vouched_name(good[:-2] + b"00", CONFIG) is None
    assert vouched_name(jwt(), CONFIG) is None  # unsigned
    assert vouched_name(None, CONFIG) is None
    assert vouched_name(cookie("not.a-token.at all"), CONFIG) is None
    assert vouched_name(cookie("x" * (MAX_TOKEN_BYTES + 1)), CONFIG) is None
    assert claims_of("bm90IGpzb24") is None and claims_of(b"\xff\xfe") is None


def test_the_session_cookie_must_name_the_vouched_user(sso: None) -> None:
    # (Resolved before any database read: a mismatch is nobody.)
    user = create_signed_value(SECRET, identity.SESSION_COOKIE, "ada")
    assert identity.identity_from_cookie(user, cookie(jwt())) is None
    assert identity.identity_from_cookie(user, None) is None
