"""One safe file name from user text: the default names of exports and downloads.

Why: a scenario name is whatever someone typed. Used as a file name, ``../../../x``
wrote outside the working directory and ``/x`` anywhere (``nexus-panel export``); a
leading dash reads as an option to the next command run on the file, a leading dot hides
it, control characters garble terminals and HTTP headers, and a 200-character name plus
a suffix can exceed a file system's limit. Every file name derived from user text goes
through :func:`safe_filename`, so a new export cannot forget one of these rules.

The result is one plain ASCII file name: letters, digits, ``.``, ``_`` and ``-`` only
(accents are dropped from letters, anything else becomes ``_``); no ``..``; not
starting with ``.``, ``-`` or ``_``; at most ``MAX_STEM`` characters before the suffix;
never empty (``fallback`` instead); never a name Windows reserves for a device (``CON``,
``NUL`` ...). ASCII because it is also the ``filename`` of an HTTP Content-Disposition
header, which is Latin-1 at best.
"""

from __future__ import annotations

import re
import unicodedata

MAX_STEM = 100
"""Longest stem kept (file systems allow 255 bytes; the suffix and temp names need room)."""
_UNSAFE = re.compile(r"[^A-Za-z0-9._-]+")
_DOTS = re.compile(r"\.{2,}")
_SUFFIX = re.compile(r"[A-Za-z0-9_.-]*")
WINDOWS_DEVICES = frozenset(
    ["CON", "PRN", "AUX", "NUL", *(f"COM{i}" for i in range(1, 10)),
     *(f"LPT{i}" for i in range(1, 10))])


def safe_filename(text: str, suffix: str = "", fallback: str = "scenario") -> str:
    """``text`` made into a safe file name stem, followed by ``suffix``.

    ``suffix`` is the caller's own text (e.g. ``"-r3.json"``) and must already be safe:
    letters, digits, ``.``, ``_``, ``-``, no ``..`` (a ValueError otherwise, as that is
    a programming error, not bad input)."""
    if not _SUFFIX.fullmatch(suffix) or ".." in suffix:
        raise ValueError(f"unsafe file name suffix {suffix!r}")
    plain = unicodedata.normalize("NFKD", str(text)).encode("ascii", "ignore").decode()
    stem = _DOTS.sub(".", _UNSAFE.sub("_", plain)).lstrip("._-")
    stem = stem[:MAX_STEM].rstrip("._-")  # (a trailing dot vanishes on Windows)
    if not stem:
        stem = fallback
    if stem.split(".")[0].upper() in WINDOWS_DEVICES:
        stem = f"{stem}_file"
    return stem + suffix
