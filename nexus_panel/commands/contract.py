"""``nexus-panel contract solidity|rust SCENARIO.json --out DIR [--verify] [--json]``.

Writes the scenario's Solidity contract or Rust crate into DIR (files appear complete or
not at all; generating twice writes the same bytes). ``--verify`` compiles and executes
what was written (py-evm for Solidity, cargo for Rust) and compares every step with the
fixed-point reference. Exit status: 0 done (and verified equal); 1 the verification
found a difference; 2 bad input; 3 a tool is missing or failed.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import Any

from nexus_panel.commands.errors import CommandError
from nexus_panel.commands.run import load_scenario
from nexus_panel.contracts.codegen import LANGUAGES, generate
from nexus_panel.contracts.generated import GENERATOR_VERSION
from nexus_panel.contracts.toolchain import ToolchainError
from nexus_panel.contracts.verify import STEP_CAPS, verify

EXIT_MISMATCH = 1
EXIT_TOOL = 3


def register(subparsers: argparse._SubParsersAction) -> None:
    caps = ", ".join(f"{lang} {cap:,}" for lang, cap in STEP_CAPS.items())
    parser = subparsers.add_parser(
        "contract", help="generate a scenario's Solidity contract or Rust crate",
        description="Generate the scenario's smart contract (Solidity) or std-only Rust "
                    "crate, computing the Nexus step in fixed point (docs/contracts.md); "
                    "optionally compile, execute and compare it with the reference.")
    parser.add_argument("language", choices=list(LANGUAGES), help="what to generate")
    parser.add_argument("scenario", type=Path, help="scenario JSON file")
    parser.add_argument("--out", type=Path, required=True, metavar="DIR",
                        help="directory to write into (created if missing)")
    parser.add_argument("--verify", action="store_true",
                        help="compile and execute it, and compare every step with the "
                             f"fixed-point reference (at most: {caps} steps)")
    parser.add_argument("--steps", type=int, metavar="N",
                        help="verify only the first N steps")
    parser.add_argument("--revision", type=int, metavar="N",
                        help="the stored revision this scenario is, for the header")
    parser.add_argument("--json", action="store_true", help="print one JSON object")
    parser.set_defaults(func=contract_command)


def contract_command(args: argparse.Namespace) -> int:
    if args.steps is not None and not args.verify:
        raise CommandError("--steps applies to --verify only")
    if args.revision is not None and args.revision < 1:
        raise CommandError(f"--revision {args.revision}: a revision number is at least 1")
    scenario = load_scenario(args.scenario)
    code = generate(scenario, args.language, args.revision)
    try:
        args.out.mkdir(parents=True, exist_ok=True)
        written = code.write(args.out)
    except OSError as exc:
        raise CommandError(f"cannot write into {args.out}: {exc.strerror or exc}") from None
    report: dict[str, Any] = {
        "language": args.language, "name": code.name, "files": [str(p) for p in written],
        "scenario": scenario.name, "revision": args.revision,
        "content_hash": scenario.content_hash(), "generator_version": GENERATOR_VERSION,
    }
    result = None
    if args.verify:
        try:
            result = verify(scenario, args.language, revision=args.revision,
                            steps=args.steps, code=code)
        except ToolchainError as exc:
            raise CommandError(str(exc), code=EXIT_TOOL) from None
        report.update(result.to_json())
    if args.json:
        print(json.dumps(report))
    else:
        print("\n".join(f"wrote {p}" for p in written))
        if result is not None:
            print("\n".join(result.summary_lines()))
    if result is not None and not result.ok:
        print(f"nexus-panel contract: verification FAILED: {result.mismatched_steps} "
              f"step(s) differ from the reference, the first at step {result.first_mismatch}",
              file=sys.stderr)
        return EXIT_MISMATCH
    return 0
