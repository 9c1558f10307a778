"""The one exception a command raises for a user-facing failure.

Why a module of its own: the commands import it, and ``cli.main`` (which imports the
commands) catches it; keeping it out of cli.py means no command imports the entry point.
"""

from __future__ import annotations


class CommandError(Exception):
    """A user-facing failure: printed as one line, exit code 2 (or ``code``)."""

    def __init__(self, message: str, code: int = 2) -> None:
        super().__init__(message)
        self.code = code
