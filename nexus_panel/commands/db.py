"""``nexus-panel db upgrade|downgrade|current|verify-audit``: the database's schema and the
integrity of its audit trail.

Also home of the database option and store opening shared by the commands that touch the
database, so a bad ``DATABASE_URL`` reads the same one line everywhere.
"""

from __future__ import annotations

import argparse
from typing import Any

from nexus_panel.commands.errors import CommandError


def add_database_option(parser: argparse.ArgumentParser) -> None:
    """``--database-url``, and ``--as``: the account the command's writes act as."""
    parser.add_argument("--database-url", metavar="URL", default=None,
                        help="SQLAlchemy URL (default: $DATABASE_URL, else the SQLite file in "
                             "the user data directory)")
    parser.add_argument("--as", dest="acting_user", default=None, metavar="NAME",
                        help="act as this account, whose role every write is checked "
                             "against (default: $NEXUS_USER, else the single-user local "
                             "mode, with every right)")


def acting_user(args: argparse.Namespace) -> str | None:
    """``--as``, else NEXUS_USER (read through settings), else None: local mode."""
    from nexus_panel.settings import current

    return getattr(args, "acting_user", None) or current().acting_user or None


def open_store(args: argparse.Namespace, *, migrate: bool = True) -> Any:
    """A ScenarioStore for ``--database-url`` acting as :func:`acting_user`; storage
    failures (a refused write too) become one-line errors."""
    from nexus_panel.storage import ScenarioStore

    return ScenarioStore(args.database_url, user=acting_user(args), migrate=migrate)


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser("db", help="database schema and audit trail",
                                   description=__doc__.splitlines()[0])
    actions = parser.add_subparsers(dest="db_action", required=True, metavar="ACTION")
    upgrade = actions.add_parser("upgrade", help="create or upgrade the schema")
    upgrade.add_argument("revision", nargs="?", default="head",
                         help="target schema revision (default: head)")
    downgrade = actions.add_parser("downgrade", help="step the schema back (operators only)")
    downgrade.add_argument("revision", help='target schema revision, e.g. "-1" or "base"')
    current = actions.add_parser("current", help="show the schema revision of the database")
    verify = actions.add_parser("verify-audit",
                                help="check the audit trail's hash chain; exit 1 if broken")
    new = actions.add_parser("new-migration",
                             help="developers: write a migration for changed models")
    new.add_argument("message", help="what the migration does, e.g. 'add parameter mu'")
    new.set_defaults(func=_new_migration)
    for sub, func in ((upgrade, _migrate), (downgrade, _migrate), (current, _current),
                      (verify, _verify)):
        add_database_option(sub)
        sub.set_defaults(func=func)


def _engine(args: argparse.Namespace) -> Any:
    from nexus_panel.storage import database

    return database.make_engine(database.resolve_url(args.database_url))


def _migrate(args: argparse.Namespace) -> int:
    from nexus_panel.storage import StorageError, database

    engine = _engine(args)
    try:
        action = database.upgrade if args.db_action == "upgrade" else database.downgrade
        action(engine, args.revision)
        print(f"{database.describe(engine.url)}: schema revision "
              f"{database.current_revision(engine) or 'none (empty)'}")
    except StorageError:
        raise  # already one line; cli.main prints it
    except Exception as exc:  # alembic: unknown revision names and the like
        raise CommandError(f"cannot {args.db_action} to {args.revision!r}: "
                           f"{str(exc).splitlines()[0]}") from None
    finally:
        engine.dispose()
    return 0


def _current(args: argparse.Namespace) -> int:
    from nexus_panel.storage import database

    engine = _engine(args)
    try:
        current, head = database.current_revision(engine), database.head_revision()
    finally:
        engine.dispose()
    state = ("up to date" if current == head else
             "empty: run `nexus-panel db upgrade`" if current is None else
             f"behind head {head}: run `nexus-panel db upgrade`")
    print(f"{database.describe(engine.url)}: schema revision {current or 'none'} ({state})")
    return 0


def _verify(args: argparse.Namespace) -> int:
    from nexus_panel.storage import database

    engine = _engine(args)
    try:
        current = database.current_revision(engine)
    finally:
        engine.dispose()
    if current is None:
        raise CommandError(f"{database.describe(engine.url)} holds no nexus_panel schema: "
                           "run `nexus-panel db upgrade` first")
    store = open_store(args, migrate=False)
    try:
        check = store.verify_audit()
    finally:
        store.close()
    print(check)
    return 0 if check.ok else 1


def _new_migration(args: argparse.Namespace) -> int:
    from nexus_panel.storage import database

    path = database.new_migration(args.message)
    print(f"wrote {path}: review it, then run the migration tests")
    return 0
