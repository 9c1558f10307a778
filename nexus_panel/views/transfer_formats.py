"""Bytes in, bytes out: the current scenario and its run as CSV, JSON or Parquet, and an
uploaded JSON file back to a scenario.

The file layouts themselves belong to the storage layer (``nexus_panel.storage.transfer``)
so the CLI, the web page and the HTTP download route write the same files. This module
only adapts them to in-memory bytes, which is what a browser download or upload carries.
"""

from __future__ import annotations

from dataclasses import dataclass

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


def import_bytes(data: bytes) -> transfer.ParsedImport:
    """Parse an uploaded JSON file: our bundle, a scenario dict or the original's export."""
    if len(data) > MAX_UPLOAD_BYTES:
        raise ValidationError([FieldError("file", f"{len(data)} bytes",
                                          f"at most {MAX_UPLOAD_BYTES} bytes")])
    return transfer.parse_import(parse_json(data))
