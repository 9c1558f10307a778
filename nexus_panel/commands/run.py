"""``nexus-panel run SCENARIO.json [--out FILE] [--no-cache]``: one run without a browser.

The scenario file is our canonical JSON or the original app's export. The summary goes
to stdout, warnings to stderr. Inputs of kind ``feed`` read their snapshot from the
database (``--database-url``): the one the file pins, else the feed's latest, whose id
the summary names (and the ``--out`` file's scenario records). ``--out`` writes the whole
result as CSV, JSON or Parquet; the file appears complete or not at all (written beside
the target, then renamed).
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable
from pathlib import Path

from nexus_panel.commands.db import add_database_option, open_store
from nexus_panel.commands.errors import CommandError, read_file
from nexus_panel.engine import SimulationResult
from nexus_panel.files import write_atomically
from nexus_panel.models import Scenario


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser(
        "run", help="run one scenario file and print its summary",
        description="Run one scenario (our JSON or the original app's export) and print its "
                    "summary figures.")
    parser.add_argument("scenario", type=Path, help="scenario JSON file")
    parser.add_argument("--out", type=Path, metavar="FILE",
                        help="also write the result: .csv (the frame), .json (the scenario "
                             "bundle with this run, as the web export; `nexus-panel import` "
                             "reads it) or .parquet (the frame, scenario and summary in its "
                             "metadata; importable too)")
    parser.add_argument("--no-cache", action="store_true",
                        help="compute even if the disk memo holds this scenario")
    add_database_option(parser)
    parser.set_defaults(func=run_command)


def load_scenario(path: Path) -> Scenario:
    """Read a scenario file; an unreadable file is a CommandError, bad values a
    ValidationError naming the fields."""
    return Scenario.from_json(read_file(path), source=str(path))


def run_command(args: argparse.Namespace) -> int:
    writer = None
    if args.out is not None:
        writer = FORMATS.get(args.out.suffix.lower())
        if writer is None:
            raise CommandError(f"--out {args.out}: unknown file type "
                               f"{args.out.suffix or '(none)'!r}; use "
                               + ", ".join(sorted(FORMATS)))
        if not args.out.parent.is_dir():
            raise CommandError(f"--out {args.out}: directory {args.out.parent} does not exist")
    scenario = load_scenario(args.scenario)
    if scenario.inputs.feeds():
        from nexus_panel.feeds.store import FeedStore

        with open_store(args) as store:
            scenario = FeedStore(store).pin(scenario)
    if args.no_cache:
        from nexus_panel.engine import simulate

        result = simulate(scenario)
    else:
        from nexus_panel.engine.memo import cached_simulate

        result = cached_simulate(scenario)
    print(format_summary(result))
    for note in result.warnings:
        print(f"warning: {note}", file=sys.stderr)
    if writer is not None:
        from nexus_panel.storage.run_files import write_run_file

        write_output(args.out, lambda tmp: write_run_file(result, tmp, writer))
        print(f"wrote {args.out}")
    return 0


def format_summary(result: SimulationResult) -> str:
    params = result.scenario.params
    lines = [f"{result.scenario.name}: {params.num_steps} steps of {params.delta_t:g} "
             f"(hash {result.content_hash[:12]})"]
    width = max(len(k) for k in result.summary)
    for key, value in result.summary.items():
        shown = f"{int(value)}" if key == "clamp_events" else f"{value:.10g}"
        lines.append(f"  {key:<{width}}  {shown}")
    for name, signal in result.scenario.inputs.feeds().items():
        lines.append(f"  feed {name}: {signal.feed!r} column {signal.column!r}, snapshot "
                     f"{signal.snapshot} (sha256 {signal.sha256[:12]})")
    return "\n".join(lines)


def write_output(target: Path, write: Callable[[Path], None]) -> None:
    """Write ``target`` atomically (complete or not at all); failures are one line."""
    try:
        write_atomically(target, write)
    except OSError as exc:
        raise CommandError(f"cannot write {target}: {exc.strerror or exc}") from None


FORMATS: dict[str, str] = {".csv": "csv", ".json": "json", ".parquet": "parquet"}
"""--out suffix -> the run file format of nexus_panel.storage.run_files (the same writers
as the web export and the store: one document, one NaN encoding)."""
