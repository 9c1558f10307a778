"""Percentile bands of N(t) over an ensemble too big to hold, with a stated error bound.

100,000 runs x 5,001 time points is 4 GB of float64; the bands are computed instead from
one fixed-bin histogram per time point, filled chunk by chunk (memory: (n+1) x (BINS+2)
int32 counters for the total and one set per chunk in flight, independent of the number
of runs).

How, exactly:

1. A pilot of the first ``PILOT`` runs (always the same runs, whatever the chunking; runs
   are independent and identically distributed, so it is a random sample) fixes, per
   time point t, a range [lo_t, hi_t] = pilot [min, max] widened by 25 % of its span on
   each side, split into ``BINS`` equal bins; values outside land in an underflow or an
   overflow bin. The exact min and max of all runs are tracked too.
2. Every chunk adds integer counts. Counts are summed exactly, so the bands do not depend
   on chunk size, thread count or cluster size (bit-identical).
3. Percentile q is defined as the order statistic x_(k), k = ceil(q n) (numpy's
   ``method="inverted_cdf"``). The bin holding the k-th value is found from the cumulative
   counts and the estimate interpolates linearly by rank inside that bin, clipped to the
   exact [min, max]. The true x_(k) lies in the same bin, so

       |estimate - x_(k)| <= width of that bin,

   which is (hi_t - lo_t) / BINS for an inner bin, or lo_t - min_t / max_t - hi_t for the
   under/overflow bin. That bound is returned beside every band value; a zero-spread
   time point (min = max) is exact.
"""

from __future__ import annotations

from dataclasses import dataclass

import numba
import numpy as np

BINS = 1024
PILOT = 256
PERCENTILES: tuple[int, ...] = (5, 25, 50, 75, 95)
PAD = 0.25


@dataclass
class BandGrid:
    """Per-time-point histogram ranges, fixed from the pilot runs."""

    lo: np.ndarray  # (points,)
    width: np.ndarray  # (points,) bin width, > 0

    @classmethod
    def from_pilot(cls, traj: np.ndarray) -> BandGrid:
        pmin = traj.min(axis=0)
        pmax = traj.max(axis=0)
        span = pmax - pmin
        pad = PAD * span + 1e-9 * np.maximum(1.0, np.abs(pmin))
        lo = pmin - pad
        width = (span + 2 * pad) / BINS
        return cls(lo=lo, width=width)

    def empty_counts(self) -> BandCounts:
        """Zero counts (int32: exact up to 2**31 - 1 runs, far above MAX_RUNS)."""
        points = len(self.lo)
        return BandCounts(counts=np.zeros((points, BINS + 2), dtype=np.int32),
                          vmin=np.full(points, np.inf), vmax=np.full(points, -np.inf))

    def add(self, traj: np.ndarray) -> BandCounts:
        """The counts of one chunk of trajectories (runs, points)."""
        out = self.empty_counts()
        scale = np.vstack([self.lo, 1.0 / self.width])
        extremes = np.vstack([out.vmin, out.vmax])
        _histogram(np.ascontiguousarray(traj), scale, out.counts, extremes)
        out.vmin[:], out.vmax[:] = extremes
        return out


@dataclass
class BandCounts:
    """Additive per-time-point histogram counts with the exact min/max."""

    counts: np.ndarray  # (points, BINS + 2) int32
    vmin: np.ndarray
    vmax: np.ndarray

    def merge(self, other: BandCounts) -> None:
        self.counts += other.counts
        np.minimum(self.vmin, other.vmin, out=self.vmin)
        np.maximum(self.vmax, other.vmax, out=self.vmax)

    def percentiles(self, grid: BandGrid,
                    qs: tuple[int, ...] = PERCENTILES) -> tuple[np.ndarray, np.ndarray]:
        """(len(qs), points) estimates and their error bounds (see the module doc)."""
        cum = np.cumsum(self.counts, axis=1)
        n = cum[:, -1]
        points = len(n)
        rows = np.arange(points)
        values = np.empty((len(qs), points))
        bounds = np.empty((len(qs), points))
        for i, q in enumerate(qs):
            k = np.maximum(1, np.ceil(q / 100.0 * n - 1e-9)).astype(np.int64)
            b = (cum < k[:, None]).sum(axis=1)
            before = np.where(b > 0, cum[rows, np.maximum(b - 1, 0)], 0)
            count = self.counts[rows, b]
            left = np.where(b == 0, self.vmin, grid.lo + (b - 1) * grid.width)
            right = np.where(b == BINS + 1, self.vmax, grid.lo + b * grid.width)
            left = np.clip(left, self.vmin, self.vmax)
            right = np.clip(right, self.vmin, self.vmax)
            frac = (k - before - 0.5) / np.maximum(count, 1)
            values[i] = np.clip(left + frac * (right - left), self.vmin, self.vmax)
            bounds[i] = right - left
        return values, bounds


@numba.njit(cache=True, nogil=True)
def _histogram(traj, scale, counts, extremes):  # pragma: no cover - compiled
    """Add every value of ``traj`` (runs, points) to ``counts`` (points, bins + 2), with
    ``scale`` = [lo, 1/width] per point and ``extremes`` = [min, max] per point."""
    runs, points = traj.shape
    bins = counts.shape[1] - 2
    # time-major: one counts row stays in cache while the runs' cache lines are reused
    # for the next few time points.
    for t in range(points):
        for r in range(runs):
            v = traj[r, t]
            x = (v - scale[0, t]) * scale[1, t]
            if x < 0.0:
                b = 0
            elif x >= bins:
                b = bins + 1
            else:
                b = int(x) + 1
            counts[t, b] += 1
            extremes[0, t] = min(extremes[0, t], v)
            extremes[1, t] = max(extremes[1, t], v)
