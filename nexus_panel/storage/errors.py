"""Storage failures a user can act on, each with a one-line message.

Database driver exceptions are long, nested and mention internals; every public storage
call translates them into :class:`StorageError` (or a subclass) whose message says what
failed and, where possible, what to do, so the CLI and the web app can show it as one line.
"""

from __future__ import annotations


class StorageError(Exception):
    """The database could not do what was asked (unreachable, bad URL, failed write ...)."""


class NotFoundError(StorageError, LookupError):
    """No scenario, revision or run matches the given name or id."""


class ConflictError(StorageError):
    """The write would overwrite or clash with something else already saved."""


class PermissionDenied(StorageError):
    """The acting user's role (or account state) does not allow this write.

    A StorageError so every caller that already turns storage failures into one line
    (the CLI's exit code, the pages' notifications) shows it without new handling; the
    HTTP routes answer it with 403. The refusal itself is recorded in the audit trail."""


def first_line(exc: BaseException) -> str:
    """The first meaningful line of a (driver) exception's message."""
    orig = getattr(exc, "orig", None)
    text = str(orig if orig is not None else exc).strip()
    line = text.splitlines()[0] if text else type(exc).__name__
    return line.removeprefix("(psycopg.OperationalError) ").strip()
