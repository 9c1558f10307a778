"""Telling a damaged disk memo from a busy or unusable one, and moving it out of the way.

Why: the memo is two SQLite files (diskcache's ``cache.db`` and ``locks/cache.db``). A
crash, a full disk or a stray write can leave either damaged ("file is not a database",
"database disk image is malformed"). Before, that turned the memo off for good: every
process logged "unusable" and computed everything uncached until someone deleted the
folder by hand. The memo only holds results it can compute again, so the fix is cheap:
move the damaged folder aside (kept for a post-mortem; older damaged copies are removed
so repeated damage cannot fill the disk) and start a fresh one.

Only damage triggers this. A locked or busy database (another process writing), a
missing permission or a file where the folder should be are not damage: moving the
folder would not help, so the memo keeps its old behaviour (run uncached, say so once).
"""

from __future__ import annotations

import os
import shutil
import sqlite3
from datetime import UTC, datetime
from pathlib import Path

SQLITE_CORRUPT = 11
SQLITE_NOTADB = 26
DAMAGED_MARK = ".damaged-"


def is_damage(exc: BaseException) -> bool:
    """True when SQLite says the file itself is damaged (not locked, busy or unreadable)."""
    if not isinstance(exc, sqlite3.DatabaseError):
        return False
    code = getattr(exc, "sqlite_errorcode", None)
    if code is not None:
        return code & 0xFF in (SQLITE_CORRUPT, SQLITE_NOTADB)  # (extended codes too)
    text = str(exc).lower()
    return "malformed" in text or "not a database" in text


def identity(directory: Path) -> tuple[int, int] | None:
    """What tells this folder from a fresh one made at the same path later."""
    try:
        stat = directory.stat()
    except OSError:
        return None
    return stat.st_dev, stat.st_ino


def move_aside(directory: Path) -> Path:
    """Rename ``directory`` to a sibling ``<name>.damaged-<UTC time>-<pid>``, remove older
    damaged copies of it, and return the new path. Raises OSError if it cannot."""
    stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%S%fZ")
    target = directory.with_name(f"{directory.name}{DAMAGED_MARK}{stamp}-{os.getpid()}")
    directory.rename(target)
    for older in directory.parent.glob(f"{directory.name}{DAMAGED_MARK}*"):
        if older != target and older.is_dir():
            shutil.rmtree(older, ignore_errors=True)
    return target
