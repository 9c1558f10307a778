"""Password sign-in for ``nexus-panel serve --auth``, through Bokeh's auth hooks.

How it is wired: :class:`AccountsAuthProvider` is a ``bokeh.server.auth_provider.
AuthProvider`` given to the server (``auth_provider=``, as Panel does for its own
``basic_auth``/``oauth_provider``). Bokeh then asks its ``get_user`` on every page,
websocket and session request (``@authenticated``), redirects requests without a user to
``/login``, and serves :class:`LoginHandler` and :class:`LogoutHandler` there.
``get_user`` is :func:`nexus_panel.web.identity.request_identity`, the one place a request
becomes a user, so single sign-on only has to set the same signed session cookie (or add
a source there).

The login handler (``POST /login``, form fields ``username``, ``password``, ``_xsrf``,
``next``) bounds what one request may cost and tries:

* bodies over :data:`MAX_BODY_BYTES` are refused (413) before they are read;
* the XSRF token is checked once the body is read (Tornado checks it before reading, so
  the check is moved here for a streamed body);
* user names the text rule refuses (control characters, too long) are refused (400) with
  the rule in the message;
* failures are rate-limited per user name and per client address in the database
  (``storage.login_limits``: 5 a minute, then 429 with ``Retry-After``), so the limit
  holds across ``--num-procs`` processes;
* an unknown user, a wrong password and a disabled account get the same answer
  (:data:`FAILED`), after the same argon2 work;
* the password check (argon2, tens of milliseconds) runs off the event loop.

Every attempt and refusal is an audit ``login`` event with the client address.
"""

from __future__ import annotations

import asyncio
import logging
from datetime import UTC, datetime, timedelta
from typing import Any
from urllib.parse import urlsplit

from bokeh.server.auth_provider import AuthProvider
from tornado import httputil
from tornado.web import HTTPError, RequestHandler, stream_request_body

from nexus_panel.storage.errors import StorageError
from nexus_panel.web import identity, login_page

log = logging.getLogger(__name__)

LOGIN_PATH = "/login"
LOGOUT_PATH = "/logout"
MAX_BODY_BYTES = 4096
"""A sign-in form is a few hundred bytes; anything much larger is refused unread."""
FAILED = "Wrong user name or password."
"""The one answer for an unknown user, a wrong password and a disabled account."""


def safe_next(value: str | None) -> str:
    """Where to go after signing in: a path on this site only (no other host, no
    scheme, no ``//host`` or backslash tricks), else the home page."""
    if not value or not value.startswith("/") or value.startswith("//") or "\\" in value:
        return "./"
    parts = urlsplit(value)
    if parts.scheme or parts.netloc or any(ord(c) < 32 for c in value):
        return "./"
    return value


def store() -> Any:
    """The store that checks passwords (local mode: it acts for nobody)."""
    from nexus_panel.pages.site import base_store

    opened = base_store()
    if opened is None:
        raise StorageError("scenario storage is not available on this server")
    return opened


class SignedInHandler(RequestHandler):
    """A route of ours that answers only requests with a valid signed session (when
    sign-in is required): 401 with a one-line message otherwise."""

    def get_current_user(self) -> identity.Identity | None:
        return identity.request_identity(self)

    def prepare(self) -> None:
        if identity.sign_in_required() and self.current_user is None:
            self.set_status(401)
            self.set_header("Content-Type", "text/plain; charset=utf-8")
            self.set_header("Cache-Control", "no-store")
            self.finish("Sign in first: this server needs an account (/login).\n")


@stream_request_body
class LoginHandler(RequestHandler):
    """``GET /login``: the form. ``POST /login``: check it, set the signed cookie."""

    def initialize(self) -> None:
        self._body = bytearray()
        self._too_big = False

    def check_xsrf_cookie(self) -> None:
        """Deferred to :meth:`post`: the token is in the body, which is not read yet."""

    def get(self) -> None:
        self._page(200, next_url=safe_next(self.get_argument("next", None)))

    def prepare(self) -> None:
        if self.request.method != "POST":
            return
        length = self.request.headers.get("Content-Length", "0")
        if not length.isdigit():
            self._refuse(400, "The request's Content-Length is not a number.")
        elif int(length) > MAX_BODY_BYTES:
            self._refuse(413, f"A sign-in request may carry at most {MAX_BODY_BYTES} "
                              "bytes.")

    def data_received(self, chunk: bytes) -> None:
        if len(self._body) + len(chunk) > MAX_BODY_BYTES:
            self._too_big = True  # (chunked upload) keep nothing more
        elif not self._too_big:
            self._body.extend(chunk)

    async def post(self) -> None:
        if self._too_big:
            self._refuse(413, f"A sign-in request may carry at most {MAX_BODY_BYTES} bytes.")
            return
        arguments: dict[str, list[bytes]] = {}
        httputil.parse_body_arguments(self.request.headers.get("Content-Type", ""),
                                      bytes(self._body), arguments, {}, self.request.headers)
        for key, values in arguments.items():
            self.request.body_arguments.setdefault(key, []).extend(values)
            self.request.arguments.setdefault(key, []).extend(values)
        if self.settings.get("xsrf_cookies"):
            try:
                RequestHandler.check_xsrf_cookie(self)
            except HTTPError:
                self._refuse(403, "This sign-in form did not come from this site or has "
                                  "expired: reload the sign-in page and try again.")
                return
        name, password = self._field("username"), self._field("password")
        next_url = safe_next(self._field("next"))
        address = self.request.remote_ip
        try:
            result = await asyncio.get_running_loop().run_in_executor(
                None, lambda: store().sign_in(name, password, address))
        except StorageError as exc:
            log.error("sign-in unavailable: %s", exc)
            self._page(503, next_url, "Signing in is unavailable right now (the database "
                                      "cannot be reached). Try again later.")
            return
        if result.refused:
            self._page(400, next_url, f"Not signed in: {result.refused}.")
        elif result.retry_after:
            self.set_header("Retry-After", str(result.retry_after))
            self._page(429, next_url, "Too many failed sign-ins. Try again in "
                                      f"{result.retry_after} seconds.")
        elif result.user is None:
            self._page(401, next_url, FAILED)
        else:
            self.set_secure_cookie(identity.SESSION_COOKIE, result.user.name,
                                   expires_days=identity.SESSION_HOURS / 24, httponly=True,
                                   samesite="Lax", secure=self.request.protocol == "https")
            identity.forget(result.user.name)
            self.redirect(next_url)

    def _field(self, key: str) -> str:
        """A form field exactly as sent (Tornado's ``get_argument`` would turn control
        characters into spaces, hiding them from the name check); undecodable bytes
        become U+FFFD (then no account name matches)."""
        values = self.request.body_arguments.get(key) or [b""]
        return values[0].decode("utf-8", errors="replace")

    def _refuse(self, status: int, message: str) -> None:
        """Refuse the request (audited) with the sign-in form and ``message``."""
        try:
            store().refuse_sign_in(None, self.request.remote_ip, message)
        except StorageError as exc:  # refused all the same; only the record is missing
            log.error("could not audit a refused sign-in: %s", exc)
        self._page(status, "./", message)

    def _page(self, status: int, next_url: str, message: str = "") -> None:
        self.set_status(status)
        self.set_header("Cache-Control", "no-store")
        self.finish(login_page.render(xsrf_field=self.xsrf_form_html(), next_url=next_url,
                                      message=message))


class LogoutHandler(RequestHandler):
    """``GET /logout``: forget the session cookie and show the sign-in form again."""

    async def get(self) -> None:
        # (off the event loop: a database that is slow to answer must not stall pages)
        await asyncio.get_running_loop().run_in_executor(None, self._revoke)
        # The session, and the claims and tokens single sign-on keeps beside it.
        for name in (identity.SESSION_COOKIE, identity.ID_TOKEN_COOKIE, "access_token",
                     "refresh_token", "oauth_expiry"):
            self.clear_cookie(name)
        self.set_header("Cache-Control", "no-store")
        self.finish(login_page.render(xsrf_field="", next_url="./", form=False,
                                      title="Signed out", message=""))

    def _revoke(self) -> None:
        """Record the session as signed out, so a copy of its cookie (still valid by its
        signature until it expires) no longer signs in. The database unreachable: the
        browser still forgets the cookie, and the failure is logged."""
        cookie = self.get_cookie(identity.SESSION_COOKIE)
        name = identity.signed_name(cookie)
        if cookie is None or name is None:
            return
        digest = identity.session_digest(cookie)
        expires = datetime.now(UTC) + timedelta(hours=identity.SESSION_HOURS)
        try:
            store().revoke_session(digest, name, expires, address=self.request.remote_ip)
        except StorageError as exc:
            log.warning("sign-out of %r not recorded: %s", name, exc)
            return
        identity.remember_revoked(digest, True)


class AccountsAuthProvider(AuthProvider):
    """Bokeh's auth hooks answered from the accounts table (see the module doc).
    ``login_handler``: what serves ``/login`` (the password form, or single sign-on's
    ``oidc_sign_in.OidcLoginHandler``); who is signed in is resolved the same way."""

    def __init__(self, login_handler: type[RequestHandler] | None = None) -> None:
        self._login = login_handler or LoginHandler
        super().__init__()

    @property
    def get_user(self) -> Any:
        def user(handler: RequestHandler) -> str | None:
            who = identity.request_identity(handler)
            return None if who is None else who.name
        return user

    @property
    def login_url(self) -> str:
        return LOGIN_PATH

    @property
    def login_handler(self) -> type[RequestHandler]:
        return self._login

    @property
    def logout_url(self) -> str:
        return LOGOUT_PATH

    @property
    def logout_handler(self) -> type[RequestHandler]:
        return LogoutHandler
