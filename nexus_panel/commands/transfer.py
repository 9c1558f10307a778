"""``nexus-panel export`` / ``nexus-panel import``: scenarios and results in and out of the
database, as JSON bundles (scenario + runs) or one run's time series as CSV / Parquet.

Import accepts our JSON bundle, a plain scenario file and the original app's JSON export;
it is all-or-nothing (one transaction).
"""

from __future__ import annotations

import argparse
from pathlib import Path

from nexus_panel.commands.db import add_database_option, open_store
from nexus_panel.commands.errors import CommandError

FORMATS = ("json", "csv", "parquet")


def register(subparsers: argparse._SubParsersAction) -> None:
    export = subparsers.add_parser(
        "export", help="write a stored scenario (JSON, with its runs) or a run (CSV/Parquet)",
        description="Write a stored scenario revision with its runs as JSON, or the time "
                    "series of one stored run as CSV or Parquet.")
    export.add_argument("scenario", help='scenario name, or "name@REVISION"')
    export.add_argument("-o", "--output", type=Path, default=None,
                        help="file to write (default: NAME-rREVISION.FORMAT here, the name "
                             "reduced to a safe file name)")
    export.add_argument("--format", choices=FORMATS, default=None,
                        help="default: from the output suffix, else json")
    export.add_argument("--run", type=int, default=None, metavar="ID",
                        help="CSV/Parquet: this stored run (default: the latest run of the "
                             "revision)")
    export.add_argument("--simulate", action="store_true",
                        help="CSV/Parquet: if the revision has no stored run, run and store "
                             "it first")
    add_database_option(export)
    export.set_defaults(func=export_command)

    imp = subparsers.add_parser(
        "import", help="import a scenario JSON (ours or the original app's export) or a run",
        description="Import a JSON bundle exported by nexus-panel, a scenario file, or the "
                    "original app's export; saves a new revision (and the bundle's runs). "
                    "A Parquet run file exported by nexus-panel imports as its scenario and "
                    "run; a CSV run file as a run of --revision. Every run is recomputed "
                    "and refused unless its numbers are this engine's.")
    imp.add_argument("file", type=Path, help="JSON, Parquet or CSV file to import")
    imp.add_argument("--name", default=None, help="save under this name instead")
    imp.add_argument("-m", "--message", default="", help="revision message")
    imp.add_argument("--author", default=None, help='author of the revision (default "local")')
    imp.add_argument("--without-runs", action="store_true",
                     help="import only the scenario, not the file's runs (e.g. runs of "
                          "another engine version, which cannot be checked)")
    imp.add_argument("--revision", default=None, metavar="NAME@REVISION",
                     help="CSV run files: the stored revision the run belongs to")
    add_database_option(imp)
    imp.set_defaults(func=import_command)


def _format(args: argparse.Namespace) -> str:
    if args.format:
        return args.format
    suffix = args.output.suffix.lstrip(".").lower() if args.output else ""
    if args.output and suffix not in FORMATS:
        raise CommandError(f"cannot tell the format of {args.output}: use --format "
                           + "|".join(FORMATS))
    return suffix or "json"


def export_command(args: argparse.Namespace) -> int:
    from nexus_panel.filenames import safe_filename
    from nexus_panel.storage.rows import split_ref

    fmt = _format(args)
    store = open_store(args)
    try:
        record = store.revision(args.scenario)
        # the name is user text: one safe file name here, never a path elsewhere
        output = args.output or Path(safe_filename(record.scenario_name,
                                                   f"-r{record.number}.{fmt}"))
        if fmt == "json":
            store.export_scenario(record, output)
            runs = len(store.runs(record.scenario_id, record.number))
            print(f"wrote {output}: {record.label} with {runs} run(s)")
            return 0
        run_id = args.run
        label = record.label
        if run_id is not None:
            # The run must belong to the scenario (and revision, when one was named):
            # otherwise another scenario's data would be written under this one's name.
            run = store.run_info(run_id)
            label = f"{run.scenario_name}@{run.revision}"
            if run.scenario_id != record.scenario_id or (
                    split_ref(args.scenario)[1] is not None and run.revision != record.number):
                raise CommandError(f"run {run_id} is a run of {label}, not of {args.scenario}")
        else:
            runs = store.runs(record.scenario_id, record.number)
            if runs:
                run_id = runs[-1].id
            elif args.simulate:
                run_id = store.run(record)[0].id
            else:
                raise CommandError(f"{record.label} has no stored run: add --simulate to run "
                                   "and store it now")
        store.export_run(run_id, output, fmt)
        print(f"wrote {output}: run {run_id} of {label}")
        return 0
    finally:
        store.close()


def import_command(args: argparse.Namespace) -> int:

    store = open_store(args)
    try:
        record, runs = store.import_file(args.file, name=args.name, message=args.message,
                                         author=args.author, with_runs=not args.without_runs,
                                         revision=args.revision)
    finally:
        store.close()
    state = "new revision" if record.created else "unchanged, same as the latest revision"
    print(f"imported {record.label} ({state}) with {len(runs)} run(s)")
    return 0
