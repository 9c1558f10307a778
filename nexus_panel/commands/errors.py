"""The one exception a command raises for a user-facing failure.

Why a module of its own: the commands import it, and ``cli.main`` (which imports the
commands) catches it; keeping it out of cli.py means no command imports the entry point.
"""

from __future__ import annotations

from pathlib import Path


class CommandError(Exception):
    """A user-facing failure: printed as one line, exit code 2 (or ``code``)."""

    def __init__(self, message: str, code: int = 2) -> None:
        super().__init__(message)
        self.code = code


def read_file(path: Path, what: str = "") -> bytes:
    """The bytes of a file a command was given; an unreadable one (missing, a directory,
    no permission) is a one-line CommandError naming it, e.g. "cannot read edge list
    x.csv: No such file or directory"."""
    try:
        return Path(path).read_bytes()
    except OSError as exc:
        named = f"{what} {path}" if what else str(path)
        raise CommandError(f"cannot read {named}: {exc.strerror or exc}") from None
