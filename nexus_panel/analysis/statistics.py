"""Summary statistics of per-run metrics, with each interval called what it is.

Two different intervals are easy to confuse and the table keeps them apart:

- the *confidence interval of the mean* (``mean_ci_low`` .. ``mean_ci_high``): where the
  ensemble's expected value lies given this many runs, Student-t, 95 %. It shrinks like
  1/sqrt(runs).
- the *percentile range of runs* (``p05`` .. ``p95``): where 90 % of the individual runs
  fall. It does not shrink with more runs.

Percentiles here are exact (numpy, linear interpolation) because every run's summary row
is kept (a few dozen bytes per run).
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from scipy import stats

CONFIDENCE = 0.95

COLUMN_LABELS: dict[str, str] = {
    "runs": "Runs (finite values)",
    "mean": "Mean",
    "mean_ci_low": "Mean: 95 % confidence interval, low",
    "mean_ci_high": "Mean: 95 % confidence interval, high",
    "std": "Standard deviation of runs",
    "p05": "5th percentile of runs",
    "p50": "Median of runs",
    "p95": "95th percentile of runs",
    "min": "Minimum",
    "max": "Maximum",
}


def summary_statistics(frame: pd.DataFrame, columns: list[str]) -> pd.DataFrame:
    """One row per metric; NaN values (e.g. never settled) are left out and counted."""
    rows = []
    for name in columns:
        values = frame[name].to_numpy(dtype=float)
        values = values[np.isfinite(values)]
        n = len(values)
        row: dict[str, float] = {"runs": float(n)}
        if n == 0:
            rows.append({**row, **{k: np.nan for k in COLUMN_LABELS if k != "runs"}})
            continue
        mean = float(values.mean())
        std = float(values.std(ddof=1)) if n > 1 else 0.0
        half = (float(stats.t.ppf(0.5 + CONFIDENCE / 2, n - 1)) * std / np.sqrt(n)
                if n > 1 else np.nan)
        p05, p50, p95 = np.percentile(values, [5, 50, 95])
        row.update(mean=mean, mean_ci_low=mean - half, mean_ci_high=mean + half, std=std,
                   p05=float(p05), p50=float(p50), p95=float(p95),
                   min=float(values.min()), max=float(values.max()))
        rows.append(row)
    return pd.DataFrame(rows, index=pd.Index(columns, name="metric"),
                        columns=list(COLUMN_LABELS))
