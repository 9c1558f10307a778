"""Accounts in the app's own database: add, list, change role, disable, reset a password,
and check a login. Session-level functions; ``ScenarioStore`` runs them in its write
transactions after checking that the acting user is an admin.

Every change and every login attempt is an audit event (object ``user:NAME``), with the
password never in it: the details say what changed, the hash stays in ``users``.

Accounts signed in through single sign-on (:func:`external_sign_in`) are rows like any
other, so the store's permission checks (which read the role from ``users``) need no
second path; their ``password_hash`` is :data:`EXTERNAL_HASH`, which no password verifies.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Session

from nexus_panel.models import FieldError, ValidationError
from nexus_panel.models import text as text_rules
from nexus_panel.storage import audit, passwords
from nexus_panel.storage.errors import ConflictError, NotFoundError
from nexus_panel.storage.records import UserRecord
from nexus_panel.storage.schema import ROLES, RevokedSessionRow, UserRow, utcnow

EXTERNAL_HASH = "!external: signs in through single sign-on, never with a password"
"""The ``password_hash`` of an account kept for an identity provider: not an argon2 PHC
string, so :func:`passwords.verify` is False for every password (no schema change, no
password that could be guessed)."""


def check_name(name: Any, field: str = "name") -> str:
    """A user name: the one-line text rule, not blank, no surrounding spaces."""
    text_rules.AUTHOR.check(name, field)
    if name != name.strip():
        raise ValidationError([FieldError(field, name, "a user name without leading or "
                                          "trailing spaces")])
    return name


def check_role(role: Any, field: str = "role") -> str:
    if role not in ROLES:
        raise ValidationError([FieldError(field, role, " | ".join(ROLES))])
    return role


def provider_display_name(value: Any) -> str:
    """A display name sent by an identity provider, cut to length; "" when the text rule
    refuses it (a missing name does not refuse a sign-in the provider vouched for)."""
    if not isinstance(value, str):
        return ""
    cut = value.strip()[:text_rules.AUTHOR.max_length]
    return cut if text_rules.AUTHOR.accepts(cut) else ""


def record(row: UserRow) -> UserRecord:
    return UserRecord(name=row.name, display_name=row.display_name, role=row.role,
                      disabled=row.disabled, created_at=row.created_at,
                      last_login_at=row.last_login_at, sessions_after=row.sessions_after)


def find(session: Session, name: str, *, lock: bool = False) -> UserRow:
    query = sa.select(UserRow).where(UserRow.name == name)
    row = session.scalar(query.with_for_update() if lock else query)
    if row is None:
        raise NotFoundError(f"no account named {name!r}")
    return row


def listing(session: Session) -> list[UserRecord]:
    return [record(r) for r in session.scalars(sa.select(UserRow).order_by(UserRow.name))]


def count(session: Session) -> int:
    return session.scalar(sa.select(sa.func.count()).select_from(UserRow)) or 0


def add(session: Session, actor: str, name: str, role: str, password_hash: str, *,
        display_name: str) -> UserRecord:
    if session.scalar(sa.select(UserRow.id).where(UserRow.name == name)) is not None:
        raise ConflictError(f"an account named {name!r} already exists")
    row = UserRow(name=name, display_name=display_name, role=role,
                  password_hash=password_hash, disabled=False, created_at=utcnow())
    session.add(row)
    session.flush()
    audit.append(session, actor, "user", f"user:{name}", {"change": "add", "role": role})
    return record(row)


def change(session: Session, actor: str, name: str, **values: Any) -> UserRecord:
    """Set ``role``, ``disabled`` or ``password_hash`` of an account (audited; the hash
    itself is not put in the event). A new password ends the account's sign-ins made
    before it (``sessions_after``): a password is reset when it may have leaked."""
    row = find(session, name, lock=True)
    shown = {k: v for k, v in values.items() if k != "password_hash"}
    if "password_hash" in values:
        shown["password"] = "reset"
    if all(getattr(row, k) == v for k, v in values.items()):
        return record(row)  # nothing changes: nothing to record
    for key, value in values.items():
        setattr(row, key, value)
    if "password_hash" in values:
        row.sessions_after = utcnow().replace(microsecond=0)  # cookies carry whole seconds
    session.flush()
    audit.append(session, actor, "user", f"user:{name}", {"change": "update", **shown})
    return record(row)


def login(session: Session, name: str, password: str) -> tuple[UserRecord | None, str]:
    """Check a password: (the account, "ok"), or (None, why not) for the audit trail.

    An unknown name is checked against a dummy hash, so it takes as long as a wrong
    password. A good password whose hash used older parameters is rehashed."""
    row = session.scalar(sa.select(UserRow).where(UserRow.name == name).with_for_update())
    if row is None:
        passwords.verify(passwords.DUMMY_HASH, password)
        return None, "unknown user"
    if not passwords.verify(row.password_hash, password):
        return None, "wrong password"
    if row.disabled:
        return None, "account disabled"
    if passwords.needs_rehash(row.password_hash):
        row.password_hash = passwords.hash_password(password)
    row.last_login_at = utcnow()
    session.flush()
    return record(row), "ok"


def external_sign_in(session: Session, name: str, role: str, display_name: str,
                     details: dict[str, Any]) -> tuple[UserRecord | None, str]:
    """A sign-in vouched for by the identity provider: (the account, "ok") or (None, why).

    The account is created on first sign-in and its role set to the one the provider's
    claims map to at every sign-in (the provider is the source of truth for roles). A
    disabled account stays disabled (admins can still shut an SSO user out), and a name
    held by a password account is refused: the provider must not take over a local
    account (e.g. the first admin) by naming someone the same. Audited either way."""
    row = session.scalar(sa.select(UserRow).where(UserRow.name == name).with_for_update())
    outcome = "ok"
    if row is None:
        row = UserRow(name=name, display_name=display_name, role=role,
                      password_hash=EXTERNAL_HASH, disabled=False, created_at=utcnow())
        session.add(row)
        session.flush()
        audit.append(session, "sso", "user", f"user:{name}",
                     {"change": "add", "role": role, "source": "oidc"})
    elif row.password_hash != EXTERNAL_HASH:
        outcome = "name held by a password account"
    elif row.disabled:
        outcome = "account disabled"
    elif row.role != role or (display_name and row.display_name != display_name):
        audit.append(session, "sso", "user", f"user:{name}",
                     {"change": "update", "role": role, "source": "oidc"})
        row.role, row.display_name = role, display_name or row.display_name
    if outcome == "ok":
        row.last_login_at = utcnow()
    session.flush()
    audit.append(session, name, "login", f"user:{name}",
                 {"outcome": outcome, "source": "oidc", **details})
    return (record(row), outcome) if outcome == "ok" else (None, outcome)


def revoke_session(session: Session, digest: str, name: str, expires_at: datetime,
                   address: str | None) -> None:
    """End the session whose cookie hashes to ``digest`` (signing out): kept until
    ``expires_at``, when the cookie is refused by its age anyway. Rows already past
    that are dropped here, so the table holds only sessions that could still be used.
    Audited as a ``login`` event with the outcome "signed out"."""
    now = utcnow()
    session.execute(sa.delete(RevokedSessionRow).where(RevokedSessionRow.expires_at < now))
    if session.get(RevokedSessionRow, digest) is None:
        session.add(RevokedSessionRow(digest=digest, user=name, revoked_at=now,
                                      expires_at=expires_at))
    details: dict[str, Any] = {"outcome": "signed out"}
    if address is not None:
        details["address"] = address
    audit.append(session, name, "login", f"user:{name}", details)


def session_revoked(session: Session, digest: str) -> bool:
    """Whether the session cookie hashing to ``digest`` was signed out."""
    return session.get(RevokedSessionRow, digest) is not None
