"""The one rule for free text people type or files carry: names, authors, messages,
descriptions, search strings, version labels.

Why one rule: SQLite stores NUL but PostgreSQL refuses it (an export from one would not
import into the other); both drivers crash with a raw ``UnicodeEncodeError`` on a lone
surrogate (``"\\ud800"``, which Python strings can hold and JSON can carry); a line break
in a name splits one-line messages and listings; and text without a length limit lets
one request store megabytes. Models and storage check every text field here, so both
databases accept exactly the same text and a refusal is a ``ValidationError`` naming the
field and its limit, never a driver error.

Two kinds of text:

* one-line text (names, authors, search strings, versions): printable characters only
  (``str.isprintable``: no control, format, separator other than the space, private-use,
  unassigned or surrogate characters; so no bidirectional overrides that make a name
  display as something else);
* long text (descriptions, messages): any characters except unpaired surrogates and
  control characters other than the line break (``\\n``) and the tab.

Lengths count characters (code points), as PostgreSQL's ``varchar(n)`` does.
"""

from __future__ import annotations

import unicodedata
from dataclasses import dataclass
from typing import Any

from nexus_panel.models.errors import FieldError, ValidationError

LONG_TEXT_CONTROLS = frozenset("\n\t")
"""The only control characters long text may hold."""


@dataclass(frozen=True)
class TextRule:
    """What one kind of text field accepts."""

    max_length: int
    multiline: bool = False
    """Long text: line breaks and tabs allowed."""
    required: bool = False
    """At least one character that is not white space."""

    @property
    def allowed(self) -> str:
        """What the rule accepts, for error messages."""
        size = f"{1 if self.required else 0} to {self.max_length:,} characters"
        if not self.multiline:
            size += " on one line"
        if self.required:
            size += ", not blank"
        if self.multiline:
            return (f"{size}; no control characters except line breaks and tabs, "
                    "no unpaired surrogates")
        return f"{size}; no control, format or unpaired surrogate characters"

    def accepts(self, value: Any) -> bool:
        if not isinstance(value, str) or len(value) > self.max_length:
            return False
        if self.required and not value.strip():
            return False
        if not self.multiline:
            return value.isprintable()
        return value.isprintable() or all(_long_text_char(c) for c in value)

    def errors(self, value: Any, field: str) -> list[FieldError]:
        return [] if self.accepts(value) else [FieldError(field, value, self.allowed)]

    def check(self, value: Any, field: str) -> str:
        """``value`` if acceptable, else a ValidationError naming ``field``."""
        errors = self.errors(value, field)
        if errors:
            raise ValidationError(errors)
        return value


def _long_text_char(char: str) -> bool:
    category = unicodedata.category(char)
    if category == "Cs":  # an unpaired surrogate: no UTF-8 form, no database stores it
        return False
    return category != "Cc" or char in LONG_TEXT_CONTROLS


NAME_LENGTH = 200
"""Longest scenario name, author or owner (also the database columns' width)."""

NAME = TextRule(NAME_LENGTH)
"""A scenario's name (storage also requires it non-blank, see ``storage.rows``)."""
AUTHOR = TextRule(NAME_LENGTH, required=True)
"""Who made a change: authors, audit actors, a store's user."""
DESCRIPTION = TextRule(20_000, multiline=True)
"""A scenario's description (notes)."""
MESSAGE = TextRule(2_000, multiline=True)
"""A revision's or saved analysis's message."""
SEARCH = TextRule(NAME_LENGTH)
"""Text searched for in names and descriptions."""
VERSION = TextRule(40, required=True)
"""A version label in a run's provenance (engine, numpy, numba, package)."""
AUDIT_OBJECT = TextRule(NAME_LENGTH + 40)
"""An audit event's object reference, e.g. ``scenario:3``."""
