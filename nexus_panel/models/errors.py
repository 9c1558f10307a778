"""The one error type for bad scenario input.

Every entry point (Python API, CLI, web forms, share links, imported files) reports bad
values through :class:`ValidationError`, so a user always sees *every* bad field at once,
with its value and what is allowed, instead of fixing them one round-trip at a time.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class FieldError:
    """One rejected value: dotted field path, the value given, and what is allowed."""

    field: str
    value: Any
    allowed: str

    def __str__(self) -> str:
        return f"{self.field} = {self.value!r} (allowed: {self.allowed})"


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
