"""Who a page session or HTTP request acts as: resolved in ONE place.

Why one function: every page's store, the header's "NAME (role)", the Users page, the
download route and the sign-in handler must agree on who is signed in. Three sources:

* ``local``: ``nexus-panel serve`` on loopback without ``--auth``: one user, every right
  (the store's local mode);
* ``password``: the signed session cookie set by ``nexus_panel.web.sign_in`` after a
  password check against the accounts table;
* ``oidc``: single sign-on (``nexus_panel.web.oidc_sign_in``): the same signed cookie,
  set by Panel's OAuth login handler, plus the provider's ID-token claims in the signed
  ``id_token`` cookie; both must agree and the claims must still pass
  ``oidc.check_claims`` (issuer, audience, expiry) and map to a role. With single sign-on
  configured, a session without valid claims is not signed in (no password sessions).

The cookie (:data:`SESSION_COOKIE`, Panel's name for it, so ``pn.state.user`` agrees)
holds the user name signed with the server's cookie secret (Tornado's secure cookie, which
also signs its creation time): a forged or altered value fails the signature, one older
than :data:`SESSION_HOURS` is refused as expired. The role is NOT in the cookie: it is
read from the database on each resolution (and again by the store in each write), so a
role change or a disabled account takes effect at the next write, and in what pages
show within :data:`CACHE_S` seconds.

Signing out ends the session on the server too: the cookie's SHA-256 goes into the
database (``ScenarioStore.revoke_session``) and a copy of that cookie is refused from then
on, by this process at once and by the others within :data:`CACHE_S` seconds.
"""

from __future__ import annotations

import hashlib
import threading
import time
from dataclasses import dataclass
from typing import Any

SESSION_COOKIE = "user"
SESSION_HOURS = 12.0
"""A sign-in holds this long (the cookie's expiry and the server-side age limit)."""
ID_TOKEN_COOKIE = "id_token"
"""Panel's cookie for the claims of the provider's ID token (single sign-on)."""
SOURCES = ("local", "password", "oidc")


@dataclass(frozen=True)
class Identity:
    """The signed-in user (or the local mode) a session acts as."""

    name: str
    role: str
    source: str
    """How it was established: one of :data:`SOURCES`."""
    sessions_after: float = 0.0
    """UNIX time: session cookies issued before it no longer sign in (a password reset)."""

    @property
    def local(self) -> bool:
        return self.source == "local"

    @property
    def label(self) -> str:
        """What the header shows (plain text: escape it where rendered)."""
        return "local mode" if self.local else f"{self.name} ({self.role})"


LOCAL = Identity("local", "admin", "local")

_LOCK = threading.Lock()
_MODE: dict[str, Any] = {"sign_in": False, "secret": "", "oidc": None}
CACHE_S = 5.0
CACHE_SIZE = 10_000
_MISS: Any = object()


class _Remembered:
    """Answers from the database, each remembered for :data:`CACHE_S` seconds; at most
    :data:`CACHE_SIZE` (then all are forgotten at once). Thread-safe."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._items: dict[Any, tuple[float, Any]] = {}

    def recall(self, key: Any, now: float) -> Any:
        """The remembered answer, or :data:`_MISS` (none, or older than CACHE_S)."""
        with self._lock:
            hit = self._items.get(key)
        return hit[1] if hit is not None and hit[0] > now else _MISS

    def remember(self, key: Any, value: Any, now: float) -> None:
        with self._lock:
            if len(self._items) >= CACHE_SIZE:
                self._items.clear()
            self._items[key] = (now + CACHE_S, value)

    def forget(self, key: Any) -> None:
        with self._lock:
            self._items.pop(key, None)

    def clear(self) -> None:
        with self._lock:
            self._items.clear()


_ACCOUNTS = _Remembered()
"""(name, source) -> Identity | None"""
_REVOKED = _Remembered()
"""session digest -> whether it was signed out"""


def _forget_all() -> None:
    _ACCOUNTS.clear()
    _REVOKED.clear()


def require_sign_in(cookie_secret: str, oidc: Any = None) -> None:
    """Turn sign-in on for this process (``nexus-panel serve --auth`` or a public
    address; forked workers inherit it). Without it every session is :data:`LOCAL`.
    ``oidc``: the discovered ``oidc.OidcConfig`` when sign-in is single sign-on."""
    with _LOCK:
        _MODE.update(sign_in=True, secret=cookie_secret, oidc=oidc)
    _forget_all()


def local_mode() -> None:
    """Back to the single-user local mode (the default; tests)."""
    with _LOCK:
        _MODE.update(sign_in=False, secret="", oidc=None)
    _forget_all()


def single_sign_on() -> Any:
    """The ``oidc.OidcConfig`` in force, or None (password sign-in or local mode)."""
    return _MODE["oidc"]


def sign_in_required() -> bool:
    return bool(_MODE["sign_in"])


def cookie_secret() -> str:
    return str(_MODE["secret"])


def signed_name(cookie: str | bytes | None) -> str | None:
    """The user name in a session cookie value, if its signature holds and it has not
    expired; else None."""
    if not cookie or not sign_in_required():
        return None
    from tornado.web import decode_signed_value

    value = decode_signed_value(cookie_secret(), SESSION_COOKIE, cookie,
                                max_age_days=SESSION_HOURS / 24)
    try:
        return value.decode("utf-8") if value else None
    except UnicodeDecodeError:
        return None


def identity_from_cookie(cookie: str | bytes | None, id_token: str | bytes | None = None,
                         *, strict: bool = False) -> Identity | None:
    """THE resolution: local mode, or the enabled account named by a valid signed
    cookie (with single sign-on: and vouched for by the claims in ``id_token``), else
    None (not signed in). The database unreachable: None too, or with ``strict`` its
    StorageError (an open page must not end on a database blip: it cannot tell)."""
    if not sign_in_required():
        return LOCAL
    name = signed_name(cookie)
    if name is None or cookie is None or session_revoked(cookie, strict=strict):
        return None
    config = single_sign_on()
    if config is None:
        found = account_identity(name, strict=strict)
    else:
        from nexus_panel.web.oidc_sign_in import vouched_name

        if vouched_name(id_token, config) != name:
            return None
        found = account_identity(name, "oidc", strict=strict)
    if found is not None and issued_at(cookie) < found.sessions_after:
        return None  # signed in before the account's password was reset
    return found


def issued_at(cookie: str | bytes) -> int:
    """When a session cookie whose signature was checked was issued (UNIX seconds, from
    Tornado's version-2 signed value ``2|1:KEY|N:TIMESTAMP|...``); 0 if it cannot be read,
    so such a cookie counts as older than any password reset."""
    text = cookie.decode("utf-8", "replace") if isinstance(cookie, bytes) else cookie
    parts = text.split("|")
    try:
        return int(parts[2].split(":", 1)[1]) if parts[0] == "2" else 0
    except (IndexError, ValueError):
        return 0


def account_identity(name: str, source: str = "password", *, strict: bool = False
                     ) -> Identity | None:
    """The enabled account ``name`` as an identity, else None. Remembered for
    :data:`CACHE_S` seconds: a page load makes dozens of requests (static files, the
    websocket) that each ask; the store itself re-reads the role in every write."""
    now = time.monotonic()
    hit = _ACCOUNTS.recall((name, source), now)
    if hit is not _MISS:
        return hit
    from nexus_panel.pages.site import base_store
    from nexus_panel.storage.errors import StorageError

    try:
        store = base_store()
        account = None if store is None else store.account(name)
    except StorageError:  # the database is down: nobody is signed in (not cached)
        if strict:
            raise
        return None
    found = None if account is None or account.disabled else \
        Identity(account.name, account.role, source,
                 account.sessions_after.timestamp() if account.sessions_after else 0.0)
    _ACCOUNTS.remember((name, source), found, now)
    return found


def session_digest(cookie: str | bytes) -> str:
    """What the database keeps of a signed-out session cookie (hex SHA-256)."""
    raw = cookie.encode("utf-8") if isinstance(cookie, str) else cookie
    return hashlib.sha256(raw).hexdigest()


def session_revoked(cookie: str | bytes, *, strict: bool = False) -> bool:
    """Whether this session cookie was signed out; remembered for :data:`CACHE_S`
    seconds like the account. The database unreachable: treated as signed out (as
    :func:`account_identity` treats it as signed in nowhere), and not remembered; with
    ``strict``, its StorageError."""
    digest = session_digest(cookie)
    now = time.monotonic()
    hit = _REVOKED.recall(digest, now)
    if hit is not _MISS:
        return bool(hit)
    from nexus_panel.pages.site import base_store
    from nexus_panel.storage.errors import StorageError

    try:
        store = base_store()
        revoked = store is None or store.session_revoked(digest)
    except StorageError:
        if strict:
            raise
        return True
    remember_revoked(digest, revoked, now)
    return revoked


def remember_revoked(digest: str, revoked: bool, now: float | None = None) -> None:
    """Cache a session's state (the sign-out handler: at once in this process)."""
    _REVOKED.remember(digest, revoked, time.monotonic() if now is None else now)


def forget(name: str) -> None:
    """Drop ``name`` from the cache (after its sign-in or an account change here)."""
    for source in SOURCES:
        _ACCOUNTS.forget((name, source))


def session_cookies() -> tuple[str | None, str | None]:
    """The session and ID-token cookies of the request that opened the current page
    session ((None, None) outside a served session)."""
    import panel as pn

    doc = pn.state.curdoc
    context = getattr(doc, "session_context", None) if doc is not None else None
    request = getattr(context, "request", None)
    cookies = getattr(request, "cookies", None) or {}
    return cookies.get(SESSION_COOKIE), cookies.get(ID_TOKEN_COOKIE)


def current_identity() -> Identity | None:
    """The identity of the current page session (from the cookies of the request that
    opened it), or None when sign-in is required and it holds no valid session."""
    if not sign_in_required():
        return LOCAL
    return identity_from_cookie(*session_cookies())


def request_identity(handler: Any) -> Identity | None:
    """The identity of a Tornado request (the download route, the Bokeh handlers)."""
    if not sign_in_required():
        return LOCAL
    return identity_from_cookie(handler.get_cookie(SESSION_COOKIE),
                                handler.get_cookie(ID_TOKEN_COOKIE))
