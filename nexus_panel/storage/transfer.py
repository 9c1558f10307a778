"""File formats for moving scenarios and results in and out: JSON bundles, CSV, Parquet.

Pure conversions (no database): the store records the matching audit events.

* JSON bundle (``"format": "nexus_panel.scenario"``): the scenario's canonical dict, the
  revision it came from, and its runs, each with provenance, summary and the full time
  series as ``{column: [values]}``. Non-finite floats are written as the strings "nan",
  "inf", "-inf" (JSON has no NaN), so a bundle read back gives the results bit for bit.
* Import also accepts a plain scenario dict (``Scenario.to_dict``) and the original
  Streamlit app's export ``{"parameters", "signal_configs", "results"}``; its results are
  not imported (they use the original's shifted time axis; re-run instead).
* CSV and Parquet hold one run's frame (one row per time point). Parquet also carries the
  scenario, summary and provenance in its schema metadata, so it reads back as a result.
"""

from __future__ import annotations

import json
import math
import warnings
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from nexus_panel.engine import COLUMNS, SUMMARY_FIELDS, SimulationResult
from nexus_panel.engine.result import make_frame
from nexus_panel.models import FieldError, Scenario, ValidationError, parse_json
from nexus_panel.models import text as text_rules
from nexus_panel.models.legacy import is_original_export
from nexus_panel.storage import run_files
from nexus_panel.storage.errors import first_line
from nexus_panel.storage.records import RevisionRecord, RunRecord
from nexus_panel.storage.run_files import FORMAT, FORMAT_VERSION, PARQUET_KEY, encode_float

VERSION_FIELDS: tuple[str, ...] = (
    "engine_version", "numpy_version", "numba_version", "package_version")
"""The version labels of a run (``RunRecord`` attributes and payload keys alike)."""
PROVENANCE_FIELDS: tuple[str, ...] = (
    *VERSION_FIELDS, "created_at", "started_at", "duration_s", "seeds")
TABLE_FORMATS: tuple[str, ...] = ("csv", "parquet")
VERSION_LENGTH = text_rules.VERSION.max_length
"""Longest version string a run row holds (``schema.RunRow.*_version``)."""
_NON_FINITE = {"nan": math.nan, "inf": math.inf, "-inf": -math.inf}


# --- floats that JSON cannot hold (written by run_files.encode_float) -------------------------
def decode_float(value: Any, where: str) -> float:
    if isinstance(value, str) and value in _NON_FINITE:
        return _NON_FINITE[value]
    if isinstance(value, int | float) and not isinstance(value, bool):
        return float(value)
    raise ValidationError([FieldError(where, value, "a number, or \"nan\", \"inf\", \"-inf\"")])


# --- results <-> dicts ----------------------------------------------------------------------
def _iso(value: datetime | None) -> str | None:
    return None if value is None else value.astimezone(UTC).isoformat()


def run_payload(result: SimulationResult, record: RunRecord | None = None) -> dict[str, Any]:
    """A run as JSON-ready data: provenance (when stored), summary and time series."""
    frame = result.frame
    provenance = None
    if record is not None:
        provenance = {**{k: getattr(record, k) for k in VERSION_FIELDS
                         if k != "engine_version"},  # engine_version: the result's
                      "created_at": _iso(record.created_at),
                      "started_at": _iso(record.started_at),
                      "duration_s": record.duration_s, "seeds": record.seeds,
                      "run_id": record.id}
    return {**run_files.run_header(run_files.result_source(result), provenance),
            "data": {c: [encode_float(v) for v in frame[c].to_numpy(dtype=np.float64).tolist()]
                     for c in COLUMNS}}


def run_from_payload(payload: Any, scenario: Scenario, where: str
                     ) -> tuple[SimulationResult, dict[str, Any]]:
    """Rebuild a result (and its provenance) from :func:`run_payload` output."""
    if not isinstance(payload, dict):
        raise ValidationError([FieldError(where, type(payload).__name__, "an object")])
    errors: list[FieldError] = []
    for key in ("content_hash", "engine_version", "summary", "data", "rows"):
        if key not in payload:
            errors.append(FieldError(f"{where}.{key}", None, "present"))
    if errors:
        raise ValidationError(errors)
    errors = provenance_errors(payload, where)
    if errors:
        raise ValidationError(errors)
    if payload["content_hash"] != scenario.content_hash():
        raise ValidationError([FieldError(
            f"{where}.content_hash", payload["content_hash"],
            f"{scenario.content_hash()} (the hash of the scenario in this file)")])
    rows, data, summary = payload["rows"], payload["data"], payload["summary"]
    expected = scenario.params.num_steps + 1  # a run of n steps has n + 1 time points
    if rows != expected or not isinstance(data, dict) or set(data) != set(COLUMNS) or not all(
            isinstance(v, list) and len(v) == expected for v in data.values()):
        raise ValidationError([FieldError(f"{where}.data", "…", f"{expected} values for each "
                                          "of " + ", ".join(COLUMNS))])
    if not isinstance(summary, dict) or set(summary) != set(SUMMARY_FIELDS):
        raise ValidationError([FieldError(f"{where}.summary", "…",
                                          "the figures " + ", ".join(SUMMARY_FIELDS))])
    values = np.empty((rows, len(COLUMNS)), dtype=np.float64, order="F")
    for j, column in enumerate(COLUMNS):
        values[:, j] = [decode_float(v, f"{where}.data.{column}") for v in data[column]]
    result = SimulationResult(
        scenario=scenario, frame=make_frame(values),
        summary={k: decode_float(summary[k], f"{where}.summary.{k}") for k in SUMMARY_FIELDS},
        warnings=list(payload.get("warnings", [])),
        engine_version=str(payload["engine_version"]), content_hash=payload["content_hash"])
    provenance = {k: payload[k] for k in PROVENANCE_FIELDS if payload.get(k) is not None}
    for key in ("created_at", "started_at"):
        if key in provenance:
            try:
                stamp = datetime.fromisoformat(provenance[key])
                # Without an offset it means UTC (what we export), not this machine's zone.
                provenance[key] = stamp if stamp.tzinfo else stamp.replace(tzinfo=UTC)
            except (TypeError, ValueError):
                raise ValidationError([FieldError(f"{where}.{key}", provenance[key],
                                                  "an ISO 8601 timestamp")]) from None
    return result, provenance


def provenance_errors(payload: dict[str, Any], where: str) -> list[FieldError]:
    """Type problems in a run payload's provenance and warnings: they go into typed (and,
    on PostgreSQL, length-limited) columns, where a wrong type is a driver error or, on
    SQLite, a stored value the records cannot read back."""
    errors: list[FieldError] = []
    for key in VERSION_FIELDS:
        value = payload.get(key)
        if value is not None or key == "engine_version":
            errors += text_rules.VERSION.errors(value, f"{where}.{key}")
    duration = payload.get("duration_s")
    if duration is not None and (isinstance(duration, bool) or not isinstance(
            duration, int | float) or not 0 <= duration < math.inf):
        errors.append(FieldError(f"{where}.duration_s", duration,
                                 "a finite number of seconds ≥ 0, or null"))
    seeds = payload.get("seeds")
    if seeds is not None and not (isinstance(seeds, dict) and all(
            isinstance(v, int) and not isinstance(v, bool) for v in seeds.values())):
        errors.append(FieldError(f"{where}.seeds", seeds, "an object of input name -> seed"))
    warnings = payload.get("warnings", [])
    if not (isinstance(warnings, list) and all(isinstance(w, str) for w in warnings)):
        errors.append(FieldError(f"{where}.warnings", warnings, "a list of strings"))
    return errors


# --- bundles --------------------------------------------------------------------------------
def bundle(revision: RevisionRecord,
           runs: list[tuple[RunRecord, SimulationResult]]) -> dict[str, Any]:
    """One revision of a scenario with its stored runs, as a JSON-ready dict."""
    head = run_files.bundle_head(
        revision.scenario(),
        {"number": revision.number, "message": revision.message, "author": revision.author,
         "created_at": _iso(revision.created_at), "content_hash": revision.content_hash})
    return {**head, "runs": [run_payload(result, record) for record, result in runs]}


@dataclass
class ParsedImport:
    """What an imported file holds. ``kind``: "bundle", "scenario", "original" or
    "parquet". ``runs`` are as the file says (``storage.verify`` checks them)."""

    kind: str
    scenario: Scenario
    runs: list[tuple[SimulationResult, dict[str, Any]]] = field(default_factory=list)
    message: str = ""
    feed_snapshots: list[Any] = field(default_factory=list)
    """(feed, series, provenance) of the snapshots the runs read (``feeds.transfer``)."""

    def run_label(self, index: int) -> str:
        """Where run ``index`` is in the file, for error messages."""
        return "file" if self.kind == "parquet" else f"runs[{index}]"


def parse_import(data: Any) -> ParsedImport:
    """Recognise and validate any importable JSON document (every problem at once)."""
    if isinstance(data, dict) and "format" in data:
        _check_format(data)
        fed: list[Any] = []
        if "feed_snapshots" in data:  # held before the runs are read and verified
            from nexus_panel.feeds import transfer as feed_transfer

            fed = feed_transfer.parse(data["feed_snapshots"])
        scenario = Scenario.from_dict(data.get("scenario"))
        runs = data.get("runs", [])
        if not isinstance(runs, list):
            raise ValidationError([FieldError("runs", type(runs).__name__, "a list")])
        message = _bundle_message(data.get("revision") or {})
        parsed = [run_from_payload(r, scenario, f"runs[{i}]") for i, r in enumerate(runs)]
        return ParsedImport("bundle", scenario, parsed, message, fed)
    kind = "original" if is_original_export(data) else "scenario"
    scenario = Scenario.from_dict(data)
    note = "the original app's export" if kind == "original" else "a scenario file"
    return ParsedImport(kind, scenario, [], f"Imported from {note}")


def _check_format(data: dict[str, Any]) -> None:
    errors = []
    if data.get("format") != FORMAT:
        errors.append(FieldError("format", data.get("format"), repr(FORMAT)))
    version = data.get("format_version")
    # exactly the integer: JSON's true and 1.0 compare equal to 1 in Python
    if type(version) is not int or version != FORMAT_VERSION:
        errors.append(FieldError("format_version", version,
                                 f"the whole number {FORMAT_VERSION}"))
    if errors:
        raise ValidationError(errors)


def _bundle_message(revision: Any) -> str:
    """The new revision's message, naming the revision the bundle was exported from."""
    if not isinstance(revision, dict):
        raise ValidationError([FieldError("revision", revision,
                                          "an object (number, message, ...)")])
    number = revision.get("number")
    if number is not None and (type(number) is not int or number < 1):
        raise ValidationError([FieldError("revision.number", number,
                                          "a revision number (1, 2, 3 ...) or null")])
    note = revision.get("message") or ""
    message = f"Imported (exported as revision {number or '?'}" + (
        f": {note})" if note else ")")
    if not text_rules.MESSAGE.accepts(note) or not text_rules.MESSAGE.accepts(message):
        raise ValidationError([FieldError("revision.message", note,
                                          text_rules.MESSAGE.allowed + " (with the "
                                          "'Imported (exported as revision N: …)' around it)")])
    return message


def import_kind(path: str | Path) -> str:
    """How ``import_file`` reads ``path``: "parquet" or "csv" by suffix, else "json"."""
    suffix = Path(path).suffix.lstrip(".").lower()
    return suffix if suffix in TABLE_FORMATS else "json"


def parquet_import(path: str | Path) -> ParsedImport:
    """A Parquet run file written here (scenario, summary and frame), as an import."""
    result = read_parquet_result(path)
    return ParsedImport("parquet", result.scenario, [(result, {})],
                        "Imported from a Parquet run file")


def read_json(path: str | Path) -> Any:
    try:
        raw = Path(path).read_bytes()
    except OSError as exc:
        raise ValidationError([FieldError("file", str(path), f"a readable file "
                                          f"({exc.strerror})")]) from None
    return parse_json(raw, str(path))


def write_json(data: Any, path: str | Path) -> None:
    Path(path).write_text(json.dumps(data, indent=1, allow_nan=False), encoding="utf-8")


# --- CSV / Parquet --------------------------------------------------------------------------
def table_format(path: str | Path, fmt: str | None = None) -> str:
    chosen = fmt or Path(path).suffix.lstrip(".").lower()
    if chosen not in TABLE_FORMATS:
        raise ValidationError([FieldError("format", chosen or str(path),
                                          " or ".join(TABLE_FORMATS))])
    return chosen


def write_table(result: SimulationResult, path: str | Path, fmt: str | None = None) -> str:
    """Write ``result`` as a CSV or Parquet run file (the same bytes as the web export);
    returns the format used."""
    chosen = table_format(path, fmt)
    run_files.write_run_file(result, Path(path), chosen)
    return chosen


def read_table(path: str | Path) -> pd.DataFrame:
    """A run's frame from CSV or Parquet, values exactly as written.

    A file that is not such a frame (missing, unreadable, not CSV/Parquet, ragged rows,
    text where numbers belong, missing columns, no rows) is a ValidationError on the
    field ``file`` naming the path and the problem, never a pandas or pyarrow error."""
    fmt = table_format(path)
    try:
        if fmt == "csv":
            # pandas 3 parses floats exactly and deprecates the option pandas 2 needs
            exact = {} if int(pd.__version__.split(".")[0]) >= 3 else {
                "float_precision": "round_trip"}
            with warnings.catch_warnings():
                # a row with more fields than the header: an error, not a silent shift
                # into the index (the default) or truncation (index_col=False's warning)
                warnings.simplefilter("error", pd.errors.ParserWarning)
                frame = pd.read_csv(path, dtype=np.float64, index_col=False, **exact)
        else:
            frame = pd.read_parquet(path)
        missing = [c for c in COLUMNS if c not in frame.columns]
        if missing:
            raise _TableProblem("it lacks the column(s) " + ", ".join(missing))
        if frame.empty:
            raise _TableProblem("it has no rows")
        values = frame[list(COLUMNS)].to_numpy(dtype=np.float64)
    except _TableProblem as exc:
        problem = str(exc)
    except FileNotFoundError:  # (pyarrow's has no strerror)
        problem = "No such file or directory"
    except OSError as exc:  # a directory, unreadable (pyarrow's IO errors too)
        problem = exc.strerror or first_line(exc)[:200]
    except (ValueError, TypeError, NotImplementedError, pd.errors.ParserWarning) as exc:
        problem = first_line(exc)[:200]  # (pandas quotes lines of the file)
    else:
        return make_frame(np.asfortranarray(values))
    raise ValidationError([FieldError("file", str(path), (
        f"a {fmt.upper()} run file with the numeric columns {', '.join(COLUMNS)} "
        f"(this one cannot be read: {problem})"))])


class _TableProblem(ValueError):
    """A table file that reads but does not hold a run's frame."""


def read_parquet_result(path: str | Path) -> SimulationResult:
    """A full result (scenario, summary, frame) from a Parquet file written here."""
    import pyarrow.parquet as pq

    not_ours = ValidationError([FieldError("file", str(path),
                                           "a Parquet file exported by nexus_panel")])
    try:
        meta = (pq.read_schema(path).metadata or {}).get(PARQUET_KEY)
    except (OSError, ValueError):  # unreadable, or not Parquet (pyarrow.ArrowInvalid)
        raise not_ours from None
    info = parse_json(meta, str(path)) if meta is not None else None
    if not (isinstance(info, dict) and isinstance(info.get("summary"), dict)
            and all(k in info["summary"] for k in SUMMARY_FIELDS)
            and isinstance(info.get("warnings"), list)
            and all(isinstance(info.get(k), str) for k in ("engine_version", "content_hash"))):
        raise not_ours
    scenario = Scenario.from_dict(info.get("scenario"))
    return SimulationResult(
        scenario=scenario, frame=read_table(path),
        summary={k: decode_float(info["summary"][k], f"summary.{k}") for k in SUMMARY_FIELDS},
        warnings=list(info["warnings"]), engine_version=info["engine_version"],
        content_hash=info["content_hash"])
