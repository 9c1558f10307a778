"""``nexus-panel mc|sensitivity|stability|controller SPEC.json``: analyses without a browser.

SPEC.json is the analysis spec's JSON form (what the web page saves; every key optional,
``scenario`` an embedded scenario). ``--scenario FILE`` takes the base scenario from a
scenario file instead. The main table goes to stdout; ``--out FILE`` writes the whole
result as JSON (spec included, so it can be reopened). Batched analyses run on threads
in-process, or on the Dask cluster at ``--dask ADDRESS`` / ``NEXUS_DASK_ADDRESS``.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import Any

from nexus_panel.cli import CommandError

HELP = {
    "mc": "Monte Carlo ensemble: percentile bands of N(t) and statistics of run metrics",
    "sensitivity": "Sobol / Morris / one-at-a-time sensitivity of run metrics to parameters",
    "stability": "stability map over two parameters: response metrics and regimes",
    "controller": "response of N to a shock for one or more PID gain sets",
}


def register(subparsers: argparse._SubParsersAction) -> None:
    for name, text in HELP.items():
        sub = subparsers.add_parser(name, help=text, description=text)
        sub.add_argument("spec", metavar="SPEC.json", help="the analysis spec (JSON)")
        sub.add_argument("--scenario", metavar="FILE",
                         help="base scenario file (replaces the spec's 'scenario')")
        sub.add_argument("--out", metavar="FILE", help="write the full result as JSON")
        if name != "controller":
            sub.add_argument("--dask", metavar="ADDRESS", default=None,
                             help="run chunks on this Dask scheduler "
                                  "(default: $NEXUS_DASK_ADDRESS, else threads in-process)")
        sub.set_defaults(func=run, analysis=name)


def _load(args: argparse.Namespace) -> Any:
    from nexus_panel.analysis.registry import ANALYSES
    from nexus_panel.models import Scenario

    try:
        data = json.loads(Path(args.spec).read_text(encoding="utf-8"))
    except OSError as exc:
        raise CommandError(f"cannot read {args.spec}: {exc.strerror}") from None
    except ValueError as exc:
        raise CommandError(f"{args.spec} is not valid JSON: {exc}") from None
    if not isinstance(data, dict):
        raise CommandError(f"{args.spec} must hold a JSON object")
    if args.scenario:
        try:
            text = Path(args.scenario).read_text(encoding="utf-8")
        except OSError as exc:
            raise CommandError(f"cannot read {args.scenario}: {exc.strerror}") from None
        data["scenario"] = Scenario.from_json(text).to_dict()
    return ANALYSES[args.analysis].spec.from_dict(data)


def run(args: argparse.Namespace) -> int:
    import pandas as pd

    from nexus_panel.analysis.executors import analysis_executor
    from nexus_panel.analysis.registry import ANALYSES

    analysis = ANALYSES[args.analysis]
    spec = _load(args)
    if analysis.batched:
        with analysis_executor(args.dask) as executor:
            result = analysis.run(spec, executor=executor)
    else:
        result = analysis.run(spec)
    with pd.option_context("display.width", 160, "display.max_columns", 20,
                           "display.float_format", "{:.6g}".format):
        print(_report(args.analysis, result))
    if args.out:
        try:
            Path(args.out).write_text(json.dumps(result.to_dict(), indent=1, allow_nan=False),
                                      encoding="utf-8")
        except OSError as exc:
            raise CommandError(f"cannot write {args.out}: {exc.strerror}") from None
        print(f"wrote {args.out}", file=sys.stderr)
    return 0


def _report(name: str, result: Any) -> str:
    lines = [f"{HELP[name].split(':')[0]} — {result.seconds:.3f} s"]
    if name == "mc":
        lines.append(f"{result.spec.n_runs} runs; bands of N(t) at the end "
                     + ", ".join(f"p{q}={v:.6g}" for q, v in
                                 zip(result.percentiles, result.bands[:, -1], strict=True))
                     + f" (error bound ≤ {result.band_error.max():.3g})")
        lines.append(result.statistics.to_string())
        lines.append("regimes: " + ", ".join(f"{k} {v}" for k, v in
                                             result.runs["regime"].value_counts().items()))
    elif name == "sensitivity":
        lines.append(f"{result.n_runs} runs, method {result.spec.method}")
        for output, frame in result.indices.items():
            if frame.shape[1]:
                lines += [f"[{output}]", frame.to_string()]
        lines += result.notes
    elif name == "stability":
        spec = result.spec
        lines.append(f"{spec.x_parameter} x {spec.y_parameter}: "
                     f"{len(result.x)} x {len(result.y)} cells")
        lines.append("regimes: " + ", ".join(f"{k} {v}" for k, v in
                                             result.regime_counts().items()))
        lines.append(result.rule)
    else:
        lines.append(f"shock: {result.spec.shock_input} {result.spec.shock_size:+g} "
                     f"at step {result.shock_step}")
        lines.append(result.metrics.to_string())
    return "\n".join(lines)
