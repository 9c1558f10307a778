"""Hostile text for property tests of every text field (models, storage, file names):
lone surrogates, NUL and other controls, bidirectional and zero-width characters,
separators, very long strings, and harmless accents, emoji and right-to-left scripts.
Also the text rule (nexus_panel/models/text.py) restated plainly, as the tests' oracle."""

from __future__ import annotations

import unicodedata

from hypothesis import strategies as st

HOSTILE = [
    "\ud800", "a\udfffb", "\x00", "a\x00b", "\x1b[31mred", "\r", "line\nbreak", "tab\there",
    "\u202eevil.exe", "\u200fRTL mark", "zero\u200bwidth", "\x85", "\u2028", "\ufeff",
    "caf\u00e9", "\U0001f600 emoji", "\u05e9\u05dc\u05d5\u05dd", " ", "",
]
"""Surrogates, NUL, escapes, line ends, bidirectional controls, zero-width and format
characters, C1 controls, separators, plus harmless accents, emoji and Hebrew."""


def hostile_text(max_repeat: int = 25_000) -> st.SearchStrategy[str]:
    any_char = st.characters(exclude_categories=())  # surrogates (Cs) included
    return st.one_of(
        st.text(any_char, max_size=30),
        st.sampled_from(HOSTILE),
        st.lists(st.sampled_from(HOSTILE), max_size=6).map("".join),
        st.builds(lambda c, n: c * n, st.sampled_from(["a", "é", "\n", "../"]),
                  st.integers(150, max_repeat)),
    )


def plainly_one_line(value: str, limit: int) -> bool:
    """The one-line rule restated: Unicode categories instead of str.isprintable."""
    return len(value) <= limit and all(
        c == " " or unicodedata.category(c)[0] not in "CZ" for c in value)


def plainly_long_text(value: str, limit: int) -> bool:
    return len(value) <= limit and all(
        unicodedata.category(c) != "Cs" and (unicodedata.category(c) != "Cc" or c in "\n\t")
        for c in value)
