"""An analysis result's table as a file: CSV for spreadsheets, Parquet for dataframes.

Why both: CSV opens anywhere but rounds nothing only because pandas writes full
precision; Parquet keeps the dtypes (counts stay integers, regimes stay strings) and is
what a notebook reads back fastest.
"""

from __future__ import annotations

import io
from typing import Any

import pandas as pd

TABLE_FORMATS: tuple[str, ...] = ("csv", "parquet")


def table_bytes(frame: pd.DataFrame, fmt: str) -> bytes:
    """``frame`` (its index as leading columns) as a CSV or Parquet file."""
    if fmt not in TABLE_FORMATS:
        raise ValueError(f"format {fmt!r}: one of {', '.join(TABLE_FORMATS)}")
    flat = frame.reset_index() if any(n is not None for n in frame.index.names) else frame
    if fmt == "csv":
        return flat.to_csv(index=False).encode("utf-8")
    buffer = io.BytesIO()
    flat.to_parquet(buffer, index=False)
    return buffer.getvalue()


def table_filename(result: Any, kind: str, fmt: str) -> str:
    """``<kind>-<scenario name>.<fmt>``, safe as a file name."""
    from nexus_panel.filenames import safe_filename

    return safe_filename(f"{kind}-{result.spec.base_scenario.name}", f".{fmt}")
