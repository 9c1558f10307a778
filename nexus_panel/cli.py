"""``nexus-panel``: the command line. Each subcommand lives in ``nexus_panel.commands``.

Every command turns bad input (a missing file, a bad value) into one line on stderr
naming the problem and a non-zero exit code, never a traceback.
"""

from __future__ import annotations

import argparse
import importlib
import os
import sys
from collections.abc import Sequence

from nexus_panel.models import ValidationError

COMMAND_MODULES: tuple[str, ...] = (
    "run", "bench", "serve", "db", "transfer", "analysis", "network", "tune", "contract",
)
"""Modules of nexus_panel.commands; each has ``register(subparsers)`` that adds its
subcommands and sets ``func(args) -> int`` on them."""


class CommandError(Exception):
    """A user-facing failure: printed as one line, exit code 2 (or ``code``)."""

    def __init__(self, message: str, code: int = 2) -> None:
        super().__init__(message)
        self.code = code


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="nexus-panel",
        description="Simulate, analyse, store and serve scenarios of the Nexus equation.")
    subparsers = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    for name in COMMAND_MODULES:
        try:
            module = importlib.import_module(f"nexus_panel.commands.{name}")
        except ModuleNotFoundError as exc:
            if exc.name != f"nexus_panel.commands.{name}":
                raise
            continue
        module.register(subparsers)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        return int(args.func(args) or 0)
    except ValidationError as exc:
        print(f"nexus-panel {args.command}: {exc}", file=sys.stderr)
        return 2
    except CommandError as exc:
        print(f"nexus-panel {args.command}: {exc}", file=sys.stderr)
        return exc.code
    except KeyboardInterrupt:
        return 130
    except BrokenPipeError:
        # Output piped into e.g. `head` that closed early: not an error worth a traceback.
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
        return 141


if __name__ == "__main__":  # pragma: no cover - tested in a subprocess
    # ``python -m nexus_panel.cli``: this file runs as ``__main__``, but the commands raise
    # ``nexus_panel.cli.CommandError``, a different class from ``__main__.CommandError``;
    # dispatch through the imported module so their errors are caught as one line.
    from nexus_panel.cli import main as _main

    sys.exit(_main())
