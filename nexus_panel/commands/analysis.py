"""``nexus-panel <analysis> SPEC.json``: analyses without a browser.

One subcommand per entry of ``nexus_panel.analysis.registry.ANALYSES`` (montecarlo, alias
``mc``; sensitivity; stability; controller; network has its own module).

SPEC.json is the analysis spec's JSON form (what the web page saves; every key optional,
``scenario`` an embedded scenario). ``--scenario FILE`` takes the base scenario from a
scenario file instead. The main table goes to stdout; ``--out FILE`` writes the whole
result as JSON (spec included, so it can be reopened). Batched analyses run on threads
in-process, or on the Dask cluster at ``--dask ADDRESS`` / ``NEXUS_DASK_ADDRESS``.

``--save`` stores the analysis with its scenario (which needs a name: the spec's scenario
name, or ``--name``) in the database (``--database-url``,
else ``DATABASE_URL``, else the local SQLite file) and prints its id: the web pages open
it at ``/<kind>?analysis=<id>``. ``nexus-panel analysis list|show`` reads saved ones back.
"""

from __future__ import annotations

import argparse
import importlib
import json
import sys
from pathlib import Path
from typing import Any

from nexus_panel.commands.db import add_database_option, open_store
from nexus_panel.commands.errors import CommandError, read_file
from nexus_panel.files import write_atomically


def register(subparsers: argparse._SubParsersAction) -> None:
    """One subcommand per registered analysis (its name, its aliases, its intro as
    help), then ``analysis list|show``. Analyses with a dedicated command module
    register through it."""
    from nexus_panel.analysis.registry import ANALYSES

    for entry in ANALYSES.values():
        if entry.command is not None:
            importlib.import_module(entry.command).register(subparsers)
            continue
        aliases = list(entry.aliases)
        help_text = entry.about + (f" (also: {', '.join(aliases)})" if aliases else "")
        sub = subparsers.add_parser(entry.name, aliases=aliases, help=help_text,
                                    description=help_text)
        sub.add_argument("spec", metavar="SPEC.json",
                         help="the analysis spec (JSON; see docs/analyses.md)")
        sub.add_argument("--scenario", metavar="FILE",
                         help="base scenario file (replaces the spec's 'scenario')")
        sub.add_argument("--out", metavar="FILE", help="write the full result as JSON")
        if entry.batched:
            sub.add_argument("--dask", metavar="ADDRESS", default=None,
                             help="run chunks on this Dask scheduler "
                                  "(default: $NEXUS_DASK_ADDRESS, else threads in-process)")
        add_save_options(sub)
        sub.set_defaults(func=run, analysis=entry.name)
    saved = subparsers.add_parser("analysis", help="saved analyses: list them, show one",
                                  description="Saved analyses (nexus-panel montecarlo ... "
                                              "--save).")
    actions = saved.add_subparsers(dest="action", required=True, metavar="ACTION")
    listing = actions.add_parser("list", help="list saved analyses, oldest first")
    listing.add_argument("--scenario", metavar="NAME", help="only those of this scenario")
    add_database_option(listing)
    listing.set_defaults(func=list_saved)
    show = actions.add_parser("show", help="print a saved analysis as it was run (no rerun)")
    show.add_argument("id", help="the analysis id (as printed by --save)")
    show.add_argument("--out", metavar="FILE", help="write the full result as JSON")
    add_database_option(show)
    show.set_defaults(func=show_saved)


def add_save_options(sub: argparse.ArgumentParser) -> None:
    """``--save``, ``--name``, ``--message`` and the database option."""
    sub.add_argument("--save", action="store_true",
                     help="save the analysis with its scenario in the database (the "
                          "scenario needs a name: its own or --name)")
    sub.add_argument("--name", default=None,
                     help="with --save: the scenario name to save the analysis under")
    sub.add_argument("--message", default="", help="note stored with --save")
    add_database_option(sub)


def read_spec_data(args: argparse.Namespace) -> dict[str, Any]:
    """SPEC.json as a dict (``--scenario FILE`` replacing its scenario); unreadable or
    non-JSON files are one-line CommandErrors."""
    from nexus_panel.models import Scenario

    raw = read_file(Path(args.spec))
    try:
        data = json.loads(raw)
    except (ValueError, RecursionError) as exc:  # bad syntax or UTF-8; too deeply nested
        raise CommandError(f"{args.spec} is not valid JSON: {exc}") from None
    if not isinstance(data, dict):
        raise CommandError(f"{args.spec} must hold a JSON object")
    if args.scenario:
        # from_json reports bad UTF-8 as a file error
        data["scenario"] = Scenario.from_json(read_file(Path(args.scenario))).to_dict()
    return data


def _load(args: argparse.Namespace) -> Any:
    from nexus_panel.analysis.registry import ANALYSES

    return ANALYSES[args.analysis].spec.from_dict(read_spec_data(args))


def run(args: argparse.Namespace) -> int:
    from nexus_panel.analysis.executors import analysis_executor
    from nexus_panel.analysis.registry import ANALYSES

    analysis = ANALYSES[args.analysis]
    spec = _load(args)
    if analysis.batched:
        with analysis_executor(args.dask) as executor:
            result = analysis.run(spec, executor=executor)
    else:
        result = analysis.run(spec)
    _print_report(result)
    write_out(result, args.out)
    if args.save:
        record = save_result(args, result)
        print(f"saved analysis {record.id} ({record.label}); open it at "
              f"/{record.kind}?analysis={record.id}")
    return 0


def save_result(args: argparse.Namespace, result: Any) -> Any:
    """Store ``result`` with its scenario (``--database-url``, ``--name``, ``--message``);
    returns the AnalysisRecord. An unnamed scenario without ``--name`` is refused."""
    from nexus_panel.analysis.registry import kind_of
    from nexus_panel.analysis.saving import named_scenario

    scenario = named_scenario(result.spec.base_scenario, args.name,
                              "give --name NAME, or a named scenario")
    with open_store(args) as store:
        return store.save_analysis(scenario, kind_of(result), result, message=args.message)


def _print_report(result: Any) -> None:
    import pandas as pd

    with pd.option_context("display.width", 160, "display.max_columns", 20,
                           "display.float_format", "{:.6g}".format):
        print(result.report())


def write_out(result: Any, out: str | None) -> None:
    if not out:
        return
    text = json.dumps(result.to_dict(), indent=1, allow_nan=False)
    try:  # complete or not at all
        write_atomically(out, lambda tmp: tmp.write_text(text, encoding="utf-8"))
    except OSError as exc:
        raise CommandError(f"cannot write {out}: {exc.strerror}") from None
    print(f"wrote {out}", file=sys.stderr)


def list_saved(args: argparse.Namespace) -> int:

    with open_store(args) as store:
        records = store.analyses(args.scenario)
    for r in records:
        took = f"{r.duration_s:.3f} s" if r.duration_s is not None else "?"
        print(f"{r.id:>6}  {r.created_at:%Y-%m-%d %H:%M}  {r.label}  by {r.author}, "
              f"ran {took}{'  ' + r.message if r.message else ''}")
    if not records:
        print("no saved analyses")
    return 0


def show_saved(args: argparse.Namespace) -> int:
    from nexus_panel.analysis.registry import restore_result

    with open_store(args) as store:
        record = store.analysis_info(args.id)
        scenario, spec, results = store.load_analysis(args.id)
        result = restore_result(scenario, spec, results)
    note = f": {record.message}" if record.message else ""
    print(f"saved analysis {record.id}: {record.label}, by {record.author} at "
          f"{record.created_at:%Y-%m-%d %H:%M} UTC{note} (not rerun)")
    _print_report(result)
    write_out(result, args.out)
    return 0
