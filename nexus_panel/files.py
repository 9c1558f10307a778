"""Writing a file so that it appears complete or not at all.

A full disk, a writer that raises halfway or a killed process must never leave a truncated
export where the user expects a result, nor destroy the previous file of that name. So the
content goes to a temporary file in the target's directory (same filesystem: the rename is
atomic), which is then renamed over the target. Used by ``nexus-panel run --out`` and by
the store's exports.
"""

from __future__ import annotations

import os
import secrets
from collections.abc import Callable
from pathlib import Path


def write_atomically(target: str | Path, write: Callable[[Path], object]) -> Path:
    """Call ``write(tmp)`` on a fresh temporary path beside ``target``, then rename it to
    ``target``. Failures (``OSError``: missing directory, target is a directory, disk
    full) propagate with nothing left behind and any old ``target`` untouched."""
    target = Path(target)
    while True:
        tmp = target.parent / f".{target.name}.{secrets.token_hex(6)}.tmp"
        try:
            # Created with mode 0o666 so the umask gives it a normal file's permissions
            # (mkstemp makes it private, and changing the umask to read it is not
            # thread-safe in a server process).
            fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o666)
        except FileExistsError:  # pragma: no cover - 48 random bits collided
            continue
        os.close(fd)
        break
    try:
        write(tmp)
        os.replace(tmp, target)
    finally:
        tmp.unlink(missing_ok=True)
    return target
