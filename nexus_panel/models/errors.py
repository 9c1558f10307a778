"""The one error type for bad scenario input.

Every entry point (Python API, CLI, web forms, share links, imported files) reports bad
values through :class:`ValidationError`, so a user always sees *every* bad field at once,
with its value and what is allowed, instead of fixing them one round-trip at a time.
"""

from __future__ import annotations

import reprlib
from dataclasses import dataclass
from typing import Any

_SHOWN = reprlib.Repr()  # Python 3.11: no keyword arguments yet
_SHOWN.maxstring = _SHOWN.maxother = 80
_SHOWN.maxlist = _SHOWN.maxtuple = _SHOWN.maxdict = _SHOWN.maxset = 8
_SHOWN.maxlevel = 3
"""How a rejected value appears in a message: a pasted 10 MB list or a 900-deep nested
one must still give a short, one-line message (and not a RecursionError from repr)."""
SHOWN_LENGTH = 120
"""At most this many characters of a rejected value appear in a message."""


def _cut(text: str) -> str:
    return text if len(text) <= SHOWN_LENGTH else text[:SHOWN_LENGTH - 3] + "..."


@dataclass(frozen=True)
class FieldError:
    """One rejected value: dotted field path, the value given, and what is allowed."""

    field: str
    value: Any
    allowed: str

    def __str__(self) -> str:
        try:
            shown = _SHOWN.repr(self.value)
        except ValueError:  # an int too long to print (over 4300 digits)
            shown = f"<{type(self.value).__name__} too long to show>"
        # The field can be an unknown key from a file: quote it if it holds a line break
        # or other control characters, so the message stays one line.
        field = str(self.field)
        field = field if field.isprintable() else repr(field)
        return f"{_cut(field)} = {_cut(shown)} (allowed: {self.allowed})"


class ValidationError(ValueError):
    """Raised when a scenario, parameter set or signal holds values outside what is allowed.

    ``errors`` lists every offending field; ``fields`` their dotted names. It is a
    ``ValueError`` so callers that only know the standard library still catch it.
    """

    def __init__(self, errors: list[FieldError]) -> None:
        if not errors:
            raise ValueError("ValidationError needs at least one FieldError")
        self.errors = list(errors)
        count = len(self.errors)
        head = "1 invalid value" if count == 1 else f"{count} invalid values"
        super().__init__(f"{head}: " + "; ".join(str(e) for e in self.errors))

    @property
    def fields(self) -> list[str]:
        return [e.field for e in self.errors]

    def prefixed(self, prefix: str) -> ValidationError:
        """The same errors with ``prefix.`` in front of every field name."""
        return ValidationError(
            [FieldError(f"{prefix}.{e.field}", e.value, e.allowed) for e in self.errors]
        )

    def in_file(self, source: object) -> ValidationError:
        """The same errors, each naming the file they came from (``run.json: params.alpha
        = 99 ...``), so a message about a file says which file; an error about the file
        itself (field ``file``, whose value is the file) is kept as it is."""
        return ValidationError([e if e.field == "file" else
                                FieldError(f"{source}: {e.field}", e.value, e.allowed)
                                for e in self.errors])
