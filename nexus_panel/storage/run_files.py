"""The files one run is written as -- CSV, the JSON bundle, Parquet -- a block at a time.

Why blocks: a run may have a million steps, and building such a file whole in memory
cost gigabytes per download. Every writer here takes a *run source* -- a stored or fresh
``SimulationResult`` (:func:`result_source`) or a streamed run
(``nexus_panel.engine.stream``) -- and yields the file as byte blocks, holding one block
of the frame at a time. Joining the blocks gives the whole file (``b"".join``), which is
what the CLI and in-memory exports do, so a file is the same however it was produced.

Layouts (readers: ``nexus_panel.storage.transfer``):

* CSV: a header row of the column names, then one row per time point; floats in
  shortest round-trip form (``2``, ``1001.5632``, ``1e+20``), NaN as an empty field.
  Written by pyarrow's CSV writer, much faster than pandas' ``to_csv`` for long runs
  (docs/benchmarks.md).
* JSON: the scenario bundle ``{"format": "nexus_panel.scenario", "format_version": 1,
  "exported_at", "scenario", "revision", "runs": [run]}``; a run is ``{"content_hash",
  "engine_version", "summary", "warnings", "rows", provenance fields..., "data": {column:
  [values]}}``; non-finite numbers are the strings "nan", "inf", "-inf". The store's
  bundle of a revision (several runs, provenance) is the same document
  (``storage.transfer.bundle``), and so is ``nexus-panel run --out x.json``.
* Parquet: the frame's 16 float64 columns, one row group per block, and the scenario,
  summary, warnings, engine version and content hash as JSON under the schema metadata
  key ``nexus_panel.result``.
"""

from __future__ import annotations

import io
import json
import math
from collections.abc import Callable, Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, Protocol

import numpy as np
import pandas as pd

from nexus_panel.engine import COLUMNS, SimulationResult
from nexus_panel.models import Scenario

FORMAT = "nexus_panel.scenario"
FORMAT_VERSION = 1
PARQUET_KEY = b"nexus_panel.result"
BLOCK_ROWS = 65_536
_NON_FINITE_TEXT = {math.inf: "inf", -math.inf: "-inf"}


class RunSource(Protocol):
    """What a writer needs of a run: its figures now, its frame a block at a time."""

    scenario: Scenario
    summary: dict[str, float]
    warnings: list[str]
    engine_version: str
    content_hash: str

    @property
    def rows(self) -> int: ...

    def frames(self, chunk_steps: int = BLOCK_ROWS) -> Iterator[np.ndarray]: ...


class _ResultSource:
    """A finished ``SimulationResult`` as a run source (blocks are views of its frame)."""

    def __init__(self, result: SimulationResult) -> None:
        self.result = result
        self.scenario = result.scenario
        self.summary = result.summary
        self.warnings = result.warnings
        self.engine_version = result.engine_version
        self.content_hash = result.content_hash

    @property
    def rows(self) -> int:
        return len(self.result.frame)

    def frames(self, chunk_steps: int = BLOCK_ROWS) -> Iterator[np.ndarray]:
        values = self.result.frame[list(COLUMNS)].to_numpy(dtype=np.float64)
        for start in range(0, len(values), chunk_steps):
            yield values[start:start + chunk_steps]


def result_source(result: SimulationResult | RunSource) -> RunSource:
    """``result`` as a run source (streamed runs already are one)."""
    return _ResultSource(result) if isinstance(result, SimulationResult) else result


def encode_float(value: float) -> float | str:
    """A float JSON can hold: itself, or "nan", "inf", "-inf" (the one NaN encoding of
    every document this package writes; ``storage.transfer.decode_float`` reads it)."""
    if math.isfinite(value):
        return value
    return "nan" if math.isnan(value) else _NON_FINITE_TEXT[value]


# --- CSV ------------------------------------------------------------------------------------
def iter_csv(source: RunSource | SimulationResult) -> Iterator[bytes]:
    import pyarrow as pa
    import pyarrow.csv as pa_csv

    run = result_source(source)
    yield (",".join(COLUMNS) + "\n").encode()
    options = pa_csv.WriteOptions(include_header=False, quoting_style="needed")
    for block in run.frames():
        # from_pandas: NaN becomes null, which the writer leaves empty
        table = pa.table({c: pa.array(block[:, j], from_pandas=True)
                          for j, c in enumerate(COLUMNS)})
        buffer = io.BytesIO()
        pa_csv.write_csv(table, buffer, options)
        yield buffer.getvalue()


# --- JSON -----------------------------------------------------------------------------------
def _json_values(values: np.ndarray) -> str:
    """``[v, v, ...]`` without the brackets; non-finite values as strings."""
    items = values.tolist()
    if not np.isfinite(values).all():
        items = [encode_float(v) for v in items]
    return json.dumps(items, separators=(",", ":"), allow_nan=False)[1:-1]


def run_header(run: RunSource, provenance: dict[str, Any] | None = None) -> dict[str, Any]:
    """A run's JSON object without its ``data``: what it is and where it came from."""
    return {
        "content_hash": run.content_hash,
        "engine_version": run.engine_version,
        "summary": {k: encode_float(v) for k, v in run.summary.items()},
        "warnings": list(run.warnings),
        "rows": run.rows,
        **(provenance or {}),
    }


def bundle_head(scenario: Scenario, revision: dict[str, Any] | None,
                exported_at: datetime | None = None) -> dict[str, Any]:
    """The scenario bundle without its ``runs``: one definition for every writer (this
    module's streamed file and the store's ``export_bundle``)."""
    return {
        "format": FORMAT,
        "format_version": FORMAT_VERSION,
        "exported_at": (exported_at or datetime.now(UTC)).isoformat(),
        "scenario": scenario.to_dict(),
        "revision": revision,
    }


def iter_json(source: RunSource | SimulationResult, *, revision: dict[str, Any] | None = None,
              provenance: dict[str, Any] | None = None,
              exported_at: datetime | None = None) -> Iterator[bytes]:
    """The scenario bundle holding this one run (``revision``: the stored revision's
    number, message, author ... or None for an unsaved scenario)."""
    run = result_source(source)
    head = bundle_head(run.scenario, revision, exported_at)
    opening = json.dumps(head, allow_nan=False)[:-1]
    yield (opening + ', "runs": [' + json.dumps(run_header(run, provenance),
                                                allow_nan=False)[:-1] + ', "data": {').encode()
    for j, column in enumerate(COLUMNS):
        yield (("" if j == 0 else ", ") + json.dumps(column) + ": [").encode()
        first = True
        for block in run.frames():
            if len(block):
                yield (("" if first else ",") + _json_values(block[:, j])).encode()
                first = False
        yield b"]"
    yield b"}}]}\n"


# --- Parquet --------------------------------------------------------------------------------
class _Spool(io.RawIOBase):
    """A write-only file that hands what was written so far to the caller (``drain``)."""

    def __init__(self) -> None:
        self._parts: list[bytes] = []
        self._size = 0

    def writable(self) -> bool:
        return True

    def write(self, data: Any) -> int:
        chunk = bytes(data)
        self._parts.append(chunk)
        self._size += len(chunk)
        return len(chunk)

    def tell(self) -> int:
        return self._size

    def drain(self) -> bytes:
        out = b"".join(self._parts)
        self._parts.clear()
        return out


def parquet_metadata(run: RunSource) -> bytes:
    return json.dumps({"scenario": run.scenario.to_dict(),
                       "summary": {k: encode_float(v) for k, v in run.summary.items()},
                       "warnings": list(run.warnings), "engine_version": run.engine_version,
                       "content_hash": run.content_hash}).encode()


def iter_parquet(source: RunSource | SimulationResult) -> Iterator[bytes]:
    import pyarrow as pa
    import pyarrow.parquet as pq

    run = result_source(source)
    spool = _Spool()
    writer = None
    try:
        for block in run.frames():
            table = pa.Table.from_pandas(pd.DataFrame(block, columns=list(COLUMNS), copy=False),
                                         preserve_index=False)
            if writer is None:
                schema = table.schema.with_metadata({**(table.schema.metadata or {}),
                                                     PARQUET_KEY: parquet_metadata(run)})
                writer = pq.ParquetWriter(spool, schema)
            writer.write_table(table.cast(writer.schema))
            out = spool.drain()
            if out:
                yield out
    finally:
        if writer is not None:
            writer.close()
    yield spool.drain()


WRITERS: dict[str, Callable[..., Iterator[bytes]]] = {
    "csv": iter_csv, "json": iter_json, "parquet": iter_parquet,
}
"""File format -> block writer."""


def file_bytes(source: RunSource | SimulationResult, fmt: str, **options: Any) -> bytes:
    """The whole file at once (small runs, tests)."""
    return b"".join(WRITERS[fmt](source, **options))


def write_run_file(source: RunSource | SimulationResult, path: Path, fmt: str,
                   **options: Any) -> None:
    """Write the file to ``path`` block by block (callers make it atomic)."""
    with open(path, "wb") as out:
        for block in WRITERS[fmt](source, **options):
            out.write(block)
