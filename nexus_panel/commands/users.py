"""``nexus-panel users add|list|set-role|disable|enable|reset-password``: the accounts.

Writes act as the account named by ``--as NAME`` (or ``NEXUS_USER``) and are checked like
every other write: only an admin may change accounts. With neither, the command acts as
the single-user local mode (every right), which is how the first admin is created on a
new database; whoever can do that already holds the database URL.

``users bootstrap`` is for deployments (deploy/entrypoint.sh runs it before every start):
it adds the first admin from environment variables, once -- when the database has no
account yet -- and otherwise does nothing, so the variables can stay set.

A password is never taken from the command line (it would sit in the shell history and
in every process listing): it is prompted for twice on a terminal, else read as the first
line of standard input (``echo "$PW" | nexus-panel users add ann --role editor``).
"""

from __future__ import annotations

import argparse
import getpass
import json
import sys
from typing import Any

from nexus_panel.commands.db import add_database_option, open_store
from nexus_panel.commands.errors import CommandError

ROLE_CHOICES = ("viewer", "editor", "admin")


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser("users", help="accounts and their roles",
                                   description=__doc__.splitlines()[0])
    actions = parser.add_subparsers(dest="users_action", required=True, metavar="ACTION")
    add = actions.add_parser("add", help="add an account (password: prompt or stdin)")
    add.add_argument("name", help="user name")
    add.add_argument("--role", required=True, choices=ROLE_CHOICES)
    add.add_argument("--display-name", default="", help="name shown in the header")
    listing = actions.add_parser("list", help="list the accounts")
    listing.add_argument("--json", action="store_true",
                         help='print a JSON list of {"name", "role", "disabled"}')
    set_role = actions.add_parser("set-role", help="change an account's role")
    set_role.add_argument("name")
    set_role.add_argument("role", choices=ROLE_CHOICES)
    disable = actions.add_parser("disable", help="disable an account (no sign-in, no writes)")
    disable.add_argument("name")
    enable = actions.add_parser("enable", help="enable a disabled account again")
    enable.add_argument("name")
    reset = actions.add_parser("reset-password",
                               help="set a new password (prompt or stdin)")
    reset.add_argument("name")
    bootstrap = actions.add_parser(
        "bootstrap", help="add the first admin from $NEXUS_ADMIN_USER and "
                          "$NEXUS_ADMIN_PASSWORD (or $NEXUS_ADMIN_PASSWORD_FILE), only if "
                          "the database has no account yet")
    for sub, func in ((add, _add), (listing, _list), (set_role, _set_role),
                      (disable, _disable), (enable, _enable), (reset, _reset),
                      (bootstrap, _bootstrap)):
        add_database_option(sub)
        sub.set_defaults(func=func)


def read_password() -> str:
    """The new password: typed twice on a terminal, else the first line of stdin."""
    if not sys.stdin.isatty():
        line = sys.stdin.readline()
        if not line:
            raise CommandError("no password on standard input")
        return line.rstrip("\r\n")
    first = getpass.getpass("New password: ")
    if getpass.getpass("Repeat it: ") != first:
        raise CommandError("the two passwords differ: nothing was changed")
    return first


def _show(user: Any, done: str) -> int:
    print(f"{done} {user.name} ({user.role}{', disabled' if user.disabled else ''})")
    return 0


def _add(args: argparse.Namespace) -> int:
    password = read_password()
    with open_store(args) as store:
        return _show(store.add_user(args.name, args.role, password,
                                    display_name=args.display_name), "added")


def _list(args: argparse.Namespace) -> int:
    with open_store(args) as store:
        users = store.users()
    if args.json:
        print(json.dumps([u.to_dict() for u in users]))
        return 0
    for user in users:
        seen = user.last_login_at.strftime("%Y-%m-%d %H:%M UTC") if user.last_login_at \
            else "never signed in"
        state = "disabled" if user.disabled else "active"
        print(f"{user.name}\t{user.role}\t{state}\t{seen}")
    return 0


def _set_role(args: argparse.Namespace) -> int:
    with open_store(args) as store:
        return _show(store.set_role(args.name, args.role), "changed")


def _disable(args: argparse.Namespace) -> int:
    with open_store(args) as store:
        return _show(store.set_disabled(args.name, True), "disabled")


def _enable(args: argparse.Namespace) -> int:
    with open_store(args) as store:
        return _show(store.set_disabled(args.name, False), "enabled")


def _reset(args: argparse.Namespace) -> int:
    password = read_password()
    with open_store(args) as store:
        return _show(store.reset_password(args.name, password), "reset the password of")


def bootstrap_password(settings: Any) -> str | None:
    """The first admin's password from ``$NEXUS_ADMIN_PASSWORD`` or the first line of the
    file named by ``$NEXUS_ADMIN_PASSWORD_FILE`` (a container secret); None when neither
    is set."""
    if settings.admin_password:
        return settings.admin_password
    path = settings.admin_password_file
    if not path:
        return None
    try:
        with open(path, encoding="utf-8") as handle:
            return handle.readline().rstrip("\r\n")
    except OSError as exc:
        raise CommandError(f"NEXUS_ADMIN_PASSWORD_FILE: cannot read {path}: "
                           f"{exc.strerror}") from None


def _bootstrap(args: argparse.Namespace) -> int:
    from nexus_panel.settings import current

    settings = current()
    with open_store(args) as store:
        added = None
        if not store.users():
            # Read only now: once accounts exist the secret may be gone (deleted, or no
            # longer mounted) without stopping the container's start.
            password = bootstrap_password(settings)
            if not settings.admin_user or password is None:
                raise CommandError(
                    "the database has no account: set NEXUS_ADMIN_USER and "
                    "NEXUS_ADMIN_PASSWORD (or NEXUS_ADMIN_PASSWORD_FILE) to add the first admin")
            added = store.bootstrap_admin(settings.admin_user, password)
    if added is None:
        print("accounts exist already: no first admin added")
        return 0
    return _show(added, "added the first admin")
