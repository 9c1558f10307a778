"""The disk memo: ``cached_simulate(scenario)`` computes each distinct scenario once per machine.

Why not ``pn.cache``: it hashes Parameterized objects by ``id()`` (wrong hits), lets two
processes compute the same key, and fixes its path at import. Here the key is explicit,
``f"{ENGINE_VERSION}:{scenario.content_hash()}"`` (name and description excluded, so a
renamed scenario shares its runs; a new engine version never sees old numbers), and the
value is ``SimulationResult.to_bytes()``, the same bytes stored runs use.

Concurrency: a miss takes a cross-process ``diskcache.Lock`` for that key, then looks
again (double-checked), so when N server processes ask for the same new scenario at
once, one computes and the others read its result. Locks live in their own small cache
that never evicts (diskcache's Lock assumes its key survives), and expire after
``LOCK_EXPIRE`` seconds so a killed process cannot block a key for ever.

Robustness: an entry that does not decode, or whose header names another scenario or
engine version, is deleted, logged and recomputed, never returned. A damaged memo
(``cache.db`` or the locks' database corrupted or truncated) is moved aside and a fresh
one started, with one warning (``memo_repair``). If the cache directory itself is
unusable the run is computed uncached (and that is logged once): the memo can make a
run faster, never make it fail.

Location and size: ``NEXUS_CACHE_DIR`` (else the user's cache directory from
platformdirs) + ``/memo``; at most ``NEXUS_CACHE_SIZE_MB`` megabytes (default 1024),
least recently used entries evicted first.
"""

from __future__ import annotations

import contextlib
import logging
import os
import threading
from pathlib import Path
from typing import Any

import diskcache

from nexus_panel.engine import memo_repair
from nexus_panel.engine.result import CorruptResultError, SimulationResult
from nexus_panel.engine.simulate import ENGINE_VERSION, simulate
from nexus_panel.models import Scenario
from nexus_panel.settings import current

log = logging.getLogger(__name__)

LOCK_EXPIRE = 60.0
"""Seconds after which a lock left by a dead process lapses (the longest run allowed,
1,000,000 steps, computes and stores in a few seconds)."""

Caches = tuple[diskcache.Cache, diskcache.Cache]
_CACHES: dict[tuple[int, str], Caches] = {}
_OPENED: dict[tuple[int, str], tuple[int, int] | None] = {}
"""Identity of each memo folder as opened (a damaged one is moved aside only once)."""
_BROKEN: set[tuple[int, str]] = set()
_OPEN_LOCK = threading.Lock()
_STATS = {"hits": 0, "misses": 0, "computed": 0, "corrupt": 0, "uncached": 0,
          "damaged": 0}


class _Damaged(Exception):
    """The memo's database files are damaged (raised inside, handled by cached_simulate)."""

    def __init__(self, caches: Caches, error: BaseException) -> None:
        super().__init__(str(error))
        self.caches = caches


def memo_dir() -> Path:
    """Where the memo lives: ``$NEXUS_CACHE_DIR/memo`` or the user cache dir's ``memo``."""
    root = current().cache_dir
    if not root:
        import platformdirs

        root = platformdirs.user_cache_dir("nexus_panel")
    return Path(root) / "memo"


def size_limit_bytes() -> int:
    """The ``cache_size_mb`` setting (``NEXUS_CACHE_SIZE_MB``, default 1 GiB) in bytes; a
    bad value falls back to the default, logged (nexus_panel.settings)."""
    return int(current().cache_size_mb * 2**20)


def _open(directory: Path) -> Caches | None:
    """The (results, locks) caches for this process and directory, opened once; a damaged
    memo found while opening is moved aside and a fresh one opened."""
    key = (os.getpid(), str(directory))
    with _OPEN_LOCK:
        if key in _CACHES:
            return _CACHES[key]
        if key in _BROKEN:
            return None
        try:
            caches = _open_caches(directory)
        except Exception as exc:
            if not (memo_repair.is_damage(exc) and _move_aside(directory, exc)):
                _give_up(key, directory, exc)
                return None
            try:
                caches = _open_caches(directory)
            except Exception as again:
                _give_up(key, directory, again)
                return None
        _CACHES[key] = caches
        _OPENED[key] = memo_repair.identity(directory)
        return caches


def _open_caches(directory: Path) -> Caches:
    results = diskcache.Cache(str(directory), size_limit=size_limit_bytes(),
                              eviction_policy="least-recently-used")
    try:
        locks = diskcache.Cache(str(directory / "locks"), eviction_policy="none")
    except Exception:
        results.close()
        raise
    return results, locks


def _give_up(key: tuple[int, str], directory: Path, exc: BaseException) -> None:
    """Unusable directory: run uncached, say so once."""
    log.warning("disk memo at %s is unusable (%s); running without it", directory, exc)
    _BROKEN.add(key)


def _move_aside(directory: Path, exc: BaseException) -> bool:
    """Move a damaged memo aside (logging the one warning); False if it cannot be moved."""
    try:
        moved = memo_repair.move_aside(directory)
    except OSError as failure:
        log.warning("disk memo at %s is damaged (%s) and cannot be moved aside (%s)",
                    directory, exc, failure.strerror or failure)
        return False
    _STATS["damaged"] += 1
    log.warning("disk memo at %s was damaged (%s): moved it to %s and started a fresh one",
                directory, exc, moved)
    return True


def _repair(directory: Path, damaged: Caches, exc: BaseException) -> None:
    """Damage met while using the memo: close it, move it aside unless another thread or
    process already did (the folder at the path is no longer the one opened), so the
    next use opens a fresh one."""
    key = (os.getpid(), str(directory))
    with _OPEN_LOCK:
        if _CACHES.get(key) is not damaged:
            return  # another thread has already replaced it
        del _CACHES[key]
        for cache in damaged:
            with contextlib.suppress(Exception):
                cache.close()
        opened = _OPENED.pop(key, None)
        if opened is not None and memo_repair.identity(directory) == opened \
                and not _move_aside(directory, exc):
            _BROKEN.add(key)


def _reraise_damage(caches: Caches, exc: Exception) -> None:
    if memo_repair.is_damage(exc):
        raise _Damaged(caches, exc) from exc


def memo_key(scenario: Scenario) -> str:
    return f"{ENGINE_VERSION}:{scenario.content_hash()}"


def _lookup(caches: Caches, key: str, scenario: Scenario) -> SimulationResult | None:
    """The stored result for ``key``, or None. Bad entries are deleted and logged."""
    results = caches[0]
    try:
        blob = results.get(key)
    except Exception as exc:
        _reraise_damage(caches, exc)
        log.warning("disk memo read of %s failed (%s); recomputing", key, exc)
        return None
    if blob is None:
        return None
    try:
        if not isinstance(blob, bytes):
            raise CorruptResultError(f"stored value is a {type(blob).__name__}, not bytes")
        result = SimulationResult.from_bytes(blob, scenario=scenario)
        if result.engine_version != ENGINE_VERSION:
            raise CorruptResultError(f"engine version {result.engine_version!r} "
                                     f"!= {ENGINE_VERSION!r}")
    except CorruptResultError as exc:
        _STATS["corrupt"] += 1
        log.warning("disk memo entry %s is corrupt (%s); deleting and recomputing", key, exc)
        with contextlib.suppress(Exception):  # the set after recomputing overwrites it
            results.delete(key, retry=True)
        return None
    return result


def cached_simulate(scenario: Scenario, *, directory: str | os.PathLike[str] | None = None
                    ) -> SimulationResult:
    """``simulate(scenario)``, computed at most once per distinct scenario on this machine.

    The result carries the caller's scenario (its name and description too). Bad values
    raise :class:`nexus_panel.ValidationError` before the cache is touched.
    ``directory`` overrides the memo location (benchmarks, tests).
    """
    scenario.validate()
    where = Path(directory) if directory is not None else memo_dir()
    for attempt in range(2):  # a damaged memo is replaced once, then used
        caches = _open(where)
        if caches is None:
            break
        try:
            return _through(caches, scenario)
        except _Damaged as damage:
            if attempt == 0:
                _repair(where, damage.caches, damage.__cause__ or damage)
    _STATS["uncached"] += 1
    return simulate(scenario)


def _through(caches: Caches, scenario: Scenario) -> SimulationResult:
    """Look up, else compute under the key's cross-process lock and store."""
    results, locks = caches
    key = memo_key(scenario)
    found = _lookup(caches, key, scenario)
    if found is not None:
        _STATS["hits"] += 1
        return found
    _STATS["misses"] += 1
    lock = diskcache.Lock(locks, f"lock:{key}", expire=LOCK_EXPIRE)
    try:
        lock.acquire()
    except Exception as exc:  # e.g. a full disk: compute without the guarantee
        _reraise_damage(caches, exc)
        log.warning("disk memo lock for %s failed (%s); computing uncached", key, exc)
        _STATS["uncached"] += 1
        return simulate(scenario)
    try:
        found = _lookup(caches, key, scenario)  # another process may have just finished
        if found is not None:
            _STATS["hits"] += 1
            return found
        result = simulate(scenario)
        _STATS["computed"] += 1
        try:
            results.set(key, result.to_bytes(), retry=True)
        except Exception as exc:
            _reraise_damage(caches, exc)
            log.warning("disk memo write of %s failed (%s); result not cached", key, exc)
        return result
    finally:
        with contextlib.suppress(Exception):  # else it lapses after LOCK_EXPIRE
            lock.release()


def memo_stats(directory: str | os.PathLike[str] | None = None) -> dict[str, Any]:
    """This process's hit/miss counters plus the memo's location, entry count and size."""
    where = Path(directory) if directory is not None else memo_dir()
    stats: dict[str, Any] = dict(_STATS, directory=str(where), size_limit=size_limit_bytes())
    caches = _open(where)
    if caches is not None:
        stats["size_limit"] = int(caches[0].size_limit)  # fixed when this process opened it
        stats["entries"] = len(caches[0])
        stats["volume"] = caches[0].volume()
    return stats


def clear_memo(directory: str | os.PathLike[str] | None = None) -> int:
    """Remove every stored result; returns how many were removed."""
    caches = _open(Path(directory) if directory is not None else memo_dir())
    return 0 if caches is None else int(caches[0].clear(retry=True))
