"""``nexus-panel feeds add|list|fetch|show|allow|disallow``: data feeds (docs/feeds.md).

``add NAME --url URL | --file PATH | --sql-url URL --query SELECT`` defines a feed (a
new revision when it exists); ``fetch NAME`` stores a snapshot (``--json``: ``{"snapshot",
"rows", "sha256"}``); ``allow HOST[:PORT]`` adds to the allowlist (admins). Writes act as
``--as NAME`` / ``NEXUS_USER``, like every command. A refused URL (not allowlisted, a
private address, a bad scheme) exits with status 2 and one line naming ``url``.
"""

from __future__ import annotations

import argparse
import json
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from nexus_panel.commands.db import add_database_option, open_store
from nexus_panel.commands.errors import CommandError


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser("feeds", help="data feeds: define, fetch, allowlist",
                                   description=__doc__.splitlines()[0])
    actions = parser.add_subparsers(dest="feeds_action", required=True, metavar="ACTION")
    add = actions.add_parser("add", help="define a feed (or revise it)")
    add.add_argument("name")
    where = add.add_mutually_exclusive_group(required=True)
    where.add_argument("--url", help="an http(s) URL on the allowlist")
    where.add_argument("--file", help="a CSV, Parquet or JSON file")
    where.add_argument("--sql-url", help="a SQLAlchemy URL (no password)")
    where.add_argument("--sql-url-env", help="environment variable holding the SQL URL")
    add.add_argument("--query", help="the SELECT of a SQL feed")
    add.add_argument("--format", choices=("csv", "json", "parquet"),
                     help="payload format (default: from the file suffix, else csv)")
    add.add_argument("--time-column", default="time")
    add.add_argument("--value-column", action="append", dest="value_columns",
                     help="a value column (repeat for several; default: value)")
    add.add_argument("--records-key", default="", help="JSON: dotted path to the rows")
    add.add_argument("--api-key-env", default="",
                     help="environment variable holding an API key (never stored)")
    add.add_argument("--api-key-header", default="Authorization")
    for option in ("scale", "offset", "clip-low", "clip-high", "timeout-s"):
        add.add_argument(f"--{option}", type=float)
    add.add_argument("--max-bytes", type=int)
    add.add_argument("--max-rows", type=int)
    add.add_argument("--message", default="")
    listing = actions.add_parser("list", help="list the feeds")
    listing.add_argument("--json", action="store_true")
    fetch = actions.add_parser("fetch", help="fetch a feed now and store the snapshot")
    fetch.add_argument("name")
    fetch.add_argument("--json", action="store_true",
                       help='print {"snapshot", "rows", "sha256"}')
    show = actions.add_parser("show", help="a feed's definition, status and snapshots")
    show.add_argument("name")
    show.add_argument("--json", action="store_true")
    allow = actions.add_parser("allow", help="let HTTP feeds reach HOST[:PORT] (admins)")
    allow.add_argument("host", metavar="HOST[:PORT]")
    disallow = actions.add_parser("disallow", help="remove HOST[:PORT] from the allowlist")
    disallow.add_argument("host", metavar="HOST[:PORT]")
    for sub, func in ((add, _add), (listing, _list), (fetch, _fetch), (show, _show),
                      (allow, _allow), (disallow, _disallow)):
        add_database_option(sub)
        sub.set_defaults(func=func)


@contextmanager
def _feeds(args: argparse.Namespace) -> Iterator[Any]:
    from nexus_panel.feeds.store import FeedStore

    with open_store(args) as store:
        yield FeedStore(store)


def definition_of(args: argparse.Namespace) -> dict[str, Any]:
    """The feed definition the ``add`` options describe (checked by FeedDefinition)."""
    data: dict[str, Any] = {"time_column": args.time_column,
                            "value_columns": args.value_columns or ["value"]}
    if args.url is not None:
        data.update(source="http", url=args.url, format=args.format or "csv",
                    records_key=args.records_key, api_key_env=args.api_key_env,
                    api_key_header=args.api_key_header)
    elif args.file is not None:
        suffix = args.file.rsplit(".", 1)[-1].lower() if "." in args.file else ""
        guessed = suffix if suffix in ("csv", "json", "parquet") else "csv"
        data.update(source="file", path=args.file, format=args.format or guessed,
                    records_key=args.records_key)
    else:
        data.update(source="sql", query=args.query or "")
        data["sql_url" if args.sql_url is not None else "sql_url_env"] = \
            args.sql_url if args.sql_url is not None else args.sql_url_env
    for option in ("scale", "offset", "clip_low", "clip_high", "timeout_s", "max_bytes",
                   "max_rows"):
        if getattr(args, option) is not None:
            data[option] = getattr(args, option)
    return data


def _add(args: argparse.Namespace) -> int:
    definition = definition_of(args)
    with _feeds(args) as feeds:
        info = feeds.add(args.name, definition, args.message)
    print(f"feed {info.name}: revision {info.revision} ({info.source})")
    return 0


def _list(args: argparse.Namespace) -> int:
    with _feeds(args) as feeds:
        infos = feeds.list()
        latest = {i.name: feeds.latest(i.name) for i in infos}
    if args.json:
        print(json.dumps([{"name": i.name, "source": i.source, "revision": i.revision,
                           "last_error": i.last_error,
                           "snapshot": latest[i.name].id if latest[i.name] else None}
                          for i in infos]))
        return 0
    for info in infos:
        snap = latest[info.name]
        state = f"error: {info.last_error}" if info.last_error else (
            f"snapshot {snap.id} ({snap.rows} rows)" if snap else "never fetched")
        print(f"{info.name}\t{info.source}\trevision {info.revision}\t{state}")
    return 0


def _fetch(args: argparse.Namespace) -> int:
    from nexus_panel.feeds.errors import FetchError

    with _feeds(args) as feeds:
        try:
            snap = feeds.fetch(args.name)
        except FetchError as exc:
            raise CommandError(f"feed {args.name!r}: {exc}") from None
    if args.json:
        print(json.dumps({"snapshot": snap.id, "rows": snap.rows, "sha256": snap.sha256}))
    else:
        how = "unchanged, kept" if snap.reused else "stored"
        print(f"feed {snap.feed}: {how} snapshot {snap.id} ({snap.rows} rows, sha256 "
              f"{snap.sha256[:12]})")
    return 0


def _show(args: argparse.Namespace) -> int:
    with _feeds(args) as feeds:
        info = feeds.get(args.name)
        snaps = feeds.snapshots(args.name)
    if args.json:
        print(json.dumps({"name": info.name, "revision": info.revision,
                          "definition": info.definition, "last_error": info.last_error,
                          "snapshots": [s.to_dict() for s in snaps]}))
        return 0
    print(f"{info.name} (revision {info.revision}, owner {info.owner})")
    for key, value in info.definition.items():
        print(f"  {key}: {value}")
    if info.last_error:
        print(f"  last error: {info.last_error}")
    for snap in snaps:
        status = f"HTTP {snap.http_status}, " if snap.http_status else ""
        print(f"  snapshot {snap.id}: {snap.fetched_at:%Y-%m-%d %H:%M:%S} UTC, {status}"
              f"{snap.rows} rows, {snap.bytes} bytes, sha256 {snap.sha256[:12]}")
    return 0


def _allow(args: argparse.Namespace) -> int:
    with _feeds(args) as feeds:
        entry = feeds.allow(args.host)
    print(f"allowed {entry.label}" + ("" if entry.port else " (the scheme's default port)"))
    return 0


def _disallow(args: argparse.Namespace) -> int:
    with _feeds(args) as feeds:
        feeds.disallow(args.host)
    print(f"removed {args.host}")
    return 0
