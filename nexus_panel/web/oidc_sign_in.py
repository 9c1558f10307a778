"""Single sign-on at ``/login``: Panel's OpenID Connect login, then this app's checks.

Why a subclass of Panel's ``GenericLoginHandler`` rather than Panel's whole OAuth auth
provider: Panel's flow (the redirect to the provider, the ``state`` check, the code
exchanged for tokens on the back channel, the signed ``user`` and ``id_token`` cookies)
is reused as is, while Bokeh keeps asking this app's ``AccountsAuthProvider`` who is
signed in, so every request still goes through the one identity seam
(``nexus_panel.web.identity``). What is added, once the provider answered:

* the ID token's claims are checked (:func:`oidc.check_claims`: issuer, audience,
  expiry, a user name) and mapped to a role (:func:`oidc.role_for`);
* the account is kept in ``users`` (``ScenarioStore.external_sign_in``: created, role
  synced; disabled or a password account's name: refused), so the store's permission
  checks work unchanged;
* a refusal clears every cookie Panel set and shows a page saying why (status 403),
  audited; the provider's own errors keep Panel's error page.

:func:`vouched_name` is what the identity seam calls on every request: the claims in the
signed ``id_token`` cookie, checked again (an expired token ends the session).
"""

from __future__ import annotations

import asyncio
import binascii
import json
import logging
from typing import Any

from panel.auth import GenericLoginHandler

from nexus_panel.storage.errors import StorageError
from nexus_panel.web import identity, login_page
from nexus_panel.web.oidc import OidcConfig, SignInRefused, check_claims, role_for

log = logging.getLogger(__name__)

PANEL_COOKIES = ("user", "id_token", "access_token", "refresh_token", "oauth_expiry")
"""Every cookie Panel's OAuth login may set: cleared when a sign-in is refused."""
MAX_TOKEN_BYTES = 16_384
"""An ID token larger than this is not decoded (bounds the work one request may cause)."""


def claims_of(raw: str | bytes | None) -> dict[str, Any] | None:
    """The claims in an ID token as Panel stores it (a JWT, or base64 JSON of the
    userinfo answer; encrypted when Panel has an encryption key), or None."""
    if not raw or len(raw) > MAX_TOKEN_BYTES:
        return None
    import panel as pn
    from panel.util import decode_token

    if pn.state.encryption is not None:  # (PANEL_OAUTH_ENCRYPTION: Fernet)
        try:
            raw = pn.state.encryption.decrypt(raw)
        except Exception:  # any decryptor's "not ours" means: no claims
            return None
    try:
        text = raw.decode("utf-8") if isinstance(raw, bytes) else raw
        claims = decode_token(text)
    except (ValueError, binascii.Error, UnicodeError, json.JSONDecodeError):
        return None
    return claims if isinstance(claims, dict) else None


def vouched_name(cookie: str | bytes | None, config: OidcConfig) -> str | None:
    """The user name the signed ``id_token`` cookie vouches for, if its signature holds
    and its claims still pass the checks and map to a role; else None."""
    if not cookie:
        return None
    from tornado.web import decode_signed_value

    raw = decode_signed_value(identity.cookie_secret(), identity.ID_TOKEN_COOKIE, cookie,
                              max_age_days=identity.SESSION_HOURS / 24)
    claims = claims_of(raw)
    if claims is None:
        return None
    try:
        name = check_claims(claims, config)
        role_for(claims, config)
    except SignInRefused:
        return None
    return name


class OidcLoginHandler(GenericLoginHandler):
    """``GET /login``: to the provider and back (Panel), then the checks (module doc)."""

    _id_token: Any = None

    @property
    def _redirect_uri(self) -> str:
        """NEXUS_OIDC_REDIRECT_URI, else this very ``/login`` (Panel's default, the site
        root, would come back through a second redirect)."""
        from panel.config import config as panel_config

        if panel_config.oauth_redirect_uri:
            return str(panel_config.oauth_redirect_uri)
        return f"{self.request.protocol}://{self.request.host}{self.request.path}"

    def set_secure_cookie(self, name: str, value: str | bytes, *args: Any,
                          **kwargs: Any) -> None:
        """Panel's own call; the ID token is kept to check its claims before answering."""
        if name == identity.ID_TOKEN_COOKIE:
            self._id_token = value
        kwargs.setdefault("samesite", "Lax")
        kwargs.setdefault("secure", self.request.protocol == "https")
        super().set_secure_cookie(name, value, *args, **kwargs)

    async def get(self) -> None:
        try:
            await super().get()
        except SignInRefused as exc:
            for name in PANEL_COOKIES:
                self.clear_cookie(name)
            self.set_status(403)
            self.set_header("Cache-Control", "no-store")
            self.finish(login_page.render(xsrf_field="", next_url="./", form=False,
                                          title="Not signed in",
                                          message=f"Not signed in: {exc}."))

    async def get_authenticated_user(self, redirect_uri: str, client_id: str, state: str,
                                     client_secret: str | None = None,
                                     code: str | None = None) -> Any:
        user = await super().get_authenticated_user(redirect_uri, client_id, state,
                                                    client_secret=client_secret, code=code)
        if not code or user is None:
            return user  # the redirect to the provider (or Panel's own refusal)
        return await self._admit(claims_of(self._id_token) or {})

    async def _admit(self, claims: dict[str, Any]) -> str:
        """The account the claims open, kept in the database; SignInRefused (audited)
        when they open none."""
        config = identity.single_sign_on()
        address = self.request.remote_ip
        name: object = claims.get(config.user_claim)
        try:
            name = check_claims(claims, config)
            role = role_for(claims, config)
            result = await asyncio.get_running_loop().run_in_executor(
                None, lambda: _store().external_sign_in(
                    str(name), role, address, display_name=claims.get("name", "")))
        except SignInRefused as exc:
            self._audit_refusal(name, str(exc))
            raise
        except StorageError as exc:
            log.error("single sign-on unavailable: %s", exc)
            raise SignInRefused("the database cannot be reached; try again later") from None
        except ValueError as exc:  # ValidationError: a name this app cannot hold
            why = f"the provider's {config.user_claim!r} is not a usable user name ({exc})"
            self._audit_refusal(name, why)
            raise SignInRefused(why) from None
        if result.user is None:
            raise SignInRefused(f"this app refused the account ({result.refused})")
        identity.forget(result.user.name)
        return result.user.name

    def _audit_refusal(self, name: object, why: str) -> None:
        try:
            _store().refuse_sign_in(name, self.request.remote_ip, f"single sign-on: {why}")
        except StorageError as exc:  # refused all the same; only the record is missing
            log.error("could not audit a refused sign-in: %s", exc)


def _store() -> Any:
    from nexus_panel.web.sign_in import store

    return store()


def server_options(config: OidcConfig, redirect_uri: str | None) -> dict[str, Any]:
    """Keyword arguments for ``panel.io.server.get_server``: Panel's OAuth settings for
    the provider, without Panel's auth provider (``oauth_provider``), which would replace
    this app's (the identity seam); the sign-in handler is this module's."""
    from nexus_panel.web.oidc import panel_options
    from nexus_panel.web.sign_in import AccountsAuthProvider

    options = panel_options(config, redirect_uri)
    options.pop("oauth_provider")
    options["auth_provider"] = AccountsAuthProvider(login_handler=OidcLoginHandler)
    return options
