"""``nexus-panel``: the command line. Each subcommand lives in ``nexus_panel.commands``.

Every command turns bad input (a missing file, a bad value) into one line on stderr
naming the problem and a non-zero exit code, never a traceback. The commands raise
(``ValidationError``, ``CommandError``, the storage layer's ``StorageError``) and
:func:`main` maps each to its exit code, here and only here.
"""

from __future__ import annotations

import argparse
import importlib
import os
import sys
from collections.abc import Sequence

from nexus_panel.commands.errors import CommandError
from nexus_panel.models import ValidationError

COMMAND_MODULES: tuple[str, ...] = (
    "run", "bench", "serve", "db", "transfer", "analysis", "tune", "contract", "users",
    "feeds", "live",
)
"""Modules of nexus_panel.commands; each has ``register(subparsers)`` that adds its
subcommands and sets ``func(args) -> int`` on them. (``analysis`` registers one
subcommand per entry of the analysis registry, dedicated ones such as ``network``
included.)"""

STORAGE_EXIT = 2
"""Exit code of a storage failure (a database that cannot open, a missing scenario)."""


def _is_storage_error(exc: BaseException) -> bool:
    # The storage package imports SQLAlchemy: a command that never touched storage must
    # not pay for importing it here, and then cannot have raised its errors either.
    errors = sys.modules.get("nexus_panel.storage.errors")
    return errors is not None and isinstance(exc, errors.StorageError)


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
    except Exception as exc:
        if not _is_storage_error(exc):
            raise
        print(f"nexus-panel {args.command}: {exc}", file=sys.stderr)
        return STORAGE_EXIT
    except KeyboardInterrupt:
        return 130
    except BrokenPipeError:
        # Output piped into e.g. `head` that closed early: not an error worth a traceback.
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
        return 141


if __name__ == "__main__":  # pragma: no cover - tested in a subprocess
    sys.exit(main())
