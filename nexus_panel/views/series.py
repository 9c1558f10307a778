"""Turning long series into few points for the browser, without hiding spikes.

Why not HoloViews' ``downsample1d``: as an operation on every DynamicMap it doubled the
server time of one update, eating the budget from slider to plot (docs/benchmarks.md).
Runs of up to ``MAX_POINTS`` time points (the common case: the slider tops out at 5,000
steps) are sent whole; longer runs are reduced to the minimum and maximum of each of
``MAX_POINTS // 2`` buckets, so peaks and troughs stay visible at any zoom of the full
range.
"""

from __future__ import annotations

import numpy as np

MAX_POINTS = 10_000


def reduce_columns(columns: dict[str, np.ndarray], keys: list[str],
                   max_points: int = MAX_POINTS) -> dict[str, np.ndarray]:
    """``columns`` restricted to ``keys`` and to at most about ``max_points`` rows, keeping
    each bucket's extremes of every column (so the union of rows is what is sent)."""
    n = len(next(iter(columns.values())))
    if n <= max_points:
        return {k: columns[k] for k in keys}
    buckets = max_points // 2
    edges = np.linspace(0, n, buckets + 1).astype(np.int64)
    keep = [np.array([0, n - 1])]
    for key in keys:
        if key == "t":
            continue
        values = np.nan_to_num(columns[key], nan=0.0)
        keep.append(edges[:-1] + _arg_per_bucket(values, edges, np.minimum))
        keep.append(edges[:-1] + _arg_per_bucket(values, edges, np.maximum))
    rows = np.unique(np.concatenate(keep))
    return {k: columns[k][rows] for k in keys}


def _arg_per_bucket(values: np.ndarray, edges: np.ndarray, ufunc: np.ufunc) -> np.ndarray:
    """Offset, within each bucket, of its min (``np.minimum``) or max (``np.maximum``)."""
    extreme = ufunc.reduceat(values, edges[:-1])
    bucket_of = np.repeat(np.arange(len(edges) - 1), np.diff(edges))
    hit = values == extreme[bucket_of]
    first = np.full(len(edges) - 1, -1, dtype=np.int64)
    positions = np.flatnonzero(hit)
    # the first hit in each bucket (reverse assignment leaves the earliest index)
    first[bucket_of[positions[::-1]]] = positions[::-1]
    return first - edges[:-1]
