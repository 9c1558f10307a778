"""Names and comment text made from a scenario's name, which is hostile text.

A scenario name comes from a file, a form or the database: it may hold line breaks, ``*/``,
Unicode direction overrides (which rustc refuses even in comments), quotes, megabytes.
Generated code therefore never contains it raw:

* identifiers (contract, crate) keep only ASCII letters and digits of its words, behind a
  fixed prefix, so they are never empty, never start with a digit and never collide
  with a keyword;
* comments hold it as a JSON string literal with every non-ASCII or control character
  escaped and every ``/`` written ``\\/``, cut to :data:`SHOWN_NAME` characters, so no
  comment can be closed or a line started from inside it.
"""

from __future__ import annotations

import json
import re
import unicodedata

SHOWN_NAME = 120
"""At most this many characters of the name appear in a header."""
MAX_IDENTIFIER = 48


def _words(name: str) -> list[str]:
    folded = unicodedata.normalize("NFKD", name).encode("ascii", "ignore").decode("ascii")
    return re.findall(r"[A-Za-z0-9]+", folded)


def contract_name(name: str) -> str:
    """A Solidity contract name: ``Nexus`` + the name's words in CamelCase."""
    body = "".join(w[:1].upper() + w[1:] for w in _words(name)) or "Scenario"
    return ("Nexus" + body)[:MAX_IDENTIFIER]


def crate_name(name: str) -> str:
    """A Rust crate (and binary) name: ``nexus_`` + the name's words in snake_case."""
    body = "_".join(w.lower() for w in _words(name)) or "scenario"
    return ("nexus_" + body)[:MAX_IDENTIFIER].rstrip("_")


def comment_text(text: str) -> str:
    """``text`` as an ASCII JSON string that is safe inside any ``//`` or ``#`` comment."""
    shown = text if len(text) <= SHOWN_NAME else text[:SHOWN_NAME] + "..."
    literal = json.dumps(shown, ensure_ascii=True).replace("/", "\\/")
    return literal.replace("\x7f", "\\u007f")
