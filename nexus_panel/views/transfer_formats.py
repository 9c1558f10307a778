"""Bytes in, bytes out: the current scenario and its run as CSV, JSON or Parquet, and an
uploaded JSON file back to a scenario.

The file layouts themselves belong to the storage layer (``nexus_panel.storage.transfer``)
so the CLI, the web page and the HTTP download route write the same files. This module
only adapts them to in-memory bytes, which is what a browser download or upload carries.
"""

from __future__ import annotations

import io
import json
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from nexus_panel.engine import SimulationResult
from nexus_panel.filenames import safe_filename
from nexus_panel.models import FieldError, ValidationError, parse_json
from nexus_panel.storage import transfer


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


def export_filename(result: SimulationResult, fmt: str) -> str:
    """The download's file name: the scenario's name made safe, its hash, the format."""
    return safe_filename(result.scenario.name, f"-{result.content_hash[:8]}.{fmt}")


def current_bundle(result: SimulationResult) -> dict[str, Any]:
    """A JSON bundle of an (unsaved) scenario and its run; imports like a stored one."""
    return {
        "format": transfer.FORMAT,
        "format_version": transfer.FORMAT_VERSION,
        "exported_at": datetime.now(UTC).isoformat(),
        "scenario": result.scenario.to_dict(),
        "revision": None,
        "runs": [transfer.run_payload(result)],
    }


def export_bytes(result: SimulationResult, fmt: str) -> bytes:
    """The file a user downloads for ``fmt`` (one of EXPORT_FORMATS)."""
    if fmt not in EXPORT_FORMATS:
        raise ValidationError([FieldError("format", fmt, " or ".join(EXPORT_FORMATS))])
    if fmt == "json":
        return json.dumps(current_bundle(result), indent=1, allow_nan=False).encode()
    buffer = io.BytesIO()
    transfer.write_table(result, buffer, fmt)
    return buffer.getvalue()


def import_bytes(data: bytes) -> transfer.ParsedImport:
    """Parse an uploaded JSON file: our bundle, a scenario dict or the original's export."""
    if len(data) > MAX_UPLOAD_BYTES:
        raise ValidationError([FieldError("file", f"{len(data)} bytes",
                                          f"at most {MAX_UPLOAD_BYTES} bytes")])
    return transfer.parse_import(parse_json(data))
