"""Who may write what: the role rules, checked by the store inside each write transaction.

Why in storage, not in the pages: a hidden button protects nothing against a crafted
websocket message or HTTP request, while every write of every client passes the store.
The acting user's role and disabled flag are read in the same transaction as the write,
so a role change or a disabled account takes effect at the next write, in every process.

The rules (docs/accounts.md has the table):

* viewer: read every team scenario, run it (a stored run is derived data) and export it;
  no scenario or analysis writes;
* editor: also create scenarios, save revisions and analyses of every scenario they can
  read, import, duplicate; delete/restore and change the visibility of their own;
* admin: everything, including others' scenarios, private ones, and the accounts.

A store opened without a user acts as ``local`` with admin rights: the single-user local
app (and every caller written before accounts) keeps working unchanged.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Session

from nexus_panel.storage.errors import PermissionDenied
from nexus_panel.storage.schema import ROLES, ScenarioRow, UserRow

LOCAL_USER = "local"


@dataclass(frozen=True)
class Actor:
    """The user a store acts for, as the database says now. ``role`` None: no usable
    account (unknown or disabled), ``why`` says which."""

    name: str
    role: str | None
    why: str = ""

    def at_least(self, role: str) -> bool:
        return self.role is not None and ROLES.index(self.role) >= ROLES.index(role)

    @property
    def is_admin(self) -> bool:
        return self.role == "admin"


def local_actor() -> Actor:
    return Actor(LOCAL_USER, "admin")


def actor_of(session: Session, name: str) -> Actor:
    """The account ``name`` as stored now (no rights when unknown or disabled)."""
    row = session.scalar(sa.select(UserRow).where(UserRow.name == name))
    if row is None:
        return Actor(name, None, f"there is no account named {name!r}")
    if row.disabled:
        return Actor(name, None, f"the account {name!r} is disabled")
    return Actor(name, row.role)


def require_role(actor: Actor, role: str, doing: str) -> None:
    """Refuse ``doing`` unless ``actor`` has at least ``role``."""
    if actor.role is None:
        raise PermissionDenied(f"{actor.name!r} may not {doing}: {actor.why}")
    if not actor.at_least(role):
        needed = "an admin" if role == "admin" else f"an {role} or admin"
        article = "an" if actor.role[0] in "aeiou" else "a"
        raise PermissionDenied(f"{actor.name!r} may not {doing}: that needs {needed}, "
                               f"and {actor.name!r} is {article} {actor.role}")


def can_read(actor: Actor, row: ScenarioRow) -> bool:
    return row.visibility == "team" or actor.is_admin or row.owner == actor.name


def readable(actor: Actor) -> sa.ColumnElement[bool]:
    """WHERE clause: the scenarios ``actor`` may read."""
    if actor.is_admin:
        return sa.true()
    return sa.or_(ScenarioRow.visibility == "team", ScenarioRow.owner == actor.name)


def require_owner(actor: Actor, row: Any, doing: str, what: str = "scenario") -> None:
    """Refuse ``doing`` to ``row`` (a scenario, or another owned row such as a live run:
    ``what``) unless ``actor`` is an editor who owns it, or an admin."""
    require_role(actor, "editor", doing)
    if not actor.is_admin and row.owner != actor.name:
        raise PermissionDenied(f"{actor.name!r} may not {doing}: {what} {row.name!r} "
                               f"belongs to {row.owner!r} (only its owner or an admin may)")
