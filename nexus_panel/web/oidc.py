"""Single sign-on through an OpenID Connect provider: configuration, discovery, roles.

How it is wired: Panel's generic OAuth provider (``oauth_provider="generic"``) runs the
authorization-code flow -- the redirect to the provider, the ``state`` check, the code
exchanged for tokens on the back channel -- and keeps the ID token's claims in a cookie
signed with the cookie secret, the same ``user`` cookie the password sign-in sets. This
module gives Panel the provider's endpoints (read once, at start, from its discovery
document) and turns the claims into one of the app's roles, in
:func:`role_for` -- the "claim-to-role mapping" an operator configures:

    NEXUS_OIDC_ROLES="nexus-admins=admin,nexus-editors=editor,*=viewer"

reads: an account whose ``NEXUS_OIDC_ROLE_CLAIM`` (default ``groups``; a string or a list
of strings) holds ``nexus-admins`` is an admin, and so on; ``*`` matches everyone; when
several entries match, the highest role wins; when none does, sign-in is refused (nobody
becomes a viewer by accident unless ``*`` says so).

Why the claims are checked again here (:func:`check_claims`): Panel decodes the ID token
it received from the token endpoint but does not compare its issuer, audience or expiry;
a token minted for another client of the same provider must not open this app.
"""

from __future__ import annotations

import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlsplit

from nexus_panel.models.errors import FieldError, ValidationError
from nexus_panel.storage.schema import ROLES

DISCOVERY_PATH = "/.well-known/openid-configuration"
DISCOVERY_TIMEOUT_S = 10.0
CLOCK_SKEW_S = 60
"""How far the provider's clock may be ahead of or behind ours (``exp``, ``iat``)."""


class SignInRefused(Exception):
    """The provider vouched for someone this app does not let in; the text says why (shown
    to them, so it names no secret)."""


@dataclass(frozen=True)
class OidcConfig:
    """Everything single sign-on needs, from the ``oidc_*`` settings (nexus_panel.settings)."""

    issuer: str
    client_id: str
    client_secret: str
    roles: tuple[tuple[str, str], ...]
    """(claim value or ``*``, role) pairs, as written in ``NEXUS_OIDC_ROLES``."""
    role_claim: str = "groups"
    user_claim: str = "preferred_username"
    scopes: tuple[str, ...] = ("openid", "email", "profile")
    endpoints: Mapping[str, str] = field(default_factory=dict)
    """The discovery document's endpoints, once :func:`discover` has read them."""


def parse_roles(text: str, setting: str = "NEXUS_OIDC_ROLES") -> tuple[tuple[str, str], ...]:
    """``"a=admin,b=editor,*=viewer"`` as pairs; a bad entry raises ValidationError naming
    the setting and the entry."""
    pairs: list[tuple[str, str]] = []
    errors = []
    for entry in filter(None, (part.strip() for part in text.split(","))):
        value, sep, role = (s.strip() for s in entry.rpartition("="))
        if not sep or not value or role not in ROLES:
            errors.append(FieldError(setting, entry,
                                     f"CLAIM_VALUE=ROLE entries with ROLE one of "
                                     f"{' | '.join(ROLES)}, separated by commas"))
        else:
            pairs.append((value, role))
    if errors:
        raise ValidationError(errors)
    if not pairs:
        raise ValidationError([FieldError(setting, text, "at least one CLAIM_VALUE=ROLE "
                                                         "entry (e.g. *=viewer)")])
    return tuple(pairs)


def role_for(claims: Mapping[str, Any], config: OidcConfig) -> str:
    """The highest role the mapping gives these claims; SignInRefused when none."""
    held = claims.get(config.role_claim, ())
    values = {held} if isinstance(held, str) else {str(v) for v in held} \
        if isinstance(held, Sequence) else set()
    matched = [role for value, role in config.roles if value == "*" or value in values]
    if not matched:
        raise SignInRefused(
            f"your account has no role in this app (its {config.role_claim!r} claim matches "
            "none of the configured groups); ask an administrator")
    return max(matched, key=ROLES.index)


def check_claims(claims: Mapping[str, Any], config: OidcConfig, now: float | None = None
                 ) -> str:
    """The user name the claims vouch for, after checking they were issued by the
    configured provider, for this client, and have not expired."""
    now = time.time() if now is None else now
    if claims.get("iss") != config.issuer:
        raise SignInRefused("the sign-in came from another provider than the configured one")
    audience = claims.get("aud")
    audiences = [audience] if isinstance(audience, str) else list(audience or ())
    if config.client_id not in audiences:
        raise SignInRefused("the sign-in was issued for another application")
    expires = claims.get("exp")
    if not isinstance(expires, (int, float)) or expires + CLOCK_SKEW_S < now:
        raise SignInRefused("the sign-in has expired; sign in again")
    name = claims.get(config.user_claim)
    if not isinstance(name, str) or not name.strip():
        raise SignInRefused(f"the provider sent no {config.user_claim!r} to name you by")
    return name


def discover(config: OidcConfig, timeout: float = DISCOVERY_TIMEOUT_S) -> OidcConfig:
    """``config`` with the endpoints of the provider's discovery document.

    Read once when the server starts: a provider that cannot be reached, or whose document
    names another issuer (a mix-up or a spoof), stops the start with the reason.
    """
    import httpx

    url = config.issuer.rstrip("/") + DISCOVERY_PATH
    try:
        response = httpx.get(url, timeout=timeout, follow_redirects=False)
        response.raise_for_status()
        document = response.json()
    except (httpx.HTTPError, ValueError) as exc:
        raise ConnectionError(f"cannot read the OpenID Connect discovery document at "
                              f"{url}: {exc}") from None
    if not isinstance(document, dict) or document.get("issuer") != config.issuer:
        raise ConnectionError(f"the discovery document at {url} names issuer "
                              f"{document.get('issuer') if isinstance(document, dict) else None!r}"
                              f", not {config.issuer!r}")
    wanted = ("authorization_endpoint", "token_endpoint", "userinfo_endpoint")
    endpoints = {}
    for key in wanted:
        value = document.get(key)
        if not isinstance(value, str) or urlsplit(value).scheme not in ("http", "https"):
            raise ConnectionError(f"the discovery document at {url} has no usable {key}")
        endpoints[key] = value
    return OidcConfig(**{**config.__dict__, "endpoints": endpoints})


def panel_options(config: OidcConfig, redirect_uri: str | None) -> dict[str, Any]:
    """Keyword arguments for ``panel.io.server.get_server`` that switch on Panel's generic
    OAuth provider for ``config`` (after :func:`discover`)."""
    endpoints = config.endpoints
    options: dict[str, Any] = {
        "oauth_provider": "generic",
        "oauth_key": config.client_id,
        "oauth_secret": config.client_secret,
        "oauth_extra_params": {
            "AUTHORIZE_URL": endpoints["authorization_endpoint"],
            "TOKEN_URL": endpoints["token_endpoint"],
            "USER_URL": endpoints["userinfo_endpoint"],
            "USER_KEY": config.user_claim,
            "scope": list(config.scopes),
        },
    }
    if redirect_uri:
        options["oauth_redirect_uri"] = redirect_uri
    return options


def config_from_settings(settings: Any) -> OidcConfig | None:
    """The single-sign-on configuration in ``settings`` (None when no issuer is set);
    ValidationError naming every missing or bad single-sign-on setting."""
    if not settings.oidc_issuer:
        return None
    errors = []
    issuer = settings.oidc_issuer
    if urlsplit(issuer).scheme not in ("http", "https") or not urlsplit(issuer).netloc:
        errors.append(FieldError("NEXUS_OIDC_ISSUER", issuer, "an http(s) URL"))
    for setting, value in (("NEXUS_OIDC_CLIENT_ID", settings.oidc_client_id),
                           ("NEXUS_OIDC_CLIENT_SECRET", settings.oidc_client_secret)):
        if not value:
            errors.append(FieldError(setting, "", "not empty (from the provider's client "
                                                  "registration)"))
    roles: tuple[tuple[str, str], ...] = ()
    try:
        roles = parse_roles(settings.oidc_roles)
    except ValidationError as exc:
        errors.extend(exc.errors)
    scopes = tuple(settings.oidc_scopes.split())
    if "openid" not in scopes:
        errors.append(FieldError("NEXUS_OIDC_SCOPES", settings.oidc_scopes,
                                 "space-separated scopes including openid"))
    if errors:
        raise ValidationError(errors)
    return OidcConfig(issuer=issuer, client_id=settings.oidc_client_id,
                      client_secret=settings.oidc_client_secret, roles=roles,
                      role_claim=settings.oidc_role_claim,
                      user_claim=settings.oidc_user_claim, scopes=scopes)
