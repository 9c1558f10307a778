"""``nexus-panel bench [--json] [--only PREFIX] [--quick]``: the performance figures.

Every figure is measured in this one invocation and divided by the plain-Python baseline
measured alongside it; see nexus_panel.benchmarks for how figures are discovered.
"""

from __future__ import annotations

import argparse
import json

from nexus_panel.benchmarks import BASELINE, Figure, collect
from nexus_panel.commands.errors import CommandError


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser(
        "bench", help="measure the performance figures (medians, ratios to a Python loop)",
        description="Measure every benchmark figure in this run and print medians and their "
                    "ratio to a plain-Python loop of the spec.")
    parser.add_argument("--json", action="store_true",
                        help="print one JSON object: figure name -> seconds (MiB for "
                             "memory figures)")
    parser.add_argument("--only", default="", metavar="PREFIX",
                        help="only figures whose name starts with PREFIX (e.g. engine.batch)")
    parser.add_argument("--quick", action="store_true",
                        help="fewer repeats and smaller set-ups (CI smoke test)")
    parser.set_defaults(func=bench_command)


def bench_command(args: argparse.Namespace) -> int:
    found = collect(quick=args.quick, only=args.only)
    if not any(f.name != BASELINE for f in found) and args.only:
        raise CommandError(f"no benchmark figure starts with {args.only!r}")
    if args.json:
        print(json.dumps({f.name: f.seconds for f in found}))
    else:
        print(format_table(found))
    return 0


def _human(seconds: float) -> str:
    for unit, scale in (("s", 1.0), ("ms", 1e-3), ("µs", 1e-6)):
        if seconds >= scale:
            return f"{seconds / scale:.3g} {unit}"
    return f"{seconds / 1e-9:.3g} ns"


def format_table(found: list[Figure]) -> str:
    baseline = next((f.seconds for f in found if f.name == BASELINE), None)
    header = ("figure", "median", "x baseline", "target", "")
    rows = [header]
    for f in found:
        timed = f.unit == "s"
        ratio = f"{f.seconds / baseline:.3g}" if baseline and timed else "-"
        shown = _human if timed else (lambda v, u=f.unit: f"{v:.3g} {u}")
        target = "-" if f.target is None else f"≤ {shown(f.target)}"
        verdict = {True: "ok", False: "MISSED", None: ""}[f.meets_target]
        rows.append((f.name, shown(f.seconds), ratio, target, verdict))
    widths = [max(len(r[i]) for r in rows) for i in range(len(header))]
    lines = ["  ".join(c.ljust(w) for c, w in zip(r, widths, strict=True)).rstrip()
             for r in rows]
    notes = [f"  {f.name}: {f.note}" for f in found if f.note]
    return "\n".join([*lines, "", "notes:", *notes])
