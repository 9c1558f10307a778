"""Reading a payload (CSV, JSON, Parquet bytes, or a SQL result frame) into a feed's
series: the time column as float64 (date-times as epoch seconds, UTC), the value columns
transformed (scale, offset, clip), rows sorted by time.

Every problem is a ValidationError naming the field (``time_column``, ``value_columns``,
``format``) and the first bad row, never a pandas traceback: the payload is untrusted.
"""

from __future__ import annotations

import io
from typing import Any

import numpy as np
import pandas as pd

from nexus_panel.feeds.definition import FeedDefinition
from nexus_panel.feeds.series import Series, make_series
from nexus_panel.models.errors import FieldError, ValidationError
from nexus_panel.models.scenario import parse_json


def read_payload(definition: FeedDefinition, payload: bytes) -> pd.DataFrame:
    """The payload's table, as its format says."""
    fmt = definition.format
    try:
        if fmt == "csv":
            return pd.read_csv(io.BytesIO(payload), nrows=definition.max_rows + 1)
        if fmt == "parquet":
            return pd.read_parquet(io.BytesIO(payload))
    except (ValueError, OSError, pd.errors.ParserError, UnicodeDecodeError) as exc:
        raise ValidationError([FieldError("format", fmt, f"a readable {fmt} payload "
                                          f"({str(exc).splitlines()[0][:200]})")]) from None
    records = _records(parse_json(payload, "the feed's payload"), definition.records_key)
    if not all(isinstance(r, dict) for r in records[:definition.max_rows + 1]):
        raise ValidationError([FieldError("records_key", definition.records_key,
                                          "a path to a list of objects (one per row)")])
    return pd.DataFrame.from_records(records[:definition.max_rows + 1])


def _records(document: Any, key: str) -> list[Any]:
    node = document
    for part in [p for p in key.split(".") if p]:
        if not isinstance(node, dict) or part not in node:
            raise ValidationError([FieldError("records_key", key, "a dotted path of keys "
                                              "present in the JSON document")])
        node = node[part]
    if not isinstance(node, list):
        raise ValidationError([FieldError("records_key", key, "a path to a JSON list of "
                                          "row objects")])
    return node


def to_series(definition: FeedDefinition, frame: pd.DataFrame) -> Series:
    """The series of ``frame``: checked, transformed and sorted by time."""
    if len(frame) > definition.max_rows:
        raise ValidationError([FieldError("max_rows", definition.max_rows,
                                          f"at least the payload's rows (more than "
                                          f"{definition.max_rows:,})")])
    if len(frame) == 0:
        raise ValidationError([FieldError("rows", 0, "at least one row")])
    missing = [c for c in (definition.time_column, *definition.value_columns)
               if c not in frame.columns]
    if missing:
        shown = ", ".join(map(str, list(frame.columns)[:20]))
        field = "time_column" if definition.time_column in missing else "value_columns"
        raise ValidationError([FieldError(field, missing, f"columns of the payload ({shown})")])
    times = _times(frame[definition.time_column])
    order = np.argsort(times, kind="stable")
    times = times[order]
    repeated = np.flatnonzero(np.diff(times) == 0)
    if repeated.size:
        raise ValidationError([FieldError("time_column", float(times[repeated[0]]),
                                          "distinct times (this one occurs twice)")])
    columns = {}
    for name in definition.value_columns:
        values = _numbers(frame[name], "value_columns", name)[order]
        values = values * definition.scale + definition.offset
        if definition.clip_low is not None or definition.clip_high is not None:
            values = np.clip(values, definition.clip_low, definition.clip_high)
        columns[name] = values
    return make_series(times, columns)


def _times(column: pd.Series) -> np.ndarray:
    if pd.api.types.is_numeric_dtype(column) and not pd.api.types.is_bool_dtype(column):
        return _numbers(column, "time_column", str(column.name))
    try:
        stamps = pd.to_datetime(column, utc=True, format="ISO8601")
    except (ValueError, TypeError) as exc:
        raise ValidationError([FieldError("time_column", str(column.name),
                                          f"numbers or ISO 8601 date-times ("
                                          f"{str(exc).splitlines()[0][:160]})")]) from None
    if stamps.isna().any():
        row = int(np.argmax(stamps.isna().to_numpy()))
        raise ValidationError([FieldError("time_column", f"row {row}", "a date-time in "
                                          "every row")])
    return stamps.astype("int64").to_numpy() / 1e9  # ns since the epoch -> s


def _numbers(column: pd.Series, field: str, name: str) -> np.ndarray:
    values = pd.to_numeric(column, errors="coerce").to_numpy(dtype=np.float64)
    bad = ~np.isfinite(values)
    if bad.any():
        row = int(np.argmax(bad))
        raise ValidationError([FieldError(field, f"{name} row {row}: {column.iloc[row]!r}",
                                          "a finite number in every row")])
    return values
