"""Bytes in, bytes out: the current scenario and its run as CSV, JSON or Parquet, and an
uploaded JSON or Parquet file back to a scenario.

The file layouts themselves belong to the storage layer (``nexus_panel.storage.transfer``)
so the CLI, the web page and the HTTP download route write the same files. This module
only adapts them to in-memory bytes, which is what a browser download or upload carries.
"""

from __future__ import annotations

import tempfile
from dataclasses import dataclass
from pathlib import Path

from nexus_panel.engine import SimulationResult
from nexus_panel.filenames import safe_filename
from nexus_panel.models import FieldError, Scenario, ValidationError, parse_json
from nexus_panel.storage import run_files, transfer


@dataclass(frozen=True)
class ExportFormat:
    key: str
    label: str
    mime: str


EXPORT_FORMATS: dict[str, ExportFormat] = {
    "csv": ExportFormat("csv", "CSV (time series)", "text/csv"),
    "json": ExportFormat("json", "JSON (scenario + run)", "application/json"),
    "parquet": ExportFormat("parquet", "Parquet (time series + scenario)",
                            "application/vnd.apache.parquet"),
}
MAX_UPLOAD_BYTES = 50 * 1024 * 1024


def export_filename(run: SimulationResult | Scenario, fmt: str) -> str:
    """The download's file name: the scenario's name made safe, its hash, the format."""
    scenario = run if isinstance(run, Scenario) else run.scenario
    return safe_filename(scenario.name, f"-{scenario.content_hash()[:8]}.{fmt}")


def export_bytes(result: SimulationResult, fmt: str) -> bytes:
    """The file a user downloads for ``fmt`` (one of EXPORT_FORMATS)."""
    if fmt not in EXPORT_FORMATS:
        raise ValidationError([FieldError("format", fmt, " or ".join(EXPORT_FORMATS))])
    return run_files.file_bytes(result, fmt)


PARQUET_MAGIC = b"PAR1"


def import_bytes(data: bytes, name: str = "the file") -> transfer.ParsedImport:
    """Parse an uploaded file: our JSON bundle (what every JSON export writes), a scenario
    dict, the original's export, or a Parquet run file exported here (``name``: how
    errors name the file)."""
    if len(data) > MAX_UPLOAD_BYTES:
        raise ValidationError([FieldError("file", f"{len(data)} bytes",
                                          f"at most {MAX_UPLOAD_BYTES} bytes")])
    if data[:4] != PARQUET_MAGIC:
        return transfer.parse_import(parse_json(data))
    # pyarrow reads Parquet from a file: a private temporary one, named in no message
    with tempfile.TemporaryDirectory(prefix="nexus-upload-") as folder:
        path = Path(folder) / "upload.parquet"
        path.write_bytes(data)
        try:
            return transfer.parquet_import(path)
        except ValidationError as exc:
            raise ValidationError([FieldError(e.field, name if e.value == str(path)
                                              else e.value, e.allowed)
                                   for e in exc.errors]) from None
