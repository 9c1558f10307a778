"""Snapshot series held in memory for runs: what a ``feed`` signal reads.

Why a process-level table keyed by sha256: a ``Signal`` is pure data (its canonical form
is hashed, cached, stored and put in links), so it names its snapshot by content hash
and cannot hold the rows itself. Whoever opens the database (``FeedStore.pin``, the CLI,
an import) loads the snapshot here first; the signal then reads it, and the same hash
gives the same numbers in every process -- which is what makes a stored run
reproducible after the source has changed. Bounded: the least recently used series are
dropped beyond :data:`MAX_SERIES`, to be loaded again from the database when needed.
"""

from __future__ import annotations

import hashlib
import json
import threading
from collections import OrderedDict
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

import numpy as np

from nexus_panel.feeds.align import align, grid_times
from nexus_panel.models.errors import FieldError, ValidationError

if TYPE_CHECKING:
    from nexus_panel.models.signals import Signal

MAX_SERIES = 64


@dataclass(frozen=True)
class Series:
    """A snapshot's rows: strictly increasing ``times`` and float64 value ``columns``."""

    times: np.ndarray
    columns: dict[str, np.ndarray]
    sha256: str = field(default="")

    @property
    def rows(self) -> int:
        return int(self.times.size)


def series_hash(times: np.ndarray, columns: dict[str, np.ndarray]) -> str:
    """sha256 over the column names and the float64 bytes (little-endian) in order: the
    snapshot's identity, independent of how it was fetched or stored."""
    digest = hashlib.sha256(json.dumps(["time", *columns]).encode())
    for array in (times, *columns.values()):
        digest.update(np.ascontiguousarray(array, dtype="<f8").tobytes())
    return digest.hexdigest()


def make_series(times: np.ndarray, columns: dict[str, np.ndarray]) -> Series:
    times = np.ascontiguousarray(times, dtype=np.float64)
    columns = {k: np.ascontiguousarray(v, dtype=np.float64) for k, v in columns.items()}
    for array in (times, *columns.values()):
        array.flags.writeable = False
    return Series(times, columns, series_hash(times, columns))


_LOADED: OrderedDict[str, Series] = OrderedDict()
_LOCK = threading.Lock()


def register(series: Series) -> None:
    """Hold ``series`` for runs (under its hash)."""
    with _LOCK:
        _LOADED[series.sha256] = series
        _LOADED.move_to_end(series.sha256)
        while len(_LOADED) > MAX_SERIES:
            _LOADED.popitem(last=False)


def loaded(sha256: str) -> Series | None:
    with _LOCK:
        series = _LOADED.get(sha256)
        if series is not None:
            _LOADED.move_to_end(sha256)
        return series


def feed_values(signal: Signal, num_steps: int, delta_t: float,
                domain: tuple[float, float | None] | None) -> tuple[np.ndarray, list[str]]:
    """A feed signal's aligned values over a run, its domain policy applied, and the
    notes the run must carry (values clipped)."""
    what = f"feed {signal.feed!r}"
    if not signal.sha256:
        raise ValidationError([FieldError("sha256", "", f"a pinned snapshot of {what}: "
                                          "run it through the store or `nexus-panel run`, "
                                          "which pin the latest snapshot")])
    series = loaded(signal.sha256)
    if series is None:
        raise ValidationError([FieldError("snapshot", signal.snapshot, f"a loaded snapshot "
                                          f"of {what} (sha256 {signal.sha256[:12]}): open "
                                          "it from the database first (FeedStore.pin)")])
    if signal.column not in series.columns:
        raise ValidationError([FieldError("column", signal.column, "one of "
                                          + ", ".join(series.columns))])
    start = series.times[0] if signal.start_time is None else signal.start_time
    grid = grid_times(float(start), num_steps, delta_t, signal.time_scale)
    values = align(series.times, series.columns[signal.column], grid, method=signal.method,
                   gap_policy=signal.gap_policy, max_gap=signal.max_gap, field="feed")
    return apply_domain(values, domain, signal.out_of_domain, what)


def apply_domain(values: np.ndarray, domain: tuple[float, float | None] | None,
                 policy: str, what: str) -> tuple[np.ndarray, list[str]]:
    """Refuse (naming the first step) or clip values outside ``domain``."""
    if domain is None:
        return values, []
    low, high = domain
    outside = (values < low) if high is None else ((values < low) | (values > high))
    count = int(np.count_nonzero(outside))
    if not count:
        return values, []
    shown = f"[{low:g}, {high:g}]" if high is not None else f"≥ {low:g}"
    if policy != "clip":
        k = int(np.argmax(outside))
        raise ValidationError([FieldError(
            "out_of_domain", f"{values[k]:.17g} at step {k}",
            f"values in the input's domain {shown} ({count} steps of {what} are not); "
            "or out_of_domain clip")])
    clipped = np.clip(values, low, high)
    return clipped, [f"{what} left the domain {shown} in {count} of {values.size} steps; "
                     "those values were clipped to it."]
