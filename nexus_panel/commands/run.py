"""``nexus-panel run SCENARIO.json [--out FILE] [--no-cache]``: one run without a browser.

The scenario file is our canonical JSON or the original app's export. The summary goes
to stdout, warnings to stderr. ``--out`` writes the whole result as CSV, JSON or Parquet;
the file appears complete or not at all (written beside the target, then renamed).
"""

from __future__ import annotations

import argparse
import json
import math
import sys
from collections.abc import Callable
from functools import partial
from pathlib import Path
from typing import Any

from nexus_panel.cli import CommandError
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
                        help="also write the result: .csv (the frame), .json (scenario, "
                             "summary and columns) or .parquet (the frame, scenario and summary in "
                             "its metadata)")
    parser.add_argument("--no-cache", action="store_true",
                        help="compute even if the disk memo holds this scenario")
    parser.set_defaults(func=run_command)


def load_scenario(path: Path) -> Scenario:
    """Read a scenario file; an unreadable file is a CommandError, bad values a
    ValidationError naming the fields."""
    try:
        text = path.read_bytes()
    except OSError as exc:
        raise CommandError(f"cannot read {path}: {exc.strerror or exc}") from None
    return Scenario.from_json(text, source=str(path))


def run_command(args: argparse.Namespace) -> int:
    writer = None
    if args.out is not None:
        writer = WRITERS.get(args.out.suffix.lower())
        if writer is None:
            raise CommandError(f"--out {args.out}: unknown file type "
                               f"{args.out.suffix or '(none)'!r}; use "
                               + ", ".join(sorted(WRITERS)))
        if not args.out.parent.is_dir():
            raise CommandError(f"--out {args.out}: directory {args.out.parent} does not exist")
    scenario = load_scenario(args.scenario)
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
        write_output(args.out, lambda tmp: writer(result, tmp))
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
    return "\n".join(lines)


def write_output(target: Path, write: Callable[[Path], None]) -> None:
    """Write ``target`` atomically (complete or not at all); failures are one line."""
    try:
        write_atomically(target, write)
    except OSError as exc:
        raise CommandError(f"cannot write {target}: {exc.strerror or exc}") from None


def _finite_or_none(values: Any) -> list[float | None]:
    return [v if math.isfinite(v) else None for v in values]


def result_document(result: SimulationResult) -> dict[str, Any]:
    """The JSON export: scenario, summary, warnings and every column (NaN as null)."""
    return {
        "scenario": result.scenario.to_dict(),
        "content_hash": result.content_hash,
        "engine_version": result.engine_version,
        "summary": dict(zip(result.summary, _finite_or_none(result.summary.values()),
                            strict=True)),
        "warnings": list(result.warnings),
        "columns": {c: _finite_or_none(result.frame[c].tolist()) for c in result.frame},
    }


def _write_json(result: SimulationResult, path: Path) -> None:
    path.write_text(json.dumps(result_document(result), allow_nan=False))


def _write_table(result: SimulationResult, path: Path, fmt: str) -> None:
    # The storage layer's writer, so `run --out x.parquet` files are the same format as
    # `export` files and read back whole with storage.transfer.read_parquet_result.
    from nexus_panel.storage.transfer import write_table

    write_table(result, path, fmt)  # path is a temporary name: give the format


WRITERS: dict[str, Callable[[SimulationResult, Path], None]] = {
    ".csv": partial(_write_table, fmt="csv"), ".json": _write_json,
    ".parquet": partial(_write_table, fmt="parquet"),
}
