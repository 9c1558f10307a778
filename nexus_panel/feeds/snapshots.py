"""A snapshot's rows as stored: Parquet bytes (float64 ``time`` + value columns, zstd),
the compact form runs are stored in too (``storage.run_files``), read back to the exact
same floats. The sha256 is over the values (``series.series_hash``), so it checks the
bytes read back as well as naming the data."""

from __future__ import annotations

import io

import pyarrow as pa
import pyarrow.parquet as pq

from nexus_panel.feeds.series import Series, make_series
from nexus_panel.storage.errors import StorageError


def encode(series: Series) -> bytes:
    table = pa.table({"time": series.times, **series.columns})
    sink = io.BytesIO()
    pq.write_table(table, sink, compression="zstd")
    return sink.getvalue()


def decode(data: bytes, sha256: str) -> Series:
    """The stored series; a blob whose values do not hash to ``sha256`` is refused."""
    try:
        table = pq.read_table(io.BytesIO(data))
        arrays = {name: table.column(name).to_numpy() for name in table.column_names}
        times = arrays.pop("time")
    except (pa.ArrowException, KeyError, OSError) as exc:
        raise StorageError(f"a stored feed snapshot is unreadable: {exc}") from None
    series = make_series(times, arrays)
    if series.sha256 != sha256:
        raise StorageError(f"a stored feed snapshot does not match its sha256 "
                           f"{sha256[:12]} (damaged)")
    return series
