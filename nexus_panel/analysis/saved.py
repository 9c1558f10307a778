"""The saved form of an analysis result: a JSON dict plus named numpy arrays, and back.

Why two parts: a result's tables and bands (a few kB to a few hundred kB) read well as
JSON, which the CLI prints and the database keeps as a JSON column; its per-run data
(a Monte Carlo's metric rows and kept trajectories, a stability map's metric grids,
the controller's full runs) can be tens of MB and must come back bit for bit, so it
travels as arrays (the storage layer packs them into one compressed .npz blob, see
docs/storage.md). Each result class has ``to_dict()`` + ``arrays()`` and a
``from_dict(data, spec, arrays)`` that rebuilds an equal result without rerunning.

Tables go to JSON row by row (``{index: {column: value}}``) with NaN written as null,
because JSON has no NaN and PostgreSQL's json type refuses it.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import numpy as np
import pandas as pd


def json_value(value: Any) -> Any:
    """A JSON-safe scalar: None for NaN/inf/None, Python numbers and strings otherwise."""
    if value is None:
        return None
    if isinstance(value, str | bool | np.bool_):
        return value if isinstance(value, str) else bool(value)
    number = float(value)
    if not np.isfinite(number):
        return None
    return int(value) if isinstance(value, int | np.integer) else number


def frame_rows(frame: pd.DataFrame) -> dict[str, dict[str, Any]]:
    """``{index label: {column: value}}`` with NaN as None (row and column order kept)."""
    return {str(k): {str(c): json_value(v) for c, v in row.items()}
            for k, row in frame.iterrows()}


def frame_from_rows(rows: Mapping[str, Mapping[str, Any]], index_name: str,
                    columns: list[str] | None = None, *, numeric: bool = True) -> pd.DataFrame:
    """Inverse of :func:`frame_rows`; ``columns`` fixes the order (and keeps it when every
    row is empty); ``numeric`` turns None back into NaN in float columns."""
    index = pd.Index(list(rows), name=index_name)
    if columns is None:
        columns = list(next(iter(rows.values()), {}))
    data = {c: [row.get(c) for row in rows.values()] for c in columns}
    frame = pd.DataFrame(data, index=index, columns=columns)
    if numeric:
        for c in columns:
            if all(v is None or isinstance(v, int | float) for v in data[c]):
                frame[c] = frame[c].astype(float)
    return frame


def frame_arrays(frame: pd.DataFrame, prefix: str) -> dict[str, np.ndarray]:
    """A frame's columns as arrays ``<prefix>.<column>``, plus ``<prefix>`` = the column
    names (strings become fixed-width unicode arrays: no pickling needed to read them)."""
    out: dict[str, np.ndarray] = {prefix: np.array([str(c) for c in frame.columns], dtype=str)}
    for c in frame.columns:
        values = frame[c].to_numpy()
        out[f"{prefix}.{c}"] = values.astype(str) if values.dtype == object or \
            not np.issubdtype(values.dtype, np.number) else values
    return out


def frame_from_arrays(arrays: Mapping[str, np.ndarray], prefix: str) -> pd.DataFrame:
    """Inverse of :func:`frame_arrays` (a default RangeIndex, as the runs tables have)."""
    columns = [str(c) for c in arrays[prefix]]
    return pd.DataFrame({c: arrays[f"{prefix}.{c}"] for c in columns}, columns=columns)
